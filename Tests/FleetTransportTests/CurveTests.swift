import XCTest

@testable import FleetTransport

final class CurveTests: XCTestCase {
    func testKeyPairsAreZ85AndThePublicKeyDerivesFromTheSecret() throws {
        XCTAssertTrue(ZeroMQ.hasCurve)
        let keys = try CurveKeyPair.generate()
        XCTAssertEqual(keys.publicKey.count, 40)
        XCTAssertEqual(keys.secretKey.count, 40)
        XCTAssertNotEqual(keys, try CurveKeyPair.generate())
        XCTAssertEqual(try CurveKeyPair(secretKey: keys.secretKey), keys)
        XCTAssertThrowsError(try CurveKeyPair.publicKey(forSecretKey: "short")) {
            XCTAssertEqual($0 as? ZMQError, .invalidArgument)
        }
    }

    func testACurveClientWithTheServerKeyGetsThroughAndAPlainClientDoesNot() throws {
        let context = try Context()
        let server = try CurveKeyPair.generate()
        let pull = try makeSocket(context, .pull, receiveTimeout: .milliseconds(300))
        try pull.makeCurveServer(secretKey: server.secretKey)
        XCTAssertTrue(try pull.usesCurve)
        let endpoint = try bindResolved(pull, "tcp://127.0.0.1:*")

        let plain = try makeSocket(context, .push)
        try plain.connect(endpoint)
        try plain.send("plain".bytes)
        let wrongKey = try makeSocket(context, .push)
        try wrongKey.makeCurveClient(
            serverPublicKey: try CurveKeyPair.generate().publicKey, keys: try CurveKeyPair.generate())
        try wrongKey.connect(endpoint)
        try wrongKey.send("wrong server key".bytes)

        let client = try makeSocket(context, .push)
        try client.makeCurveClient(serverPublicKey: server.publicKey, keys: try CurveKeyPair.generate())
        try client.connect(endpoint)
        try client.send("sealed".bytes)

        try pull.set(.receiveTimeout, to: .seconds(5))
        XCTAssertEqual(try pull.receive(), "sealed".bytes)
        try pull.set(.receiveTimeout, to: .milliseconds(300))
        XCTAssertThrowsError(try pull.receive(), "a client without the server's key got a message in") {
            XCTAssertEqual($0 as? ZMQError, .wouldBlock)
        }
    }
}
