import FleetWire
import XCTest

@testable import FleetCluster

/// The control protocol without sockets: Hello and Welcome, strangers told to shut down, actors
/// lost and back, snapshot requests while batches wait, routes kept for Shutdown.
final class ControlProtocolTests: XCTestCase {
    private var roster = ActorRoster(ids: ["actor-0", "actor-1"], actorTimeout: .seconds(1), joinTimeout: .seconds(30))
    private var weightSync = WeightSyncTracker()
    private static let spec = ActorSpec(subject: "CartPole-v1", policySpec: "policy\n", width: 4, numSteps: 8)
    private var control = ControlProtocol(expected: ControlProtocolTests.spec)

    private func handle(
        _ payload: Payload, from sender: String, incarnation: UInt64 = 1, at now: ContinuousClock.Instant = .now,
        version: UInt64 = 3, queued: Int = 0
    ) -> (reply: ControlProtocol.Reply, events: [ControlProtocol.Event]) {
        let frame = Frame(envelope: Envelope(senderID: sender, incarnation: incarnation, sequence: 0), payload: payload)
        return control.handle(
            frame, from: sender, route: Array(sender.utf8), at: now, roster: &roster, weightSync: &weightSync,
            version: version, queued: queued)
    }

    private let hello = Payload.hello(Hello(specHash: ControlProtocolTests.spec.specHash, numEnvs: 4, host: "h", pid: 7))

    func testAHelloIsWelcomedOnceAndAStrangerIsToldToShutDown() {
        let first = handle(hello, from: "actor-0")
        XCTAssertEqual(first.reply, .welcome)
        XCTAssertEqual(first.events, [.joined(host: "h", pid: 7, incarnation: 1)])
        XCTAssertEqual(handle(hello, from: "actor-0").events, [], "the same incarnation again: no new join")
        XCTAssertEqual(handle(hello, from: "actor-9").reply, .shutdown(reason: "actor-9 is not an actor of this run"))
        XCTAssertEqual(control.routes.keys.sorted(), ["actor-0"])
    }

    func testALostActorHeardAgainIsBack() {
        let start = ContinuousClock.now
        _ = handle(hello, from: "actor-1", at: start)
        XCTAssertEqual(roster.loseSilentActors(at: start + .seconds(2)), ["actor-1"])
        let heartbeat = handle(.heartbeat(Heartbeat(weightsVersion: 3, batchesSent: 1)), from: "actor-1", at: start + .seconds(3))
        XCTAssertEqual(heartbeat.reply, .none)
        XCTAssertEqual(heartbeat.events, [.back])
    }

    func testASnapshotRequestAtTheCurrentVersionWhileItsBatchesWaitGetsNoReply() {
        let start = ContinuousClock.now
        _ = handle(hello, from: "actor-0", at: start)
        let later = start + ChannelLimits.snapshotInterval
        XCTAssertEqual(handle(.snapshotRequest(SnapshotRequest(haveVersion: 3)), from: "actor-0", at: start, queued: 1).reply, .none)
        XCTAssertEqual(handle(.snapshotRequest(SnapshotRequest(haveVersion: 3)), from: "actor-0", at: start, queued: 0).reply, .weights)
        XCTAssertEqual(handle(.snapshotRequest(SnapshotRequest(haveVersion: 2)), from: "actor-0", at: later, queued: 1).reply, .weights)
        XCTAssertEqual(handle(.statusRequest(StatusRequest()), from: "actor-0").reply, .status)
    }

    func testSnapshotsGoOnlyToTheRunsActorsAndAtMostOnePerInterval() {
        let start = ContinuousClock.now
        let request = Payload.snapshotRequest(SnapshotRequest(haveVersion: 0))
        let stranger = handle(request, from: "operator", at: start)
        XCTAssertEqual(stranger.reply, .none)
        XCTAssertEqual(stranger.events.map(\.reason), [BatchRejection.Reason.unknownSender])
        XCTAssertEqual(handle(request, from: "actor-0", at: start).reply, .weights)
        let half = start + ChannelLimits.snapshotInterval / 2
        let again = handle(request, from: "actor-0", at: half)
        XCTAssertEqual(again.reply, .none, "owed: sent when the interval ends")
        XCTAssertEqual(again.events, [])
        let third = handle(request, from: "actor-0", at: half)
        XCTAssertEqual(third.reply, .none)
        XCTAssertEqual(third.events.map(\.reason), [BatchRejection.Reason.rateLimited])
        XCTAssertEqual(control.takeOwedSnapshots(at: half), [])
        XCTAssertEqual(control.takeOwedSnapshots(at: start + ChannelLimits.snapshotInterval), [Array("actor-0".utf8)])
        XCTAssertEqual(handle(request, from: "actor-1", at: start).reply, .weights, "each actor has its own interval")
        XCTAssertEqual(handle(request, from: "actor-0", at: start + ChannelLimits.snapshotInterval * 2).reply, .weights)
    }

    func testMessagesOfStrangersAndOfOtherKindsAreRefusedNotIgnored() {
        for payload in [
            Payload.heartbeat(Heartbeat(weightsVersion: 0, batchesSent: 0)), .stats(Stats(scalars: [])), hello,
        ] {
            XCTAssertEqual(handle(payload, from: "actor-9").events.map(\.reason), [BatchRejection.Reason.unknownSender])
        }
        let batch = handle(.shutdown(Shutdown(reason: "x")), from: "actor-0")
        XCTAssertEqual(batch.events.map(\.reason), [BatchRejection.Reason.unexpectedPayload])
    }

    func testAHelloOfAnotherSpecOrWidthIsToldWhyAndCounted() {
        let other = handle(.hello(Hello(specHash: [0, 0, 0], numEnvs: 4, host: "h", pid: 7)), from: "actor-0")
        guard case .shutdown(let reason) = other.reply else { return XCTFail("\(other.reply)") }
        XCTAssertTrue(reason.hasPrefix("spec hash 000000 is not this run's "), reason)
        guard case .refused(let rejection) = other.events.first else { return XCTFail("\(other.events)") }
        XCTAssertEqual(rejection.reason, .specMismatch)
        XCTAssertEqual(rejection.sender, "actor-0")
        let wider = handle(.hello(Hello(specHash: ControlProtocolTests.spec.specHash, numEnvs: 8, host: "h", pid: 7)), from: "actor-0")
        XCTAssertEqual(wider.reply, .shutdown(reason: "8 environments (or prompts) per batch, this run's actors have 4"))
        XCTAssertEqual(roster.records["actor-0"]?.joins, 0, "neither joined")
        XCTAssertTrue(control.routes.isEmpty)
    }
}

extension ControlProtocol.Event {
    /// The reason of a refusal; nil for other events.
    fileprivate var reason: BatchRejection.Reason? {
        if case .refused(let rejection) = self { rejection.reason } else { nil }
    }
}
