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
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        for arguments in [
            ["keygen", "--out", "keys", "--name", "learner"],
            ["keygen", "--out", "keys", "--name", "actor-0", "--name", "actor-1", "--authorize", "keys/authorized_actors"],
        ] {
            let made = try FleetProcess.run(arguments, in: directory)
            XCTAssertEqual(made.status, 0, made.stderr)
        }
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
}
