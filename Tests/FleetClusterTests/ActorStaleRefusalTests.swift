import FleetClusterTesting
import FleetConfig
import FleetTensor
import FleetTransport
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster

/// An actor whose source does not wait for its batches to be consumed (as a GRPO actor's, here with
/// credits to spare) and that missed a published version: told its batch is stale, it asks for a snapshot and moves on to the
/// learner's version, instead of sampling at the old one for good.
final class ActorStaleRefusalTests: XCTestCase {
    /// A source of small batches made at whatever version the actor holds, recording each version.
    private final class VersionRecordingSource: BatchSource, @unchecked Sendable {
        let parameter = Tensor([0], shape: [1])
        var policyParameters: [(name: String, tensor: Tensor)] { [(name: "w", tensor: parameter)] }
        let policySpec = "version-recording source"
        let specHash = [UInt8](repeating: 7, count: 32)
        let width = 1
        let pacing = BatchPacing.credits
        private let lock = NSLock()
        private var recorded: [UInt64] = []
        var versions: [UInt64] { lock.withLock { recorded } }

        func nextBatch(policyVersion: UInt64, keepAlive: () throws -> Void) throws -> Payload? {
            lock.withLock { recorded.append(policyVersion) }
            usleep(2_000)
            return .heartbeat(Heartbeat(weightsVersion: policyVersion, batchesSent: 0))
        }
    }

    /// The actor loop, run on a thread of its own.
    private final class Running: @unchecked Sendable {
        let actor: ActorLoop
        let done = DispatchSemaphore(value: 0)
        init(_ actor: ActorLoop) {
            self.actor = actor
            Thread { [self] in
                _ = try? self.actor.run()
                self.done.signal()
            }.start()
        }
    }

    func testAStaleRefusalMakesTheActorAskForASnapshotAndMoveOn() throws {
        let config = try loopTestConfig(["max_policy_lag=0"])
        let context = try Context()
        defer { context.shutdown() }
        // The learner's ends, played here: no version is ever published on the weights channel.
        let control = try Socket(context, .router, linger: .zero)
        try control.bind(config.endpoints.control)
        let published = try Socket(context, .pub, linger: .zero)
        try published.bind(config.endpoints.weights)
        let batches = try Socket(context, .pull, linger: .zero)
        try batches.bind(config.endpoints.batches)

        let source = VersionRecordingSource()
        let running = Running(try ActorLoop(index: 0, source: source, config: config, context: context))
        let route = Array("actor-0".utf8)
        func send(_ payload: Payload) throws {
            let frame = Frame(envelope: Envelope(senderID: "learner", incarnation: 1, sequence: 0), payload: payload).encoded()
            try control.send(multipart: [route, frame])
        }
        func weights(_ version: UInt64) -> Payload {
            .weights(Weights(version: version, parameters: source.policyParameters, modelSpec: source.policySpec))
        }
        /// The snapshot requests that come on the control channel within `seconds`.
        func snapshotRequests(within seconds: Double) throws -> Int {
            var count = 0
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                while let parts = try? control.receiveMultipart(flags: .dontWait) {
                    guard let bytes = parts.last, case .snapshotRequest = try Frame(decoding: bytes).payload else { continue }
                    count += 1
                }
                while (try? batches.receive(flags: .dontWait)) != nil {}
                usleep(1_000)
            }
            return count
        }

        // The Hello's snapshot request is answered with version 0; the actor then makes batches at 0.
        XCTAssertGreaterThanOrEqual(try snapshotRequests(within: 0.3), 1)
        try send(weights(0))
        try send(.credit(Credit(batchesTotal: 1_000_000, minVersion: 0)))
        _ = try snapshotRequests(within: 0.3)  // the join's retries still in flight
        XCTAssertTrue(source.versions.contains(0))
        XCTAssertEqual(try snapshotRequests(within: 0.2), 0, "acting at version 0, nothing to ask")

        // The learner moved to version 1 (published, but lost to this actor) and refuses its batch.
        try send(.refusal(Refusal(reason: "stale", detail: "policy lag 1 > max_policy_lag 0", sequence: 1, count: 1)))
        XCTAssertGreaterThanOrEqual(try snapshotRequests(within: 0.5), 1, "a stale refusal asks for a snapshot")
        try send(weights(1))
        _ = try snapshotRequests(within: 0.3)
        XCTAssertEqual(source.versions.last, 1, "batches at the learner's version again: \(source.versions.suffix(5))")

        try send(.shutdown(Shutdown(reason: "test over")))
        XCTAssertEqual(running.done.wait(timeout: .now() + 10), .success)
    }
}
