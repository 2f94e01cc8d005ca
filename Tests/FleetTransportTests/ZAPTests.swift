import XCTest

@testable import FleetTransport

/// A ZAP handler (RFC 27) in front of a CURVE server: who gets in, as whom, and its replies.
final class ZAPTests: XCTestCase {
    func testTheHandlerAdmitsListedKeysAsTheirUserIDAndNoOneElse() throws {
        let context = try Context()
        let server = try CurveKeyPair.generate(), alice = try CurveKeyPair.generate()
        let handler = try ZAPHandler(context: context) { request in
            guard let key = request.curvePublicKey else { return .deny("CURVE only") }
            return key == alice.publicKey ? .allow(userID: "alice", metadata: ["X-Public-Key": key]) : .deny("unlisted")
        }
        defer { handler.stopAndWait() }
        let pull = try makeSocket(context, .pull)
        try pull.makeCurveServer(secretKey: server.secretKey)
        try pull.set(.zapDomain, to: "test")
        XCTAssertEqual(try pull.get(.zapDomain), "test")
        let endpoint = try bindResolved(pull, "tcp://127.0.0.1:*")

        let plain = try makeSocket(context, .push)
        try plain.connect(endpoint)
        let wrongServerKey = try makeSocket(context, .push)
        try wrongServerKey.makeCurveClient(serverPublicKey: try CurveKeyPair.generate().publicKey, keys: alice)
        try wrongServerKey.connect(endpoint)
        let unlisted = try makeSocket(context, .push)
        try unlisted.makeCurveClient(serverPublicKey: server.publicKey, keys: try CurveKeyPair.generate())
        try unlisted.connect(endpoint)
        let listed = try makeSocket(context, .push)
        try listed.makeCurveClient(serverPublicKey: server.publicKey, keys: alice)
        try listed.connect(endpoint)
        let sent = 5
        for index in 0..<sent {
            for (socket, name) in [(plain, "plain"), (wrongServerKey, "wrong server key"), (unlisted, "unlisted")] {
                try socket.send("\(name) \(index)".bytes, flags: .dontWait)
            }
            try listed.send("alice \(index)".bytes)
        }

        var delivered: [String] = []
        for _ in 0..<sent {
            let (frames, metadata) = try pull.receiveMultipart(
                metadata: [MessageProperty.userID, "X-Public-Key", MessageProperty.peerAddress, "No-Such-Property"])
            XCTAssertEqual(metadata[MessageProperty.userID], "alice")
            XCTAssertEqual(metadata["X-Public-Key"], alice.publicKey)
            XCTAssertEqual(metadata[MessageProperty.peerAddress], "127.0.0.1")
            XCTAssertNil(metadata["No-Such-Property"])
            delivered.append(String(decoding: frames[0], as: UTF8.self))
        }
        try pull.set(.receiveTimeout, to: .milliseconds(300))
        XCTAssertThrowsError(try pull.receive(), "a refused client's message got in") {
            XCTAssertEqual($0 as? ZMQError, .wouldBlock)
        }
        XCTAssertEqual(delivered, (0..<sent).map { "alice \($0)" })
        // Asked about alice and the unlisted key; plain and wrong-server-key peers fail the handshake before.
        XCTAssertGreaterThanOrEqual(handler.answered, 2)
    }

    func testAReceivedMessageCarriesItsConnectionsUserID() throws {
        let context = try Context()
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let handler = try ZAPHandler(context: context) { _ in .allow(userID: "client-7") }
        defer { handler.stopAndWait() }
        let pull = try makeSocket(context, .pull)
        try pull.makeCurveServer(secretKey: server.secretKey)
        let push = try makeSocket(context, .push)
        try push.makeCurveClient(serverPublicKey: server.publicKey, keys: client)
        try push.connect(try bindResolved(pull, "tcp://127.0.0.1:*"))
        try push.send("x".bytes)
        let message = try pull.receiveMessage()
        XCTAssertEqual(message.userID, "client-7")
        XCTAssertEqual(message.bytes, "x".bytes)

        // Without a handler's say (inproc), there is no user id.
        let inproc = try makeSocket(context, .pull)
        try inproc.bind("inproc://zap-none")
        let sender = try makeSocket(context, .push)
        try sender.connect("inproc://zap-none")
        try sender.send("y".bytes)
        XCTAssertNil(try inproc.receiveMessage().userID)
    }

    /// A ROUTER polled before the receive gives its routing-id frame no metadata; the message's
    /// other frames carry it, and `receiveMultipart(metadata:)` finds it there.
    func testAPolledRoutersMessagesCarryTheUserID() throws {
        let context = try Context()
        let server = try CurveKeyPair.generate()
        let handler = try ZAPHandler(context: context) { _ in .allow(userID: "actor-5") }
        defer { handler.stopAndWait() }
        let router = try makeSocket(context, .router)
        try router.makeCurveServer(secretKey: server.secretKey)
        let dealer = try makeSocket(context, .dealer)
        try dealer.set(.routingID, to: "d".bytes)
        try dealer.makeCurveClient(serverPublicKey: server.publicKey, keys: try CurveKeyPair.generate())
        try dealer.connect(try bindResolved(router, "tcp://127.0.0.1:*"))
        try dealer.send("hello".bytes)
        var poller = Poller()
        let index = poller.add(router)
        XCTAssertTrue(try poller.poll(timeout: .seconds(5))[index].contains(.readable))
        let (frames, metadata) = try router.receiveMultipart(flags: .dontWait, metadata: [MessageProperty.userID])
        XCTAssertEqual(frames, ["d".bytes, "hello".bytes])
        XCTAssertEqual(metadata[MessageProperty.userID], "actor-5")
    }

    func testRepliesFollowRFC27() throws {
        let context = try Context()
        let key = try CurveKeyPair.generate()
        let handler = try ZAPHandler(context: context) { request in
            request.curvePublicKey == key.publicKey ? .allow(userID: "actor-3", metadata: ["X-A": "b"]) : .deny("not listed")
        }
        defer { handler.stopAndWait() }
        let requester = try makeSocket(context, .req)
        try requester.connect(ZAPHandler.endpoint)
        func ask(_ frames: [[UInt8]]) throws -> [[UInt8]] {
            try requester.send(multipart: frames)
            return try requester.receiveMultipart()
        }
        let keyBytes = try XCTUnwrap(Z85.decode(key.publicKey))
        let request: [[UInt8]] = ["1.0".bytes, "17".bytes, "fleet".bytes, "10.0.0.2".bytes, [], "CURVE".bytes, keyBytes]

        let allowed = try ask(request)
        XCTAssertEqual(allowed.count, 6)
        XCTAssertEqual(allowed[0], "1.0".bytes)
        XCTAssertEqual(allowed[1], "17".bytes, "the request id is echoed")
        XCTAssertEqual(allowed[2], "200".bytes)
        XCTAssertEqual(allowed[4], "actor-3".bytes)
        XCTAssertEqual(allowed[5], [3] + "X-A".bytes + [0, 0, 0, 1] + "b".bytes, "ZMTP metadata")

        var stranger = request
        stranger[1] = "18".bytes
        stranger[6] = try XCTUnwrap(Z85.decode(try CurveKeyPair.generate().publicKey))
        let denied = try ask(stranger)
        XCTAssertEqual(denied[1], "18".bytes)
        XCTAssertEqual(denied[2], "400".bytes)
        XCTAssertEqual(denied[3], "not listed".bytes)
        XCTAssertEqual(denied[4], [], "no user id for a refused peer")

        var future = request
        future[0] = "2.0".bytes
        XCTAssertEqual(try ask(future)[2], "500".bytes)
        let malformed = try ask(["1.0".bytes, "19".bytes, "fleet".bytes])
        XCTAssertEqual(malformed[1], "19".bytes)
        XCTAssertEqual(malformed[2], "500".bytes)
        XCTAssertEqual(handler.answered, 4)
    }

    func testOneHandlerPerContext() throws {
        let context = try Context()
        let first = try ZAPHandler(context: context) { _ in .deny("no") }
        XCTAssertThrowsError(try ZAPHandler(context: context, bindWait: .zero) { _ in .deny("no") }) {
            XCTAssertEqual($0 as? ZMQError, .addressInUse)
        }
        first.stop()
        // Once stopped, the endpoint is free again (within the handler's poll interval).
        let second = try ZAPHandler(context: context) { _ in .deny("no") }
        second.stopAndWait()
    }

    func testZ85RoundTripsKeysAndRefusesWhatIsNotZ85() throws {
        let keys = try CurveKeyPair.generate()
        let bytes = try XCTUnwrap(Z85.decode(keys.publicKey))
        XCTAssertEqual(bytes.count, 32)
        XCTAssertEqual(Z85.encode(bytes), keys.publicKey)
        XCTAssertTrue(Z85.isKey(keys.secretKey))
        XCTAssertFalse(Z85.isKey(String(keys.publicKey.dropLast())))
        XCTAssertFalse(Z85.isKey(String(repeating: "~", count: 40)), "~ is not in the alphabet")
        XCTAssertFalse(Z85.isKey(String(repeating: " ", count: 40)))
        XCTAssertNil(Z85.encode([1, 2, 3]))
    }
}
