import Foundation
import FleetProcessTesting
import XCTest

/// `fleet learner` rereads its allow-list without a restart: on SIGHUP, and when the file changes.
final class AllowListReloadTests: XCTestCase {
    private var config: String {
        TrainTests.packageRoot.appendingPathComponent("cluster/multihost-cartpole-ppo.yaml").path
    }

    private func waitFor(_ text: String, in child: ChildProcess, seconds: Double = 10, poke: (() -> Void)? = nil) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, child.process.isRunning {
            if child.stderr.contains(text) { return true }
            poke?()
            usleep(200_000)
        }
        return child.stderr.contains(text)
    }

    func testTheLearnerRereadsItsAllowListOnSIGHUPAndWhenTheFileChanges() throws {
        let directory = try keyDirectory("fleet-reload", [
            ["keygen", "--out", "keys", "--name", "learner"],
            ["keygen", "--out", "keys", "--name", "actor-0", "--name", "actor-1", "--authorize", "keys/authorized_actors"],
        ])
        // The multi-host config's keys, on loopback ports of the system's choosing.
        let learner = try ChildProcess(
            ["learner", config, "--run-dir", directory.appendingPathComponent("run").path]
                + ["batches", "weights", "control"].flatMap { ["--set", "endpoints.\($0)=tcp://127.0.0.1:*"] },
            outputDirectory: directory, name: "learner", test: self, currentDirectory: directory)
        XCTAssertTrue(waitFor("2 actors on the allow-list keys/authorized_actors", in: learner), learner.stderr)

        // SIGHUP: reread at once, though nothing changed (the handler may not be in place at the very start).
        let pid = learner.process.processIdentifier
        XCTAssertTrue(
            waitFor("allow-list keys/authorized_actors reloaded: 2 listed", in: learner, poke: { kill(pid, SIGHUP) }),
            learner.stderr)
        XCTAssertTrue(learner.process.isRunning, "SIGHUP ended the learner")

        // A changed file: actor-1's line taken out (a new file renamed over the old).
        let list = directory.appendingPathComponent("keys/authorized_actors")
        let kept = try String(contentsOf: list, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("actor-1 ") }
        let replacement = directory.appendingPathComponent("keys/authorized_actors.new")
        try (kept.joined(separator: "\n") + "\n").write(to: replacement, atomically: false, encoding: .utf8)
        XCTAssertEqual(rename(replacement.path, list.path), 0)
        let changedAt = Date()
        XCTAssertTrue(waitFor("reloaded: 1 listed; revoked actor-1: every connection dropped", in: learner), learner.stderr)
        print(String(format: "AllowListReloadTests: the revocation was acted on %.2f s after the file changed", Date().timeIntervalSince(changedAt)))

        learner.process.interrupt()
        XCTAssertEqual(learner.wait(seconds: 10), 130, learner.stderr)
    }

    /// An actor whose key is revoked is cut off; it keeps trying until `learner_timeout` (the key may
    /// be listed again), then exits 5, refused, saying that the allow-list denied its key. The
    /// elastic run goes on with the other actor, every update on a full batch.
    func testARevokedActorExitsRefusedAfterTheLearnerTimeoutAndTheRunGoesOn() throws {
        let directory = try keyDirectory("fleet-revoke", [
            ["keygen", "--out", "keys", "--name", "learner"],
            ["keygen", "--out", "keys", "--name", "actor-0", "--name", "actor-1", "--authorize", "keys/authorized_actors"],
        ])
        let endpoints = try Self.loopbackEndpoints()
        let learner = try startLearner(in: directory, endpoints)
        let actors = try (0..<2).map {
            try ChildProcess(
                ["actor", config, "--index", "\($0)", "--set", "learner_timeout=3", "--set", "total_timesteps=40960"] + endpoints,
                outputDirectory: directory, name: "actor-\($0)", test: self, currentDirectory: directory)
        }
        XCTAssertTrue(waitFor("actor-1 joined", in: learner, seconds: 30), learner.stderr)
        let list = directory.appendingPathComponent("keys/authorized_actors")
        let kept = try String(contentsOf: list, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("actor-1 ") }
        let replacement = directory.appendingPathComponent("keys/authorized_actors.new")
        try (kept.joined(separator: "\n") + "\n").write(to: replacement, atomically: false, encoding: .utf8)
        XCTAssertEqual(rename(replacement.path, list.path), 0)
        let revokedAt = Date()

        XCTAssertEqual(actors[1].wait(seconds: 30), 5, actors[1].stderr)
        let seconds = Date().timeIntervalSince(revokedAt)
        XCTAssertTrue(actors[1].stderr.contains("the learner's allow-list denies this actor's key"), actors[1].stderr)
        XCTAssertTrue(actors[1].stderr.contains("allow-list denied this actor's key"), actors[1].stderr)
        XCTAssertEqual(learner.wait(seconds: 120), 0, learner.stderr)
        XCTAssertEqual(actors[0].wait(seconds: 10), 0, actors[0].stderr)
        let summary = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("run/summary.json"))) as? [String: Any])
        XCTAssertEqual(summary["complete"] as? Bool, true)
        XCTAssertEqual(summary["partial_updates"] as? Int, 0)
        print(String(format: "AllowListReloadTests: the revoked actor exited 5 %.1f s after the revocation (learner_timeout 3 s)", seconds))
    }

    /// An actor started before its key is on the allow-list is denied, dials again, and gets in once
    /// the key is listed (libzmq alone would not retry a denied handshake): the run ends with it.
    func testAnActorListedAfterItStartedGetsIn() throws {
        let directory = try keyDirectory("fleet-late", [
            ["keygen", "--out", "keys", "--name", "learner"],
            ["keygen", "--out", "keys", "--name", "actor-0", "--authorize", "keys/authorized_actors"],
            ["keygen", "--out", "keys", "--name", "actor-1"],
        ])
        let endpoints = try Self.loopbackEndpoints()
        let learner = try startLearner(in: directory, endpoints)
        let late = try ChildProcess(
            ["actor", config, "--index", "1", "--set", "total_timesteps=40960"] + endpoints,
            outputDirectory: directory, name: "actor-1", test: self, currentDirectory: directory)
        XCTAssertTrue(waitFor("refused a connection from 127.0.0.1", in: learner, seconds: 20), learner.stderr)
        XCTAssertTrue(waitFor("the learner's allow-list denies this actor's key", in: late, seconds: 10), late.stderr)
        let key = try String(contentsOf: directory.appendingPathComponent("keys/actor-1.pub"), encoding: .utf8)
        let list = directory.appendingPathComponent("keys/authorized_actors")
        let replacement = directory.appendingPathComponent("keys/authorized_actors.new")
        let listed = try String(contentsOf: list, encoding: .utf8) + "actor-1 \(key.trimmingCharacters(in: .whitespacesAndNewlines))\n"
        try listed.write(to: replacement, atomically: false, encoding: .utf8)
        XCTAssertEqual(rename(replacement.path, list.path), 0)
        let actor = try ChildProcess(
            ["actor", config, "--index", "0", "--set", "total_timesteps=40960"] + endpoints,
            outputDirectory: directory, name: "actor-0", test: self, currentDirectory: directory)
        XCTAssertEqual(learner.wait(seconds: 120), 0, learner.stderr)
        XCTAssertEqual(late.wait(seconds: 10), 0, late.stderr)
        XCTAssertEqual(actor.wait(seconds: 10), 0, actor.stderr)
        XCTAssertTrue(learner.stderr.contains("added actor-1"), learner.stderr)
    }

    /// A fresh directory, removed when the test ends, in which each of `keygens` (`fleet keygen`'s
    /// arguments) has run.
    private func keyDirectory(_ prefix: String, _ keygens: [[String]]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        for arguments in keygens {
            let made = try FleetProcess.run(arguments, in: directory)
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        return directory
    }

    /// `fleet learner` of a 40,960-step run in `directory` (its keys there), on `endpoints`.
    private func startLearner(in directory: URL, _ endpoints: [String]) throws -> ChildProcess {
        try ChildProcess(
            ["learner", config, "--run-dir", directory.appendingPathComponent("run").path, "--set", "total_timesteps=40960"]
                + endpoints,
            outputDirectory: directory, name: "learner", test: self, currentDirectory: directory)
    }

    /// `--set endpoints.*` for the three channels on free loopback tcp ports.
    private static func loopbackEndpoints() throws -> [String] {
        let ports = try (0..<3).map { _ in try freePort() }
        return zip(["batches", "weights", "control"], ports).flatMap { ["--set", "endpoints.\($0)=tcp://127.0.0.1:\($1)"] }
    }

    /// A tcp port nothing listens on now (the system's pick for port 0).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
