@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest
import FleetClusterTesting
import FleetConfig

/// The learner does not wait for actors that never join or that fall silent, and `fleet status`'s
/// request on the control channel shows where each actor stands.
final class LoopLivenessTests: XCTestCase {
    func testUpdatesGoOnWithoutAnActorThatNeverJoins() throws {
        let config = try loopTestConfig(["num_actors=2", "max_policy_lag=0", "total_timesteps=2048", "join_timeout=0.5"])
        let context = try Context()
        let log = LogLines()
        let learner = try LearnerLoop(
            config: config, context: context, options: .init(stallTimeout: .seconds(20), log: log.logger))
        let actor = ActorThread(index: 0, config: config, context: context, log: log.logger)
        let summary = try learner.run()
        context.shutdown()
        XCTAssertNil(actor.join())
        // The run's four updates, each on actor-0's share alone (2 of the 4 environments, 256 steps).
        XCTAssertEqual(summary.policyVersion, 4)
        XCTAssertEqual(summary.envSteps, 1024)
        XCTAssertEqual(summary.actors, RunSummary.Actors(started: 1, restarts: 0, lost: 0))
        XCTAssertEqual(summary.partialUpdates, 4)
        XCTAssertEqual(summary.stepsShort, 1024)
        XCTAssertEqual(summary.complete, false)
        XCTAssertEqual(summary.ended, .finished)
    }

    func testASilentActorIsLostTheRunGoesOnAndStatusShowsIt() throws {
        // Enough updates after the loss (128) for the status asker, every 50 ms, to see it.
        let config = try loopTestConfig(["num_actors=2", "max_policy_lag=0", "total_timesteps=65536", "actor_timeout=1"])
        let context = try Context()
        let log = LogLines()
        let learner = try LearnerLoop(
            config: config, context: context, options: .init(stallTimeout: .seconds(20), log: log.logger))
        // actor-1 is a stand-in that says Hello and then nothing more.
        let standIn = try Socket(context, .dealer, linger: .zero)
        try standIn.set(.routingID, to: Array("actor-1".utf8))
        try standIn.connect(config.endpoints.control)
        let spec = learner.control.expected
        let hello = Hello(specHash: spec.specHash, numEnvs: UInt32(spec.width), host: "stand-in", pid: 42)
        try standIn.send(
            Frame(envelope: Envelope(senderID: "actor-1", incarnation: 9, sequence: 0), payload: .hello(hello)).encoded())
        let actor = ActorThread(index: 0, config: config, context: context, log: log.logger)
        let asker = StatusAsker(context: context, endpoint: config.endpoints.control)
        let summary = try learner.run()
        let seen = asker.stop()
        context.shutdown()
        XCTAssertNil(actor.join())

        XCTAssertEqual(summary.envSteps, 32768, "128 updates of actor-0's share alone")
        XCTAssertEqual(summary.actors.started, 2)
        XCTAssertTrue(log.lines.contains { $0.contains("actor-1 is lost") }, "\(log.lines)")
        XCTAssertEqual(summary.actors.lost, 1)
        // While actor-1 was live, the update waited with actor-0's batch queued.
        let waiting = try XCTUnwrap(seen.last { $0.actors["actor-1"]?.state == "live" }, "\(seen.count) answers")
        XCTAssertEqual(waiting.actors["actor-1"]?.host, "stand-in")
        XCTAssertEqual(waiting.actors["actor-1"]?.incarnation, 9)
        XCTAssertEqual(waiting.policyVersion, 0)
        XCTAssertEqual(waiting.queue.batches, 1)
        XCTAssertGreaterThan(waiting.queue.bytes, 128 * 2 * 4 * 4)
        XCTAssertEqual(waiting.actors["actor-0"]?.batchesQueued, 1)
        let lost = try XCTUnwrap(seen.first { $0.actors["actor-1"]?.state == "lost" })
        XCTAssertEqual(lost.actors["actor-1"]?.losses, 1)
        XCTAssertEqual(lost.actors["actor-0"]?.state, "live")
        XCTAssertEqual(seen.last?.maxPolicyLag, 0)
    }
}

/// Asks the learner for its status every 50 ms on its own thread and keeps every answer.
private final class StatusAsker: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [LearnerStatus] = []
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init(context: Context, endpoint: String) {
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            guard let socket = try? Socket(context, .dealer, linger: .zero), (try? socket.connect(endpoint)) != nil
            else { return }
            var poller = Poller()
            let index = poller.add(socket)
            var sequence: UInt64 = 0
            while !lock.withLock({ stopped }) {
                let request = Frame(
                    envelope: Envelope(senderID: "status-test", incarnation: 1, sequence: sequence),
                    payload: .statusRequest(StatusRequest()))
                sequence += 1
                guard (try? socket.send(request.encoded())) != nil else { return }
                guard let ready = try? poller.poll(timeout: .milliseconds(50)), ready[index].contains(.readable),
                    let bytes = try? socket.receive(), let frame = try? Frame(decoding: bytes),
                    case .status(let status) = frame.payload, let document = try? LearnerStatus(json: status.json)
                else { continue }
                lock.withLock { answers.append(document) }
                usleep(50_000)
            }
        }
    }

    /// Stops asking and returns the answers.
    func stop() -> [LearnerStatus] {
        lock.withLock { stopped = true }
        done.wait()
        return lock.withLock { answers }
    }
}
