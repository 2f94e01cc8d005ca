import Foundation
import FleetProcessTesting
import XCTest

/// `fleet keygen`: key files with the modes a secret needs, never replacing one, and the allow-list.
final class KeygenTests: XCTestCase {
    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-keygen") }

    private func mode(_ url: URL) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
    }

    func testKeygenWritesAKeyPairAndAPublicKeyWithTheirModes() throws {
        let directory = try temporaryDirectory()
        let keys = directory.appendingPathComponent("keys")
        let result = try FleetProcess.run(["keygen", "--out", keys.path, "--name", "learner"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try mode(keys), 0o700, "a new key directory is owner-only")
        let secret = keys.appendingPathComponent("learner.key"), publicFile = keys.appendingPathComponent("learner.pub")
        XCTAssertEqual(try mode(secret), 0o600)
        XCTAssertEqual(try mode(publicFile), 0o644)
        let publicKey = try String(contentsOf: publicFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        XCTAssertEqual(publicKey.count, 40)
        let secretText = try String(contentsOf: secret, encoding: .utf8)
        XCTAssertTrue(secretText.contains("public-key \(publicKey)\n"), secretText)
        XCTAssertTrue(secretText.contains("secret-key "), secretText)
        XCTAssertTrue(result.stdout.contains(publicKey), result.stdout)
        print("KeygenTests: learner.key mode \(String(try mode(secret), radix: 8)), learner.pub mode \(String(try mode(publicFile), radix: 8))")

        // Never replaced: the second run fails and the files are as they were.
        let again = try FleetProcess.run(["keygen", "--out", keys.path, "--name", "actor-0", "--name", "learner"])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("learner.key: already exists"), again.stderr)
        XCTAssertEqual(try String(contentsOf: secret, encoding: .utf8), secretText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: keys.appendingPathComponent("actor-0.key").path), "nothing half made")
    }

    func testKeygenAuthorizesActorsInTheAllowList() throws {
        let directory = try temporaryDirectory()
        let first = try FleetProcess.run(
            ["keygen", "--out", "keys", "--name", "actor-0", "--name", "actor-1", "--authorize", "keys/authorized_actors"],
            in: directory)
        XCTAssertEqual(first.status, 0, first.stderr)
        let allowList = directory.appendingPathComponent("keys/authorized_actors")
        let lines = try String(contentsOf: allowList, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        let actor0 = try String(contentsOf: directory.appendingPathComponent("keys/actor-0.pub"), encoding: .utf8)
        XCTAssertEqual(lines.first, "actor-0 " + actor0.trimmingCharacters(in: .newlines))
        XCTAssertEqual(lines.map { $0.split(separator: " ")[0] }, ["actor-0", "actor-1"])

        let more = try FleetProcess.run(["keygen", "--out", "keys", "--name", "actor-2", "--authorize", "keys/authorized_actors"], in: directory)
        XCTAssertEqual(more.status, 0, more.stderr)
        let listed = try String(contentsOf: allowList, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(listed.count, 3)
        // An id already listed is refused before any key is made.
        let twice = try FleetProcess.run(["keygen", "--out", "other", "--name", "actor-1", "--authorize", "keys/authorized_actors"], in: directory)
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.contains("already lists actor-1"), twice.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("other").path))
    }

    func testKeygenAuthorizesAnOperatorKeyWithItsRole() throws {
        let directory = try temporaryDirectory()
        let made = try FleetProcess.run(
            ["keygen", "--out", "keys", "--name", "operator", "--role", "operator", "--authorize", "keys/authorized_actors"],
            in: directory)
        XCTAssertEqual(made.status, 0, made.stderr)
        let key = try String(contentsOf: directory.appendingPathComponent("keys/operator.pub"), encoding: .utf8)
        let lines = try String(contentsOf: directory.appendingPathComponent("keys/authorized_actors"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(lines, ["operator " + key.trimmingCharacters(in: .newlines) + " operator"])
        let alone = try FleetProcess.run(["keygen", "--out", "other", "--name", "ops", "--role", "operator"], in: directory)
        XCTAssertEqual(alone.status, 64, "a role without --authorize")
        XCTAssertTrue(alone.stderr.contains("--authorize"), alone.stderr)
        let unknown = try FleetProcess.run(
            ["keygen", "--out", "other", "--name", "ops", "--role", "admin", "--authorize", "keys/authorized_actors"], in: directory)
        XCTAssertEqual(unknown.status, 64)
    }

    func testKeygenExplainsItselfAndRefusesBadNames() throws {
        let help = try FleetProcess.run(["keygen", "--help"])
        XCTAssertEqual(help.status, 0)
        for text in ["NAME.key", "0600", "--authorize", "curve.authorized_actors", "{actor_id}"] {
            XCTAssertTrue(help.stdout.contains(text), "\(text) in \(help.stdout)")
        }
        let none = try FleetProcess.run(["keygen", "--out", "/tmp"])
        XCTAssertEqual(none.status, 64)
        XCTAssertTrue(none.stderr.contains("--name"), none.stderr)
        let bad = try FleetProcess.run(["keygen", "--out", "/tmp", "--name", "../etc/passwd"])
        XCTAssertEqual(bad.status, 64)
    }
}
