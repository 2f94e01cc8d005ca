import FleetCluster
import FleetConfig
import FleetProcessTesting
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// What the process fault tests (docs/reliability.md 1, 3, 4, 5 and 9) share: a `fleet launch` or a
/// `fleet learner` in the background, an in-process `fleet status` client fast enough to time
/// recoveries to ~10 ms, the process table (`/proc`), the captures' accounting of every batch, and
/// the figures' arithmetic. Everything is nested in ``ProcessFaults`` (the target is shared with
/// other fault tests).
enum ProcessFaults {
    /// CartPole PPO: one actor per two environments, max_policy_lag 0 (synchronous).
    static var config: String { packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    /// A fresh directory, removed when `test` ends.
    static func temporaryDirectory(_ test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-process-faults-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A fresh owner-only (0700) directory for ipc sockets, short enough for a socket path, under
    /// /tmp; removed when `test` ends.
    static func socketDirectory(_ test: XCTestCase) throws -> String {
        var template = Array("/tmp/fleet-pf-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        let path = String(cString: made)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    // MARK: - Clock

    /// Seconds since boot (`CLOCK_BOOTTIME`): the clock `/proc/PID/stat`'s start times count in.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    // MARK: - Status

    /// Asks a learner for its status over its control channel, as `fleet status` does, from a
    /// socket of its own for every question (an answer that comes late is never taken for the
    /// next question's).
    final class StatusClient {
        let endpoint: String
        private let context: Context
        private var asked: UInt64 = 0

        /// `endpoint`: the learner's control endpoint (`ipc://DIR/control`).
        init(endpoint: String) throws {
            self.endpoint = endpoint
            context = try Context()
        }

        deinit { context.shutdown() }

        /// The learner's status, or nil when it does not answer within `timeout`.
        func status(timeout: Duration = .seconds(2)) -> LearnerStatus? {
            do {
                let socket = try Socket(context, .dealer, linger: .zero)
                try socket.connect(endpoint)
                asked += 1
                let request = Frame(
                    envelope: Envelope(senderID: "fault-status-\(getpid())", incarnation: 1, sequence: asked),
                    payload: .statusRequest(StatusRequest()))
                try socket.send(request.encoded())
                var poller = Poller()
                let index = poller.add(socket)
                let deadline = ContinuousClock.now + timeout
                while ContinuousClock.now < deadline {
                    let ready = try poller.poll(timeout: min(.milliseconds(100), deadline - .now))
                    guard ready[index].contains(.readable) else { continue }
                    let bytes = try socket.receive()
                    guard let frame = try? Frame(decoding: bytes), case .status(let status) = frame.payload else {
                        continue
                    }
                    return try LearnerStatus(json: status.json)
                }
            } catch {}
            return nil
        }

        /// Asks every `interval` for up to `seconds` (while `alive` holds) until `accept` takes an
        /// answer; returns it with the time (``ProcessFaults/now()``) it was received.
        func wait(
            seconds: Double, interval: Double = 0.01, while alive: () -> Bool = { true },
            where accept: (LearnerStatus) -> Bool
        ) -> (status: LearnerStatus, at: Double)? {
            let deadline = ProcessFaults.now() + seconds
            while ProcessFaults.now() < deadline, alive() {
                if let status = status(), accept(status) { return (status, ProcessFaults.now()) }
                usleep(useconds_t(interval * 1e6))
            }
            return nil
        }
    }

    // MARK: - A launched cluster

    /// `fleet launch CONFIG --actors N --run-dir … ARGUMENTS` in the background; interrupted when
    /// the test ends if it still runs, and every process it started killed if any outlived it.
    final class Launch {
        let process: ChildProcess
        let directory: URL
        let runDirectory: URL
        private(set) var descendantsSeen: Set<ProcessTable.ID> = []

        init(
            config: String = ProcessFaults.config, actors: Int, arguments: [String], test: XCTestCase,
            directory: URL? = nil
        ) throws {
            let directory = try directory ?? ProcessFaults.temporaryDirectory(test)
            self.directory = directory
            runDirectory = directory.appendingPathComponent("run")
            process = try ChildProcess(
                ["launch", config, "--actors", "\(actors)", "--run-dir", runDirectory.path] + arguments,
                outputDirectory: directory, name: "launch", test: test)
            let process = self.process
            test.addTeardownBlock { [self] in
                let tree = ProcessTable.descendants(of: process.process.processIdentifier)
                if process.process.isRunning {
                    process.process.interrupt()
                    _ = process.wait(seconds: 10)
                }
                for id in tree.union(descendantsSeen) where ProcessTable.isRunning(id) { kill(id.pid, SIGKILL) }
            }
        }

        var pid: Int32 { process.process.processIdentifier }
        var isRunning: Bool { process.process.isRunning }
        var stdout: String { process.stdout }
        var stderr: String { process.stderr }

        /// The control endpoint `fleet launch` printed, once it has.
        var controlEndpoint: String? {
            stdout.split(separator: "\n").first { $0.contains("fleet status ") }
                .flatMap { $0.components(separatedBy: "fleet status ").last }
                .map { "\($0)/control" }
        }

        /// A status client, once the endpoint is known (waits up to `seconds` for it).
        func statusClient(seconds: Double = 20) throws -> StatusClient {
            let deadline = Date().addingTimeInterval(seconds)
            while controlEndpoint == nil, isRunning, Date() < deadline { usleep(20_000) }
            return try StatusClient(endpoint: try XCTUnwrap(controlEndpoint, "fleet launch printed no endpoint: \(stderr)"))
        }

        /// The running actor child with `--index index`, if any.
        func actor(index: Int) -> ProcessTable.ID? {
            ProcessTable.children(of: pid).first { id in
                let words = ProcessTable.commandLine(of: id.pid)
                return words.dropFirst().first == "actor" && words.firstIndex(of: "--index").map { words[$0 + 1] } == "\(index)"
            }
        }

        /// Notes every process under the launch now (for the teardown and the orphan checks).
        @discardableResult
        func noteDescendants() -> Set<ProcessTable.ID> {
            let tree = ProcessTable.descendants(of: pid)
            descendantsSeen.formUnion(tree)
            return tree
        }

        /// summary.json, parsed.
        func summary() throws -> [String: Any] {
            let data = try Data(contentsOf: runDirectory.appendingPathComponent("summary.json"))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    // MARK: - A learner and actors of our own

    /// A `fleet learner` with ipc endpoints in an owner-only directory, and `fleet actor`
    /// processes started when a test says; every one killed when the test ends if still running.
    final class Cluster {
        let directory: URL
        let socketDirectory: String
        let runDirectory: URL
        let learner: ChildProcess
        /// `--set` overrides given to the learner and every actor.
        let overrides: [String]
        private(set) var actors: [Int: ChildProcess] = [:]
        private var started = 0
        private let test: XCTestCase

        init(overrides: [String], test: XCTestCase) throws {
            self.test = test
            directory = try ProcessFaults.temporaryDirectory(test)
            let sockets = try ProcessFaults.socketDirectory(test)
            chmod(sockets, 0o700)
            socketDirectory = sockets
            runDirectory = directory.appendingPathComponent("run")
            self.overrides = overrides
            let endpoints = ["batches", "weights", "control"].flatMap {
                ["--set", "endpoints.\($0)=ipc://\(sockets)/\($0)"]
            }
            learner = try ChildProcess(
                ["learner", ProcessFaults.config, "--run-dir", runDirectory.path]
                    + overrides.flatMap { ["--set", $0] } + endpoints,
                outputDirectory: directory, name: "learner", test: test)
        }

        var controlEndpoint: String { "ipc://\(socketDirectory)/control" }

        /// Starts `fleet actor … --index index`.
        @discardableResult
        func startActor(index: Int) throws -> ChildProcess {
            let actor = try ChildProcess(
                ["actor", ProcessFaults.config, "--connect", "ipc://\(socketDirectory)", "--index", "\(index)"]
                    + overrides.flatMap { ["--set", $0] },
                outputDirectory: directory, name: "actor-\(index)-\(started)", test: test)
            started += 1
            actors[index] = actor
            return actor
        }

        /// summary.json, parsed.
        func summary() throws -> [String: Any] {
            let data = try Data(contentsOf: runDirectory.appendingPathComponent("summary.json"))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
    }

    // MARK: - The process table

    /// Processes as `/proc` shows them. A process is named by its pid and start time, so that a
    /// reused pid is never taken for the process that had it.
    enum ProcessTable {
        struct ID: Hashable, CustomStringConvertible {
            var pid: Int32
            /// Clock ticks after boot (`/proc/PID/stat` field 22).
            var startTicks: UInt64
            var description: String { "\(pid)" }

            /// Its start, in seconds after boot (``ProcessFaults/now()``'s clock), to 1/CLK_TCK.
            var startSeconds: Double { Double(startTicks) / Double(sysconf(Int32(_SC_CLK_TCK))) }
        }

        /// `/proc/PID/stat`'s fields after the command name: state, ppid, …
        private static func statFields(_ pid: Int32) -> [Substring]? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            return stat[stat.index(after: close)...].split(separator: " ")
        }

        /// The process with `pid` now, unless it is gone or a zombie.
        static func id(of pid: Int32) -> ID? {
            guard let fields = statFields(pid), fields.count > 19, fields[0] != "Z", fields[0] != "X",
                let ticks = UInt64(fields[19])
            else { return nil }
            return ID(pid: pid, startTicks: ticks)
        }

        /// Whether `id` still runs (not gone, not a zombie, its pid not reused).
        static func isRunning(_ id: ID) -> Bool { Self.id(of: id.pid) == id }

        /// `pid`'s state letter (R, S, T, Z, …), nil when it is gone.
        static func state(of pid: Int32) -> Character? { statFields(pid)?.first?.first }

        /// The running children of `parent`: from `/proc/PID/task/*/children` (cheap enough to
        /// look every few ms), else by reading every process's parent.
        static func children(of parent: Int32) -> [ID] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(parent)/task")) ?? []
            if let first = tasks.first, FileManager.default.fileExists(atPath: "/proc/\(parent)/task/\(first)/children") {
                let pids = tasks.flatMap { task in
                    ((try? String(contentsOfFile: "/proc/\(parent)/task/\(task)/children", encoding: .utf8)) ?? "")
                        .split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                }
                return Set(pids).compactMap { id(of: $0) }
            }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap(Int32.init).compactMap { pid in
                guard let fields = statFields(pid), fields.count > 1, Int32(fields[1]) == parent else { return nil }
                return id(of: pid)
            }
        }

        /// Every running process under `root` (children, theirs, …).
        static func descendants(of root: Int32) -> Set<ID> {
            var found: Set<ID> = [], frontier = [root]
            while let parent = frontier.popLast() {
                for child in children(of: parent) where found.insert(child).inserted { frontier.append(child.pid) }
            }
            return found
        }

        /// The words of `pid`'s command line.
        static func commandLine(of pid: Int32) -> [String] {
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
            return command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    // MARK: - Captures

    /// One batch frame found in a capture: whose it is and where it ended.
    struct CapturedBatch {
        var kind: CaptureEntry.Kind
        /// For a dropped batch, why (a rejection reason, or `unconsumed`).
        var reason: String
        var sender: String
        var incarnation: UInt64
        var sequence: UInt64
        var policyVersion: UInt64
        /// The learner's version when it was consumed or dropped.
        var learnerVersion: UInt64
        var frame: [UInt8]
    }

    /// Every batch in the capture files of `directory` whose names start with `prefix`
    /// (`consumed`, `dropped`, `actor-0-i…`), with the damage met (an actor killed mid-write leaves
    /// a torn last record) and the frames that did not decode.
    static func capturedBatches(in directory: URL, prefix: String) throws -> (
        batches: [CapturedBatch], damage: [CaptureReader.Damage], undecodable: Int
    ) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".fleetrec") }.sorted()
        let reader = CaptureReader(files: names.map { directory.appendingPathComponent($0).path })
        var batches: [CapturedBatch] = [], undecodable = 0
        while let located = try reader.next() {
            let entry = located.entry
            guard let frame = try? Frame(decoding: entry.frame), case .trajectoryBatch(let batch) = frame.payload else {
                undecodable += 1
                continue
            }
            batches.append(
                CapturedBatch(
                    kind: entry.kind, reason: entry.reason, sender: frame.envelope.senderID,
                    incarnation: frame.envelope.incarnation, sequence: frame.envelope.sequence,
                    policyVersion: batch.policyVersion, learnerVersion: entry.learnerVersion, frame: entry.frame))
        }
        return (batches, reader.damage, undecodable)
    }

    // MARK: - Figures

    /// Rejection reasons a healthy actor meets (see ``BatchRejection/isMisbehaviour``).
    static let benignRejections: Set<String> = [
        BatchRejection.Reason.stale.rawValue, BatchRejection.Reason.queueFull.rawValue, BatchRejection.Reason.unconsumed.rawValue, BatchRejection.Reason.nonFiniteUpdate.rawValue,
        BatchRejection.Reason.noGroupKept.rawValue,
    ]

    /// `values` as `min / median / max`, in seconds with 2 decimals.
    static func spread(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "-" }
        let sorted = values.sorted()
        let median =
            sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return "\(seconds(sorted.first!))/\(seconds(median))/\(seconds(sorted.last!)) s"
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f", value) }

    /// `duration` in seconds.
    static func seconds(of duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// The load average, for figures taken on a busy machine.
    static var load: String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        return "load \(text.split(separator: " ").prefix(3).joined(separator: " ")) on \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }

    /// A seed for a test's random moments: `FLEET_FAULTS_SEED` when set (to repeat a run), else the clock.
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["FLEET_FAULTS_SEED"].flatMap(UInt64.init)
            ?? UInt64(Date().timeIntervalSince1970 * 1000) % 1_000_000
    }

    /// SplitMix64: random moments that a printed seed repeats.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
