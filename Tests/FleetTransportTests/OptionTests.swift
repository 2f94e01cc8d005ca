import XCTest

@testable import FleetTransport

final class OptionTests: XCTestCase {
    func testOptionsReadBackWhatWasSet() throws {
        let context = try Context(ioThreads: 2)
        let socket = try Socket(context, .dealer)
        XCTAssertEqual(try socket.get(.linger), Socket.defaultLinger)
        XCTAssertNil(try socket.lastEndpoint)

        try socket.set(.sendHighWaterMark, to: 10)
        try socket.set(.receiveHighWaterMark, to: 20)
        XCTAssertEqual(try socket.get(.sendHighWaterMark), 10)
        XCTAssertEqual(try socket.get(.receiveHighWaterMark), 20)

        try socket.set(.linger, to: nil)
        XCTAssertNil(try socket.get(.linger))
        try socket.set(.linger, to: .milliseconds(250))
        XCTAssertEqual(try socket.get(.linger), .milliseconds(250))

        XCTAssertNil(try socket.get(.receiveTimeout))
        try socket.set(.receiveTimeout, to: .seconds(2))
        try socket.set(.sendTimeout, to: .zero)
        XCTAssertEqual(try socket.get(.receiveTimeout), .seconds(2))
        XCTAssertEqual(try socket.get(.sendTimeout), .zero)

        try socket.set(.heartbeatInterval, to: .milliseconds(100))
        try socket.set(.heartbeatTimeout, to: .milliseconds(500))
        try socket.set(.heartbeatTTL, to: .seconds(1))
        XCTAssertEqual(try socket.get(.heartbeatInterval), .milliseconds(100))
        XCTAssertEqual(try socket.get(.heartbeatTimeout), .milliseconds(500))
        XCTAssertEqual(try socket.get(.heartbeatTTL), .seconds(1))

        try socket.set(.reconnectInterval, to: .milliseconds(50))
        try socket.set(.reconnectIntervalMax, to: .seconds(3))
        XCTAssertEqual(try socket.get(.reconnectInterval), .milliseconds(50))
        XCTAssertEqual(try socket.get(.reconnectIntervalMax), .seconds(3))

        XCTAssertNil(try socket.get(.maxMessageSize))
        try socket.set(.maxMessageSize, to: 1 << 20)
        XCTAssertEqual(try socket.get(.maxMessageSize), 1 << 20)

        try socket.set(.immediate, to: true)
        XCTAssertTrue(try socket.get(.immediate))
        XCTAssertFalse(try socket.usesCurve)
    }

    func testInvalidOptionValuesAreNamedInTheError() throws {
        let context = try Context()
        let socket = try Socket(context, .dealer)
        XCTAssertThrowsError(try socket.set(.routingID, to: [])) { error in
            XCTAssertEqual(error as? ZMQError, .invalidArgument)
            XCTAssertEqual((error as? ZMQError)?.operation, "zmq_setsockopt ZMQ_ROUTING_ID")
        }
        XCTAssertThrowsError(try socket.subscribe(to: [1])) {
            XCTAssertEqual($0 as? ZMQError, .invalidArgument)  // not a SUB socket
        }
    }
}
