import FleetClusterTesting
import FleetTransport
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster

/// A learner that gives up for want of batches says what it saw meanwhile: what it refused, by
/// reason and actor, and where each actor stands.
final class StallReportTests: XCTestCase {
    func testTheMessageNamesRefusalsByReasonAndTheActorsStates() {
        let report = StallReport(
            seconds: 15, iteration: 3,
            refused: ["replayed": ["actor-0": 1200], "stale": ["actor-1": 3, "actor-0": 1]],
            actors: [
                .init(id: "actor-0", state: "live", joins: 1, secondsSinceHeard: 0.2, lossesInStall: 0),
                .init(id: "actor-1", state: "lost", joins: 2, secondsSinceHeard: 13.6, lossesInStall: 1),
                .init(id: "actor-2", state: "pending", joins: 0, secondsSinceHeard: nil, lossesInStall: 0),
            ])
        XCTAssertEqual(
            LearnerError.stalled(report).description,
            "learner: no batch accepted for 15 s at iteration 3. In that time 1,204 messages were refused: "
                + "replayed 1,200 (actor-0), stale 4 (actor-1 3, actor-0 1). Actors: 1 live (actor-0), "
                + "1 lost (actor-1, silent 14 s, lost in that time), 1 never joined (actor-2). The actors are sending, "
                + "but what they send is refused: see the reasons above (docs/protocol.md lists them) and the actors' logs.")
    }

    func testNoActorAtAllSaysSo() {
        let report = StallReport(
            seconds: 120, iteration: 0, refused: [:],
            actors: (0..<6).map {
                .init(id: "actor-\($0)", state: "pending", joins: 0, secondsSinceHeard: nil, lossesInStall: 0)
            })
        XCTAssertEqual(
            report.description,
            "no batch accepted for 120 s at iteration 0. Nothing was refused in that time. Actors: 6 never joined "
                + "(actor-0; actor-1; actor-2; actor-3; and 2 more). No actor said Hello: are the actors running, "
                + "with this run's config and keys, and do they reach the learner's endpoints?")
        XCTAssertEqual(StallReport.grouped(0), "0")
        XCTAssertEqual(StallReport.grouped(999), "999")
        XCTAssertEqual(StallReport.grouped(1_234_567), "1,234,567")
    }

    /// actor-0 runs with another number of environments: its Hello is refused and it never joins.
    func testAnActorRefusedForItsSpecEndsTheRunWithTheReason() throws {
        let name = "stall-spec-\(UUID().uuidString)"
        let config = try loopTestConfig(["num_actors=2"], name: name)
        let other = try loopTestConfig(["num_actors=2", "num_envs=6"], name: name)
        let context = try Context()
        let learner = try LearnerLoop(
            config: config, context: context, options: .init(stallTimeout: .seconds(1.5), log: .silent))
        let actor = ActorThread(index: 0, config: other, context: context, log: .silent)
        let report = try stallReport { try learner.run() }
        context.shutdown()
        XCTAssertNotNil(actor.join(), "the refused actor stops")

        XCTAssertEqual(report.refused, ["spec_mismatch": ["actor-0": 1]])
        // Its snapshot request after the Hello was heard: live to the roster, but it never joined.
        XCTAssertEqual(report.actors.map(\.joins), [0, 0])
        let text = LearnerError.stalled(report).description
        XCTAssertTrue(text.hasPrefix("learner: no batch accepted for 1.5 s at iteration 0."), text)
        XCTAssertTrue(text.contains("1 message was refused: spec_mismatch 1 (actor-0)"), text)
        XCTAssertTrue(text.contains("1 heard but never joined (actor-0), 1 never joined (actor-1)"), text)
    }

    /// actor-0 (a stand-in) has one batch taken, then sends it again and again and falls silent:
    /// the replays and its loss are what the learner saw since.
    func testReplayedFramesAndALostActorEndTheRunWithTheReasons() throws {
        let config = try loopTestConfig(["num_actors=2", "actor_timeout=0.5", "join_timeout=60"])
        let context = try Context()
        let learner = try LearnerLoop(
            config: config, context: context, options: .init(stallTimeout: .seconds(1.5), log: .silent))
        let control = try Socket(context, .dealer, linger: .zero)
        try control.set(.routingID, to: Array("actor-0".utf8))
        try control.connect(config.endpoints.control)
        let spec = learner.control.expected
        let hello = Hello(specHash: spec.specHash, numEnvs: UInt32(spec.width), host: "stand-in", pid: 42)
        try control.send(
            Frame(envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: 0), payload: .hello(hello)).encoded())
        // The replays come after the batch was taken, on a read of their own.
        let endpoint = config.endpoints.batches
        let sent = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { sent.signal() }
            guard let batches = try? Socket(context, .push, linger: .zero), (try? batches.connect(endpoint)) != nil
            else { return }
            let batch = cartPoleBatchFrame(sender: "actor-0", sequence: 1, policyVersion: 0, steps: 128, envs: 2)
            try? batches.send(batch)
            Thread.sleep(forTimeInterval: 0.3)
            for _ in 0..<3 { try? batches.send(batch) }
        }
        let report = try stallReport { try learner.run() }
        sent.wait()
        context.shutdown()

        XCTAssertEqual(report.refused, ["replayed": ["actor-0": 3]])
        XCTAssertEqual(report.actors.map(\.state), ["lost", "pending"])
        XCTAssertEqual(report.actors.first?.lossesInStall, 1)
        let text = LearnerError.stalled(report).description
        XCTAssertTrue(text.contains("3 messages were refused: replayed 3 (actor-0)"), text)
        XCTAssertTrue(text.contains("1 lost (actor-0, silent "), text)
        XCTAssertTrue(text.contains(" s, lost in that time), 1 never joined (actor-1)"), text)
    }

    /// The report of the stall `run` ends with.
    private func stallReport(_ run: () throws -> Void) throws -> StallReport {
        do {
            try run()
        } catch LearnerError.stalled(let report) {
            return report
        }
        XCTFail("the run did not stall")
        throw LearnerError.stalled(StallReport(seconds: 0, iteration: 0, refused: [:], actors: []))
    }
}
