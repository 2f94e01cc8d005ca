import FleetClusterTesting
import FleetTransport
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster

/// Control messages the learner cannot take are counted by reason and logged, not dropped in
/// silence: a frame of another schema version, and a message with an extra part.
final class ControlRefusalTests: XCTestCase {
    func testABadControlMessageIsCountedAndLogged() throws {
        let config = try loopTestConfig()
        let context = try Context()
        let log = LogLines()
        let learner = try LearnerLoop(config: config, context: context, options: .init(log: log.logger))
        let dealer = try Socket(context, .dealer, linger: .zero)
        try dealer.connect(config.endpoints.control)
        var oldSchema = Frame(
            envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: 0),
            payload: .hello(Hello(specHash: [], numEnvs: 4, host: "h", pid: 1)))
        oldSchema.envelope.schemaVersion = 0
        try dealer.send(oldSchema.encoded())
        let hello = Frame(
            envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: 1),
            payload: .hello(Hello(specHash: [], numEnvs: 4, host: "h", pid: 1)))
        try dealer.send(multipart: [[], hello.encoded()])

        let deadline = ContinuousClock.now + .seconds(5)
        while learner.rejected.values.reduce(0, +) < 2, ContinuousClock.now < deadline {
            try learner.serviceControl()
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertEqual(learner.rejected, ["unsupported_schema_version": 1, "malformed": 1])
        XCTAssertEqual(learner.status(at: .now).rejectedBySender["actor-0"], ["unsupported_schema_version": 1])
        XCTAssertTrue(log.lines.contains { $0.hasPrefix("learner: rejected a control message") }, "\(log.lines)")
        withExtendedLifetime(learner) {}
    }
}
