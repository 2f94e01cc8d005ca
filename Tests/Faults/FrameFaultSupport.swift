@testable import FleetCluster
import FleetConfig
import FleetProcessTesting
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest

/// What the bad-frame tests (docs/reliability.md 10, 11, 12) share: a seeded generator, frames, the
/// mutations, a predictor of the learner's verdict, memory readings and a status client.
/// Everything is namespaced here: other files of this target are written alongside.
enum FrameFaults {
    // MARK: - Determinism

    /// SplitMix64: the same seed gives the same flood on every machine.
    struct Generator: RandomNumberGenerator {
        private var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// A number in 0 ..< bound (bound > 0).
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    // MARK: - Runs

    /// `cluster/cartpole-ppo.yaml` (CleanRL's settings) with `overrides`, on inproc endpoints named
    /// after `name`.
    static func cartPoleConfig(_ overrides: [String], name: String = "faults-\(UUID().uuidString)") throws -> RunConfig {
        try RunConfig(
            file: packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path,
            overrides: [
                "endpoints.batches=\"inproc://\(name)-batches\"", "endpoints.weights=\"inproc://\(name)-weights\"",
                "endpoints.control=\"inproc://\(name)-control\"",
            ] + overrides)
    }

    /// A short owner-only directory (ipc socket paths must stay short, the learner wants its ipc
    /// directory owner-only), removed when `test` ends.
    static func ipcDirectory(_ test: XCTestCase) throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/fleet-ff-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Log lines from several threads, kept (not printed: a flood's rejections are logged, rate-limited).
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.withLock { stored.append(line) } }
        var lines: [String] { lock.withLock { stored } }
        /// A logger whose lines land here.
        var logger: Logger { Logger(label: "learner") { FleetLogHandler(label: $0, write: self.append) } }
    }

    /// A thread that connects a PUSH socket of its own to `endpoint` and sends `frames` in order,
    /// as fast as it can: up to `queue` frames wait in ZeroMQ (libzmq's default 1000, what any
    /// peer gets), then it blocks until the learner takes some. It stops early when the context
    /// is shut down (the run ended); ``join()`` says how far it got.
    final class Flood: @unchecked Sendable {
        private let lock = NSLock()
        private var sentCount = 0
        private var elapsed: Duration = .zero
        private let done = DispatchSemaphore(value: 0)

        init(context: Context, endpoint: String, frames: [[UInt8]], queue: Int32 = 1000) {
            let thread = Thread { [self] in
                let start = ContinuousClock.now
                defer {
                    lock.withLock { elapsed = .now - start }
                    done.signal()
                }
                guard let socket = try? Socket(context, .push, linger: .zero),
                    (try? socket.set(.sendHighWaterMark, to: queue)) != nil, (try? socket.connect(endpoint)) != nil
                else { return }
                for frame in frames {
                    guard (try? socket.send(frame)) != nil else { return }
                    lock.withLock { sentCount += 1 }
                }
            }
            thread.name = "flood"
            thread.start()
        }

        /// Waits for the thread to end; returns how many frames it sent.
        func join() -> Int {
            done.wait()
            done.signal()
            return lock.withLock { sentCount }
        }

        /// How long it sent (until the last frame was queued, or the run ended), after ``join()``.
        var seconds: Double {
            lock.withLock { Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18 }
        }
    }

    // MARK: - Frames

    /// A CartPole-shaped trajectory batch (T x N x 4) with every value chosen by the caller.
    static func cartPoleBatch(
        sender: String, incarnation: UInt64 = 1, sequence: UInt64 = 0, schemaVersion: UInt32 = 1,
        policyVersion: UInt64 = 0, steps: Int = 128, envs: Int = 2, action: Int64 = 0, reward: Float = 1,
        observation: Float = 0.01, nextObservation: Float = 0.01, logProb: Float = -0.69,
        episodeReturn: Float? = nil, truncatedFinal: Float? = nil
    ) -> Frame {
        let cells = steps * envs
        var truncated = [Bool](repeating: false, count: cells)
        if truncatedFinal != nil { truncated[0] = true }
        let batch = TrajectoryBatch(
            policyVersion: policyVersion, numSteps: UInt32(steps), numEnvs: UInt32(envs),
            observations: WireTensor(float32: [Float](repeating: observation, count: cells * 4), shape: [steps, envs, 4]),
            actions: WireTensor(int64: [Int64](repeating: action, count: cells), shape: [steps, envs]),
            rewards: WireTensor(float32: [Float](repeating: reward, count: cells), shape: [steps, envs]),
            terminated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [steps, envs]),
            truncated: WireTensor(bool: truncated, shape: [steps, envs]),
            behaviourLogProbs: WireTensor(float32: [Float](repeating: logProb, count: cells), shape: [steps, envs]),
            finalObservationSteps: truncatedFinal == nil ? .empty(.int64) : WireTensor(int64: [0], shape: [1]),
            finalObservations: truncatedFinal.map { WireTensor(float32: [$0, 0, 0, 0], shape: [1, 4]) }
                ?? WireTensor(float32: [], shape: [0, 4]),
            nextObservations: WireTensor(float32: [Float](repeating: nextObservation, count: envs * 4), shape: [envs, 4]),
            episodeReturns: episodeReturn.map { WireTensor(float32: [$0], shape: [1]) } ?? .empty(.float32),
            episodeLengths: episodeReturn == nil ? .empty(.int64) : WireTensor(int64: [10], shape: [1]))
        let envelope = Envelope(
            schemaVersion: schemaVersion, senderID: sender, incarnation: incarnation, sequence: sequence)
        return Frame(envelope: envelope, payload: .trajectoryBatch(batch))
    }

    /// `frame` with another envelope (a sample frame sent as `sender`).
    static func resent(_ frame: Frame, as sender: String, incarnation: UInt64 = 1, sequence: UInt64 = 0) -> Frame {
        var copy = frame
        copy.envelope = Envelope(senderID: sender, incarnation: incarnation, sequence: sequence)
        return copy
    }

    /// The valid frames mutations start from: batches of senders that are not actors of any run
    /// (full CartPole size and small), and one sample of every payload kind.
    static func mutationBases() -> [[UInt8]] {
        var bases = [
            cartPoleBatch(sender: "flood-a", steps: 128, envs: 2).encoded(),
            cartPoleBatch(sender: "flood-b", sequence: 9, steps: 4, envs: 2, episodeReturn: 21).encoded(),
            cartPoleBatch(sender: "flood-c", incarnation: 5, steps: 2, envs: 3, truncatedFinal: 0.5).encoded(),
            cartPoleBatch(sender: "flood-d", steps: 1, envs: 1).encoded(),
        ]
        bases += SampleFrames.all.map { $0.encoded() }
        return bases
    }

    // MARK: - Protobuf structure

    /// One field of an encoded message: where its tag, its length prefix (length-delimited fields)
    /// and its value lie.
    struct Field {
        var tag: Range<Int>
        var wireType: UInt64
        var length: Range<Int>?
        var value: Range<Int>
    }

    /// A varint at `offset` (at most 10 bytes) and where it ends; nil when it runs off or is overlong.
    static func varint(_ bytes: [UInt8], at offset: Int, end: Int) -> (value: UInt64, end: Int)? {
        var value: UInt64 = 0
        var index = offset
        var shift: UInt64 = 0
        while index < end, shift < 70 {
            let byte = bytes[index]
            value |= UInt64(byte & 0x7F) << shift
            index += 1
            if byte & 0x80 == 0 { return (value, index) }
            shift += 7
        }
        return nil
    }

    static func encodeVarint(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        repeat {
            var byte = UInt8(rest & 0x7F)
            rest >>= 7
            if rest != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while rest != 0
        return bytes
    }

    /// The fields of `bytes[range]` when it parses whole as a message, nested ones included (a
    /// length-delimited value that itself parses whole is taken for a message; a string or bytes
    /// value now and then is too, which only widens the mutations).
    static func fields(_ bytes: [UInt8], in range: Range<Int>, depth: Int = 0) -> [Field]? {
        var result: [Field] = []
        var offset = range.lowerBound
        while offset < range.upperBound {
            guard let (key, afterTag) = varint(bytes, at: offset, end: range.upperBound), key >> 3 != 0 else {
                return nil
            }
            let tag = offset..<afterTag
            switch key & 7 {
            case 0:
                guard let (_, end) = varint(bytes, at: afterTag, end: range.upperBound) else { return nil }
                result.append(Field(tag: tag, wireType: 0, value: afterTag..<end))
                offset = end
            case 1, 5:
                let size = key & 7 == 1 ? 8 : 4
                guard afterTag + size <= range.upperBound else { return nil }
                result.append(Field(tag: tag, wireType: key & 7, value: afterTag..<(afterTag + size)))
                offset = afterTag + size
            case 2:
                guard let (length, start) = varint(bytes, at: afterTag, end: range.upperBound),
                    length <= UInt64(range.upperBound - start)
                else { return nil }
                let value = start..<(start + Int(length))
                result.append(Field(tag: tag, wireType: 2, length: afterTag..<start, value: value))
                if depth < 6, !value.isEmpty, let inner = fields(bytes, in: value, depth: depth + 1) {
                    result += inner
                }
                offset = value.upperBound
            default:
                return nil
            }
        }
        return result
    }

    // MARK: - Mutations

    /// How a valid frame was damaged.
    enum Mutation: String, CaseIterable {
        case bitFlips = "bit flips"
        case truncation
        case splice
        case varintBomb = "varint bomb"
        case hugeLength = "huge length prefix"
        case wrongWireType = "wrong field type"
    }

    /// A mutation of one of `bases`.
    static func mutate(_ bases: [[UInt8]], _ rng: inout Generator) -> (bytes: [UInt8], mutation: Mutation) {
        let mutation = Mutation.allCases[rng.below(Mutation.allCases.count)]
        var bytes = bases[rng.below(bases.count)]
        let structure = fields(bytes, in: 0..<bytes.count) ?? []
        switch mutation {
        case .bitFlips:
            for _ in 0...rng.below(4) {
                let bit = rng.below(bytes.count * 8)
                bytes[bit / 8] ^= UInt8(1 << (bit % 8))
            }
        case .truncation:
            bytes.removeLast(1 + rng.below(bytes.count))
        case .splice:
            // A prefix of one frame joined to a suffix of another (sometimes the whole of both:
            // protobuf merges concatenated messages).
            let other = bases[rng.below(bases.count)]
            let cut = rng.below(4) == 0 ? bytes.count : rng.below(bytes.count + 1)
            let from = rng.below(4) == 0 ? 0 : rng.below(other.count + 1)
            bytes = Array(bytes[..<cut]) + Array(other[from...])
        case .varintBomb:
            // An overlong varint (ten 0xff then 0x01) in place of a tag, a value or a length, or
            // ten 0xff bytes anywhere.
            let bomb = [UInt8](repeating: 0xFF, count: 10) + [0x01]
            if !structure.isEmpty, rng.below(3) != 0 {
                let field = structure[rng.below(structure.count)]
                let target = [field.tag, field.length ?? field.tag, field.wireType == 0 ? field.value : field.tag][
                    rng.below(3)]
                bytes.replaceSubrange(target, with: bomb)
            } else {
                bytes.insert(contentsOf: bomb.prefix(10), at: rng.below(bytes.count + 1))
            }
        case .hugeLength:
            // A length prefix that claims far more than the frame holds: up to 2 GB, and beyond.
            let claims: [UInt64] = [1 << 20, 0x7FFF_FFFF, 1 << 31, 0xFFFF_FFFF, 1 << 40, 1 << 63, .max]
            let lengths = structure.compactMap(\.length)
            if let length = lengths.isEmpty ? nil : lengths[rng.below(lengths.count)] {
                bytes.replaceSubrange(length, with: encodeVarint(claims[rng.below(claims.count)]))
            } else {
                bytes = [0x12] + encodeVarint(claims[rng.below(claims.count)]) + bytes
            }
        case .wrongWireType:
            // A known field number with another wire type (0, 1, 2, 5, or the group/invalid 3, 4, 6, 7).
            if structure.isEmpty {
                bytes[0] ^= 0x07
            } else {
                let field = structure[rng.below(structure.count)]
                guard let (key, _) = varint(bytes, at: field.tag.lowerBound, end: field.tag.upperBound) else { break }
                var wireType = UInt64(rng.below(8))
                if wireType == key & 7 { wireType = (wireType + 1) % 8 }
                bytes.replaceSubrange(field.tag, with: encodeVarint((key & ~7) | wireType))
            }
        }
        return (bytes, mutation)
    }

    /// Random bytes: mostly short, sometimes up to 64 KiB; a quarter of them shaped like protobuf
    /// (random field numbers and wire types with plausible lengths) so they get past the first byte.
    static func randomFrame(_ rng: inout Generator) -> [UInt8] {
        let sizes = [0, 16, 64, 1024, 65_536]
        let size = rng.below(sizes[1 + rng.below(sizes.count - 1)] + 1)
        if rng.below(4) != 0 {
            return (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        var bytes: [UInt8] = []
        while bytes.count < size {
            let number = UInt64(1 + rng.below(14))
            let wireType = UInt64([0, 1, 2, 5][rng.below(4)])
            bytes += encodeVarint(number << 3 | wireType)
            switch wireType {
            case 0: bytes += encodeVarint(rng.next() >> UInt64(rng.below(64)))
            case 1: bytes += (0..<8).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 5: bytes += (0..<4).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            default:
                let length = rng.below(64)
                bytes += encodeVarint(UInt64(rng.below(8) == 0 ? rng.below(1 << 20) : length))
                bytes += (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return bytes
    }

    // MARK: - The learner's verdict

    /// The reason the learner's shared ingress checks (``BatchIngress``) refuse `bytes` with when
    /// they come from outside a run whose actors are `actorIDs`: what the frame's header shows
    /// (`malformed`, `bad_sender_id`, `missing_envelope`, `unsupported_schema_version`,
    /// `unexpected_payload`, `unknown_sender`), then the decoder's `WireError`. nil when the verdict
    /// depends on the run's state: a batch naming one of `actorIDs` is judged by its incarnation,
    /// sequence and version first, so a flood never sends such a frame. The learner runs the same
    /// ``BatchIngress`` with default limits, so this is exact.
    static func ingressVerdict(_ bytes: [UInt8], actorIDs: Set<String>) -> String? {
        let stateful: Set<BatchRejection.Reason> = [
            .wrongIncarnation, .replayed, .sequenceJump, .futurePolicyVersion, .stale,
        ]
        switch BatchIngress(actorIDs: actorIDs, maxPolicyLag: 0).admit(bytes, learnerVersion: 0) {
        case .success: return nil
        case .failure(let rejection): return stateful.contains(rejection.reason) ? nil : rejection.reason.rawValue
        }
    }

    // MARK: - Memory

    /// A process's resident set and its peak, in bytes, from `/proc/<pid>/status`.
    struct Memory {
        var rss: Int
        var hwm: Int

        static func of(pid: Int32? = nil) throws -> Memory {
            let path = "/proc/\(pid.map(String.init) ?? "self")/status"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            func kilobytes(_ key: String) throws -> Int {
                let line = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix(key + ":") }, "\(key) in \(path)")
                return try XCTUnwrap(Int(line.split(separator: " ").dropFirst().first ?? ""), String(line)) * 1024
            }
            return Memory(rss: try kilobytes("VmRSS"), hwm: try kilobytes("VmHWM"))
        }
    }

    /// `bytes` in MiB, one decimal.
    static func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

    // MARK: - Status

    /// Asks the learner on `controlEndpoint` for its status, as `fleet status` does; nil when it
    /// does not answer within `timeout`.
    static func status(
        context: Context, controlEndpoint: String, timeout: Duration = .seconds(5)
    ) throws -> LearnerStatus? {
        let socket = try Socket(context, .dealer, linger: .zero)
        try socket.connect(controlEndpoint)
        let request = Frame(
            envelope: Envelope(senderID: "faults-status", incarnation: 1, sequence: 0),
            payload: .statusRequest(StatusRequest()))
        try socket.send(request.encoded())
        var poller = Poller()
        let index = poller.add(socket)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard try poller.poll(timeout: .milliseconds(100))[index].contains(.readable) else { continue }
            let bytes = try socket.receive()
            if let frame = try? Frame(decoding: bytes), case .status(let status) = frame.payload {
                return try LearnerStatus(json: status.json)
            }
        }
        return nil
    }

    /// Whether every parameter of the policy is finite.
    static func allFinite(_ learner: LearnerLoop) -> Bool {
        learner.policyParameters.allSatisfy { $0.tensor.data.allSatisfy(\.isFinite) }
    }

    /// Counts as "12,345".
    static func count(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    /// `counts` as "malformed 17,912, unknown_sender 88", largest first.
    static func reasons(_ counts: [String: Int]) -> String {
        counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \(count($0.value))" }
            .joined(separator: ", ")
    }
}
