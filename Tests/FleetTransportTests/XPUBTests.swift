import XCTest

@testable import FleetTransport

/// An XPUB with `ZMQ_XPUB_MANUAL`: its owner reads every subscription message and decides what
/// each peer receives, whatever the peer asked.
final class XPUBTests: XCTestCase {
    func testTheOwnerDecidesEachPeersSubscription() throws {
        let context = try Context()
        let xpub = try makeSocket(context, .xpub)
        try xpub.set(.xpubManual, to: true)
        let endpoint = try bindResolved(xpub, "tcp://127.0.0.1:*")
        // One peer asks for a topic that matches nothing the owner sends (an XSUB: a SUB would
        // filter on its side too), another for nothing at all.
        let narrow = try makeSocket(context, .xsub)
        try narrow.connect(endpoint)
        try narrow.send([1] + Array("topic".utf8))
        let silent = try makeSocket(context, .sub)
        try silent.set(.receiveTimeout, to: .milliseconds(200))
        try silent.connect(endpoint)

        try xpub.set(.receiveTimeout, to: .seconds(5))
        let subscription = try xpub.receiveMultipart()
        XCTAssertEqual(subscription, [[1] + Array("topic".utf8)], "the subscription message reaches the owner")
        try xpub.subscribe()  // that peer gets everything
        // The subscription takes effect when the owner's send runs: send until it arrives.
        let deadline = ContinuousClock.now + .seconds(5)
        var received: [UInt8]?
        while received == nil, ContinuousClock.now < deadline {
            try xpub.send(Array("weights".utf8))
            received = try? narrow.receive(flags: .dontWait)
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertEqual(received, Array("weights".utf8), "sent though it matches no topic the peer asked for")
        XCTAssertThrowsError(try silent.receive(), "a peer the owner did not subscribe gets nothing")
    }

    func testAnOversizeSubscriptionDropsThePeerBeforeItIsKept() throws {
        let context = try Context()
        let xpub = try makeSocket(context, .xpub)
        try xpub.set(.xpubManual, to: true)
        try xpub.set(.maxMessageSize, to: 64)
        let endpoint = try bindResolved(xpub, "tcp://127.0.0.1:*")
        let peer = try makeSocket(context, .xsub)
        try peer.connect(endpoint)
        try peer.send([1] + [UInt8](repeating: 7, count: 200))
        try peer.send([1])
        try xpub.set(.receiveTimeout, to: .milliseconds(500))
        XCTAssertThrowsError(try xpub.receiveMultipart(), "the connection was dropped at the oversize message")
    }
}
