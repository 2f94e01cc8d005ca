@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest
import FleetTestSupport
import FleetClusterTesting
import FleetConfig

/// Key pairs made as `fleet keygen` makes them, in an owner-only directory removed when the test
/// ends: the learner's, and one per name in `names` (actors, an operator), with an allow-list.
struct TestKeys {
    let directory: URL
    let learner: CurveKeyPair
    let peers: [String: CurveKeyPair]
    var allowList: URL { directory.appendingPathComponent("authorized_actors") }

    /// Makes the keys; the allow-list lists `listed` (default: every name).
    static func make(_ names: [String], listed: [String]? = nil, test: XCTestCase) throws -> TestKeys {
        let directory = try makeTemporaryDirectory(test).appendingPathComponent("keys", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let learner = try CurveKeyPair.generate()
        try CurveKeyFile.write(learner, name: "learner", into: directory)
        var peers: [String: CurveKeyPair] = [:]
        for name in names {
            peers[name] = try CurveKeyPair.generate()
            try CurveKeyFile.write(peers[name]!, name: name, into: directory)
        }
        let keys = TestKeys(directory: directory, learner: learner, peers: peers)
        try keys.list(listed ?? names)
        return keys
    }

    /// The `curve.*` overrides of a config that uses these keys.
    var overrides: [String] {
        [
            "curve.learner_secret_key_file=\(directory.appendingPathComponent("learner.key").path)",
            "curve.learner_public_key_file=\(directory.appendingPathComponent("learner.pub").path)",
            "curve.actor_secret_key_file=\(directory.path)/{actor_id}.key",
            "curve.authorized_actors=\(allowList.path)",
        ]
    }

    /// Replaces the allow-list with one of `names` (written aside and renamed, as an operator
    /// would); a name that starts with `operator` is listed with the operator role.
    func list(_ names: [String]) throws {
        let text = names.map { "\($0) \(peers[$0]!.publicKey)\($0.hasPrefix("operator") ? " operator" : "")\n" }.joined()
        let temporary = directory.appendingPathComponent("authorized_actors.new")
        try Data(("# test allow-list\n" + text).utf8).write(to: temporary)
        XCTAssertEqual(rename(temporary.path, allowList.path), 0)
    }
}

/// A CartPole run config on loopback tcp (ephemeral ports) with `keys`, or without any keys.
func tcpTestConfig(_ keys: TestKeys?, _ overrides: [String] = []) throws -> RunConfig {
    try loopTestConfig(
        ["endpoints.batches=\"tcp://127.0.0.1:*\"", "endpoints.weights=\"tcp://127.0.0.1:*\"",
            "endpoints.control=\"tcp://127.0.0.1:*\""] + (keys?.overrides ?? []) + overrides)
}

/// A learner built and run on its own thread (its sockets stay there), until ``stop()``.
final class LearnerThread: @unchecked Sendable {
    private let lock = NSLock()
    private var stopRequested = false
    private let ready = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var endpointsStored: ChannelEndpoints?
    private var outcome: Result<LearnerStatus, any Error>?
    let log = LogLines()

    init(config: RunConfig, context: Context) throws {
        let log = self.log
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            let learner: LearnerLoop
            do {
                learner = try LearnerLoop(
                    config: config, context: context,
                    options: .init(stallTimeout: .seconds(60), log: log.logger, stopRequested: { [self] in
                        lock.withLock { stopRequested }
                    }))
            } catch {
                lock.withLock { outcome = .failure(error) }
                ready.signal()
                return
            }
            lock.withLock { endpointsStored = learner.boundEndpoints }
            ready.signal()
            do {
                try learner.run()
                let status = learner.status(at: .now)
                lock.withLock { outcome = .success(status) }
            } catch {
                lock.withLock { outcome = .failure(error) }
            }
        }
        ready.wait()
        if case .failure(let error) = lock.withLock({ outcome }) { throw error }
    }

    /// Where the learner listens (the ports resolved).
    var endpoints: ChannelEndpoints { lock.withLock { endpointsStored! } }

    /// Stops the learner and returns its final counters.
    func stop() throws -> LearnerStatus {
        lock.withLock { stopRequested = true }
        done.wait()
        done.signal()
        return try lock.withLock { outcome! }.get()
    }

    /// Waits up to `timeout` for a log line containing `text`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.lines.contains(where: { $0.contains(text) }) { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}

/// Asks the learner at `endpoint` for its counters as `name` with `keys` (a CURVE client; plain without).
func askStatus(
    _ context: Context, endpoint: String, as name: String, keys: CurveKeyPair?, learnerKey: String,
    timeout: Duration = .seconds(5)
) throws -> LearnerStatus? {
    let socket = try Socket(context, .dealer, linger: .zero)
    if let keys { try socket.makeCurveClient(serverPublicKey: learnerKey, keys: keys) }
    try socket.connect(endpoint)
    try socket.set(.receiveTimeout, to: timeout)
    let request = Frame(envelope: Envelope(senderID: name, incarnation: 1, sequence: 0), payload: .statusRequest(StatusRequest()))
    try socket.send(request.encoded())
    do {
        guard let frame = try? Frame(decoding: try socket.receive()), case .status(let status) = frame.payload else { return nil }
        return try LearnerStatus(json: status.json)
    } catch ZMQError.wouldBlock {
        return nil
    }
}

extension LearnerStatus {
    /// Messages from `id` that reached the learner's checks: batches accepted plus every refusal counted for it.
    func delivered(from id: String) -> Int {
        (actors[id]?.batchesAccepted ?? 0) + (rejectedBySender[id]?.values.reduce(0, +) ?? 0)
    }

    /// Everything that reached the learner's checks, from anyone.
    var deliveredInAll: Int {
        actors.values.reduce(0) { $0 + $1.batchesAccepted } + rejected.values.reduce(0, +)
    }
}
