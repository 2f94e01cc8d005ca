import XCTest

@testable import FleetTransport

final class PatternTests: XCTestCase {
    func testPushPullOverEveryTransport() throws {
        let context = try Context()
        try forEachTransport { transport in
            let pull = try makeSocket(context, .pull)
            let push = try makeSocket(context, .push)
            try push.connect(try bindResolved(pull, transport.bindEndpoint))
            for i in 0..<50 { try push.send("batch \(i)".bytes) }
            for i in 0..<50 { XCTAssertEqual(try pull.receive(), "batch \(i)".bytes, "\(transport)") }
        }
    }

    func testPubSubDeliversANumberedSequenceAfterTheSubscriptionTakesEffect() throws {
        let context = try Context()
        try forEachTransport { transport in
            let pub = try makeSocket(context, .pub)
            let sub = try makeSocket(context, .sub)
            try sub.subscribe(to: "w".bytes)
            try sub.connect(try bindResolved(pub, transport.bindEndpoint))

            // Publish probes until one arrives: from then on the subscription is in effect.
            var probes = 0
            probing: while true {
                try pub.send("w probe".bytes)
                probes += 1
                XCTAssertLessThan(probes, 5_000, "\(transport): the subscription never took effect")
                if probes >= 5_000 { return }
                var poller = Poller()
                _ = poller.add(sub)
                if try poller.poll(timeout: .milliseconds(2))[0].contains(.readable) { break probing }
            }
            try pub.send("x filtered out".bytes)
            for i in 0..<200 { try pub.send("w \(i)".bytes) }

            var received: [String] = []
            while received.count < 200 {
                let text = String(decoding: try sub.receive(), as: UTF8.self)
                if text != "w probe" { received.append(text) }
            }
            XCTAssertEqual(received, (0..<200).map { "w \($0)" }, "\(transport)")
        }
    }

    func testDealerRouterRoundTripWithRoutingIDsAndMultipart() throws {
        let context = try Context()
        try forEachTransport { transport in
            let router = try makeSocket(context, .router)
            let dealer = try makeSocket(context, .dealer)
            try dealer.set(.routingID, to: "actor-7".bytes)
            XCTAssertEqual(try dealer.get(.routingID), "actor-7".bytes)
            try dealer.connect(try bindResolved(router, transport.bindEndpoint))

            try dealer.send(multipart: ["hello".bytes, [], [0, 1, 2, 255]])
            let request = try router.receiveMultipart()
            XCTAssertEqual(request, ["actor-7".bytes, "hello".bytes, [], [0, 1, 2, 255]], "\(transport)")

            try router.send(multipart: [request[0], "welcome".bytes, Array(repeating: 9, count: 100_000)])
            let reply = try dealer.receiveMultipart()
            XCTAssertEqual(reply.count, 2)
            XCTAssertEqual(reply.first, "welcome".bytes)
            XCTAssertEqual(reply.last, Array(repeating: 9, count: 100_000))
        }
    }

    func testRouterMandatoryReportsAnUnknownPeer() throws {
        let context = try Context()
        let router = try makeSocket(context, .router)
        try router.set(.routerMandatory, to: true)
        try router.bind("inproc://router-mandatory")
        XCTAssertThrowsError(try router.send(multipart: ["nobody".bytes, "hi".bytes])) { error in
            XCTAssertEqual(error as? ZMQError, .hostUnreachable)
        }
    }

    func testReceivedMessageHasMoreAcrossFrames() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindResolved(pull, "inproc://has-more"))
        try push.send("a".bytes, flags: .sendMore)
        try push.send("b".bytes)
        var message = try pull.receiveMessage()
        XCTAssertTrue(message.hasMore)
        XCTAssertEqual(message.bytes, "a".bytes)
        try pull.receive(into: &message)
        XCTAssertFalse(message.hasMore)
        XCTAssertEqual(message.bytes, "b".bytes)
    }

    func testUnbindReleasesTheAddress() throws {
        let context = try Context()
        let first = try makeSocket(context, .pull)
        let endpoint = try bindResolved(first, "inproc://unbind")
        try first.unbind(endpoint)
        let second = try makeSocket(context, .pull)
        try second.bind(endpoint)
        let push = try makeSocket(context, .push)
        try push.connect(endpoint)
        try push.send("to the second".bytes)
        XCTAssertEqual(try second.receive(), "to the second".bytes)
        try push.disconnect(endpoint)
        XCTAssertThrowsError(try push.disconnect(endpoint)) {
            XCTAssertEqual($0 as? ZMQError, .noSuchEndpoint)
        }
    }
}
