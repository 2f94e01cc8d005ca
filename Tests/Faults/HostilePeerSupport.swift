import FleetCluster
import FleetProcessTesting
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// What the hostile-peer fault tests share: a `fleet learner` process training CartPole with a
/// `fleet actor` process over tcp on loopback, plaintext (`insecure: true`) or with CURVE keys
/// (an actor's and an operator's); status asked as anyone; the learner's training rate over a
/// window; and its memory (`/proc/PID/status`). Nested in ``HostilePeers`` (the target is shared).
enum HostilePeers {
    /// Three free tcp ports on loopback (bound and released: another process could take one
    /// meanwhile, which the learner's start would report).
    static func freePorts(_ context: Context) throws -> [Int] {
        var sockets: [Socket] = []
        var ports: [Int] = []
        for _ in 0..<3 {
            let socket = try Socket(context, .rep, linger: .zero)
            try socket.bind("tcp://127.0.0.1:*")
            let endpoint = try XCTUnwrap(try socket.lastEndpoint)
            ports.append(try XCTUnwrap(Int(endpoint.split(separator: ":").last ?? "")))
            sockets.append(socket)
        }
        return ports
    }

    /// Key pairs in an owner-only directory: the learner's, `actor-0`'s, and an `operator` listed
    /// with the operator role.
    struct Keys: Sendable {
        let directory: URL
        let learner: CurveKeyPair
        let actor: CurveKeyPair
        let `operator`: CurveKeyPair

        init(in parent: URL) throws {
            directory = parent.appendingPathComponent("keys")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            learner = try CurveKeyPair.generate()
            actor = try CurveKeyPair.generate()
            `operator` = try CurveKeyPair.generate()
            try CurveKeyFile.write(learner, name: "learner", into: directory)
            try CurveKeyFile.write(actor, name: "actor-0", into: directory)
            try CurveKeyFile.write(`operator`, name: "operator", into: directory)
            let allowList = directory.appendingPathComponent("authorized_actors").path
            try ActorAllowList.authorize([("actor-0", actor.publicKey)], inFile: allowList)
            try ActorAllowList.authorize([("operator", `operator`.publicKey)], role: .operator, inFile: allowList)
        }

        var learnerOverrides: [String] {
            ["curve.learner_secret_key_file=\(directory.path)/learner.key",
                "curve.authorized_actors=\(directory.path)/authorized_actors"]
        }
        var actorOverrides: [String] {
            ["curve.learner_public_key_file=\(directory.path)/learner.pub",
                "curve.actor_secret_key_file=\(directory.path)/{actor_id}.key"]
        }
    }

    /// A learner and one actor, `fleet` processes, on loopback tcp; killed when the test ends.
    final class Cluster {
        let directory: URL
        let learner: ChildProcess
        let actor: ChildProcess
        let keys: Keys?
        let endpoints: (batches: String, weights: String, control: String)
        let context: Context

        init(curve: Bool, test: XCTestCase, overrides: [String] = []) throws {
            directory = try ProcessFaults.temporaryDirectory(test)
            context = try Context()
            let ports = try freePorts(context)
            endpoints = (
                "tcp://127.0.0.1:\(ports[0])", "tcp://127.0.0.1:\(ports[1])", "tcp://127.0.0.1:\(ports[2])"
            )
            keys = curve ? try Keys(in: directory) : nil
            let set = { (values: [String]) in values.flatMap { ["--set", $0] } }
            let shared = [
                "endpoints.batches=\"\(endpoints.batches)\"", "endpoints.weights=\"\(endpoints.weights)\"",
                "endpoints.control=\"\(endpoints.control)\"", "total_timesteps=100000000",
            ] + (curve ? [] : ["insecure=true"]) + overrides
            learner = try ChildProcess(
                ["learner", ProcessFaults.config, "--run-dir", directory.appendingPathComponent("run").path]
                    + set(shared + (keys?.learnerOverrides ?? [])),
                outputDirectory: directory, name: "learner", test: test)
            actor = try ChildProcess(
                ["actor", ProcessFaults.config, "--index", "0"] + set(shared + (keys?.actorOverrides ?? [])),
                outputDirectory: directory, name: "actor", test: test)
        }

        deinit { context.shutdown() }

        var learnerPID: Int32 { learner.process.processIdentifier }

        /// A DEALER on the control endpoint: as the operator under CURVE, plain otherwise.
        func controlPeer(asOperator: Bool = true) throws -> Socket {
            try Self.peer(context, .dealer, endpoints.control, keys: keys, asOperator: asOperator)
        }

        /// What ``peer(_:_:_:keys:asOperator:)`` needs, to make a socket on another thread.
        var peerRecipe: (context: Context, keys: Keys?, endpoints: (batches: String, weights: String, control: String)) {
            (context, keys, endpoints)
        }

        /// A socket of `type` connected to `endpoint`: a CURVE client (the operator's key, or
        /// actor-0's) when `keys` are given.
        static func peer(
            _ context: Context, _ type: SocketType, _ endpoint: String, keys: Keys?, asOperator: Bool = true
        ) throws -> Socket {
            let socket = try Socket(context, type, linger: .zero)
            if let keys { try socket.makeCurveClient(serverPublicKey: keys.learner.publicKey, keys: asOperator ? keys.operator : keys.actor) }
            try socket.connect(endpoint)
            return socket
        }

        /// The learner's status, asked by the operator (CURVE) or a plain peer; nil without an answer.
        func status(timeout: Duration = .seconds(2)) -> LearnerStatus? {
            guard let socket = try? controlPeer() else { return nil }
            let request = Frame(
                envelope: Envelope(senderID: keys == nil ? "fault-status" : "operator", incarnation: 1, sequence: 0),
                payload: .statusRequest(StatusRequest()))
            guard (try? socket.send(request.encoded())) != nil else { return nil }
            var poller = Poller()
            let index = poller.add(socket)
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                guard (try? poller.poll(timeout: .milliseconds(50))[index].contains(.readable)) == true,
                    let bytes = try? socket.receive()
                else { continue }
                if let frame = try? Frame(decoding: bytes), case .status(let status) = frame.payload {
                    return try? LearnerStatus(json: status.json)
                }
            }
            return nil
        }

        /// Asks until `condition` holds (`seconds` at most).
        func waitForStatus(_ what: String, seconds: Double = 60, _ condition: (LearnerStatus) -> Bool) throws -> LearnerStatus {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if let status = status(), condition(status) { return status }
                usleep(50_000)
            }
            XCTFail("\(what): not within \(seconds) s; learner: \(learner.stderr.suffix(2000))")
            throw XCTSkip("gave up")
        }

        /// Environment steps a second over `seconds`, from the learner's counters.
        func stepsPerSecond(over seconds: Double) throws -> Double {
            let first = try waitForStatus("a status") { _ in true }
            let start = ContinuousClock.now
            usleep(useconds_t(seconds * 1e6))
            let last = try waitForStatus("a status") { _ in true }
            return Double(last.envSteps - first.envSteps) / (ContinuousClock.now - start).seconds
        }
    }

    /// Sends `frames` round and round from a thread of its own on the socket `open` makes there,
    /// as fast as libzmq takes them, never reading, until ``stop()``; counts what libzmq took.
    final class Flood: @unchecked Sendable {
        private let lock = NSLock()
        private var stopRequested = false
        private var sentCount = 0
        private let done = DispatchSemaphore(value: 0)

        init(frames: [[UInt8]], open: @escaping @Sendable () throws -> Socket) {
            Thread.detachNewThread { [self] in
                defer { done.signal() }
                guard let socket = try? open() else { return }
                var index = 0
                while !lock.withLock({ stopRequested }) {
                    for _ in 0..<64 {
                        if (try? socket.send(frames[index % frames.count], flags: .dontWait)) != nil { index += 1 }
                    }
                    lock.withLock { sentCount = index }
                }
            }
        }

        /// Stops the thread; returns the messages sent.
        func stop() -> Int {
            lock.withLock { stopRequested = true }
            done.wait()
            done.signal()
            return lock.withLock { sentCount }
        }
    }
}
