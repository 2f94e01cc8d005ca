@testable import FleetCluster
import FleetTransport
import Foundation
import XCTest
import FleetTestSupport
import FleetConfig

/// Key files as `fleet keygen` writes them, and the allow-list: its format, additions, reloads
/// and revocations.
final class KeyFileTests: XCTestCase {
    private func mode(_ url: URL) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
    }

    func testKeyFilesRoundTripWithOwnerOnlySecretsAndNeverReplaceAKey() throws {
        let directory = try makeTemporaryDirectory(self)
        let keys = try CurveKeyPair.generate()
        let files = try CurveKeyFile.write(keys, name: "actor-0", into: directory)
        XCTAssertEqual(files.secret.lastPathComponent, "actor-0.key")
        XCTAssertEqual(files.public.lastPathComponent, "actor-0.pub")
        XCTAssertEqual(try mode(files.secret), 0o600)
        XCTAssertEqual(try mode(files.public), 0o644)
        XCTAssertEqual(try String(contentsOf: files.public, encoding: .utf8), keys.publicKey + "\n")
        XCTAssertEqual(try CurveKeyFile.readKeyPair(at: files.secret.path), keys)
        XCTAssertEqual(try CurveKeyFile.readPublicKey(at: files.public.path), keys.publicKey)

        XCTAssertThrowsError(try CurveKeyFile.write(try CurveKeyPair.generate(), name: "actor-0", into: directory)) {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }
        XCTAssertEqual(try CurveKeyFile.readKeyPair(at: files.secret.path), keys, "the first key stays")
        XCTAssertThrowsError(try CurveKeyFile.write(keys, name: "../x", into: directory))
        XCTAssertFalse(CurveKeyFile.isValidName("-rf"))
        XCTAssertTrue(CurveKeyFile.isValidName("actor-12"))
    }

    func testAKeyFileWhosePublicKeyIsNotItsSecretsIsRefused() throws {
        let directory = try makeTemporaryDirectory(self)
        let keys = try CurveKeyPair.generate(), other = try CurveKeyPair.generate()
        let file = directory.appendingPathComponent("mixed.key")
        try Data("public-key \(other.publicKey)\nsecret-key \(keys.secretKey)\n".utf8).write(to: file)
        XCTAssertEqual(chmod(file.path, 0o600), 0)
        XCTAssertThrowsError(try CurveKeyFile.readKeyPair(at: file.path)) {
            XCTAssertTrue("\($0)".contains("does not belong"), "\($0)")
        }
        try Data("secret-key short\n".utf8).write(to: file)
        XCTAssertThrowsError(try CurveKeyFile.readKeyPair(at: file.path)) {
            XCTAssertEqual(($0 as? KeyFileError)?.line, 1)
        }
    }

    func testTheAllowListFormatAndWhatItRefuses() throws {
        let a = try CurveKeyPair.generate().publicKey, b = try CurveKeyPair.generate().publicKey
        XCTAssertEqual(
            try ActorAllowList.parse("# c\n\n  actor-0 \(a)  \nactor-1\t\(b)\n", path: "list"), ["actor-0": a, "actor-1": b])
        let cases: [(String, String)] = [
            ("actor-0 \(a)\nactor-0 \(b)\n", "listed twice"),
            ("actor-0 \(a)\nactor-1 \(a)\n", "same key as actor-0"),
            ("actor-0\n", "expected 'ID PUBLIC-KEY [actor|operator]'"),
            ("actor-0 \(a) extra\n", "role 'extra' is neither 'actor' nor 'operator'"),
            ("actor-0 \(a) operator extra\n", "expected 'ID PUBLIC-KEY [actor|operator]'"),
            ("actor/0 \(a)\n", "is not an actor id"),
        ]
        for (text, problem) in cases {
            XCTAssertThrowsError(try ActorAllowList.parse(text, path: "list")) {
                XCTAssertTrue("\($0)".contains(problem), "\($0) for \(text)")
            }
        }
    }

    func testAuthorizingAddsLinesAndRefusesAnIDAlreadyListed() throws {
        let directory = try makeTemporaryDirectory(self)
        let file = directory.appendingPathComponent("authorized_actors").path
        let a = try CurveKeyPair.generate().publicKey, b = try CurveKeyPair.generate().publicKey
        try ActorAllowList.authorize([("actor-0", a)], inFile: file)
        try ActorAllowList.authorize([("actor-1", b)], inFile: file)
        XCTAssertEqual(try ActorAllowList(path: file).entries, ["actor-0": a, "actor-1": b])
        XCTAssertEqual(try mode(URL(fileURLWithPath: file)), 0o644)
        XCTAssertTrue(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("# Fleet allow-list"))
        XCTAssertThrowsError(try ActorAllowList.authorize([("actor-1", try CurveKeyPair.generate().publicKey)], inFile: file)) {
            XCTAssertTrue("\($0)".contains("already lists actor-1"), "\($0)")
        }
        XCTAssertEqual(try ActorAllowList(path: file).entries.count, 2)
    }

    func testTheAllowListRereadsItsFileWhenItChangesAndReportsRevocations() throws {
        let keys = try TestKeys.make(["actor-0", "actor-1"], test: self)
        let list = try ActorAllowList(path: keys.allowList.path)
        let request = { (key: String) in
            ZAPRequest(
                requestID: [1], domain: "fleet", address: "10.0.0.9", routingID: [], mechanism: "CURVE",
                credentials: [Z85.decode(key)!])
        }
        let actor1 = keys.peers["actor-1"]!.publicKey
        XCTAssertEqual(
            list.authenticate(request(actor1)),
            .allow(userID: "actor-1", metadata: ["X-Public-Key": actor1, "X-Fleet-Role": "actor"]))
        XCTAssertTrue(list.isListed("actor-1", key: actor1))

        try keys.list(["actor-0"])
        let start = ContinuousClock.now
        list.reloadIfDue(now: start)  // within a second of the last look: not yet
        XCTAssertTrue(list.isListed("actor-1", key: actor1))
        list.reloadIfDue(now: start + ActorAllowList.checkInterval)
        XCTAssertFalse(list.isListed("actor-1", key: actor1))
        XCTAssertEqual(list.takeEvents(), [.reloaded(listed: 1, added: [], revoked: ["actor-1"])])
        guard case .deny = list.authenticate(request(actor1)) else { return XCTFail("a revoked key got in") }
        XCTAssertEqual(list.takeEvents(), [.refused(key: actor1, address: "10.0.0.9", count: 1)])
        for _ in 0..<9 { _ = list.authenticate(request(actor1)) }
        XCTAssertEqual(list.takeEvents(), [.refused(key: actor1, address: "10.0.0.9", count: 10)], "1, 10, 100, ...")

        // A file that cannot be parsed leaves the last good list; a requested reload rereads at once.
        try Data("actor-0 garbage\n".utf8).write(to: keys.allowList)
        list.requestReload()
        list.reloadIfDue()
        guard case .unusable = list.takeEvents().first else { return XCTFail("the bad file was not reported") }
        XCTAssertEqual(list.entries.keys.sorted(), ["actor-0"])
        // A key given to an id anew revokes the old one.
        let replaced = try CurveKeyPair.generate().publicKey
        try Data("actor-0 \(replaced)\nactor-1 \(actor1)\n".utf8).write(to: keys.allowList)
        list.requestReload()
        list.reloadIfDue()
        XCTAssertEqual(list.takeEvents(), [.reloaded(listed: 2, added: ["actor-0", "actor-1"], revoked: ["actor-0"])])
        guard case .deny = list.authenticate(request("0000000000000000000000000000000000000000")) else {
            return XCTFail("an unlisted key got in")
        }
        guard case .deny = list.authenticate(ZAPRequest(requestID: [], domain: "", address: "", routingID: [], mechanism: "NULL", credentials: []))
        else { return XCTFail("a NULL peer got in") }
    }
}
