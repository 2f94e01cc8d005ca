import Foundation
import FleetProcessTesting
import XCTest

/// RELIABILITY test 2: `kill -9` of `fleet learner` at random moments, also while it writes a
/// checkpoint (`checkpoint_every` 1, so a write is under way much of the time). Each restart with
/// `--resume` must find a valid checkpoint (passing over a torn newest one), go on at a version
/// no lower than any it published, and be trained on by the same actor processes, which reconnect
/// by themselves. The last restart runs to the end; the capture of the whole run then replays to
/// its final weights with no batch consumed twice.
///
/// Three trials by default; `FLEET_LEARNER_KILL_TRIALS=20` for the full figure.
final class LearnerKillTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    /// A fresh short owner-only directory (ipc socket paths must stay short), removed when the test ends.
    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-kill") }

    /// The policy versions of the lines of `metrics.jsonl` (one per update, in the order written).
    private func loggedVersions(_ runDir: URL) -> [Int] {
        let text = (try? String(contentsOf: runDir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return (object["pipeline/policy_version"] as? Double).map { Int($0) }
        }
    }

    /// Waits (bounded) until `metrics.jsonl` has more than `lines` lines; returns when it did, and
    /// when the learner had said it resumed (if it did by then), or nil.
    private func waitForUpdate(
        after lines: Int, _ runDir: URL, _ learner: ChildProcess, seconds: Double = 60
    ) -> (update: Date, resumed: Date?)? {
        let deadline = Date().addingTimeInterval(seconds)
        var resumed: Date?
        while Date() < deadline && learner.process.isRunning {
            if resumed == nil, learner.stderr.contains("learner: resumed from ") { resumed = Date() }
            if loggedVersions(runDir).count > lines { return (Date(), resumed) }
            usleep(5_000)
        }
        return nil
    }

    /// The newest checkpoint directory, and whether it lacks its manifest (a write cut short).
    private func newestCheckpoint(_ runDir: URL) -> (name: String, torn: Bool)? {
        let directory = runDir.appendingPathComponent("checkpoints")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix("version-") }
        func key(_ name: String) -> (Int, Int) {
            let parts = name.dropFirst("version-".count).split(separator: ".")
            return (Int(parts[0]) ?? -1, parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
        }
        guard let newest = names.max(by: { key($0) < key($1) }) else { return nil }
        let manifest = directory.appendingPathComponent(newest).appendingPathComponent("manifest.json")
        return (newest, !FileManager.default.fileExists(atPath: manifest.path))
    }

    func testKillingTheLearnerAtRandomMomentsAlwaysLeavesAValidCheckpointToResumeFrom() throws {
        let trials = Int(ProcessInfo.processInfo.environment["FLEET_LEARNER_KILL_TRIALS"] ?? "") ?? 3
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        // Small updates (4 envs x 32 steps, one epoch), a checkpoint before every version goes out.
        let settings =
            [
                "total_timesteps=\(128 * (10 * trials + 30))", "num_steps=32", "update_epochs=1", "num_actors=2",
                "max_policy_lag=1", "checkpoint_every=1", "capture=true",
            ]
            + ["batches", "weights", "control"].map { "endpoints.\($0)=ipc://\(directory.path)/\($0)" }
        let arguments = [config, "--run-dir", runDir.path] + settings.flatMap { ["--set", $0] }
        func startLearner(_ name: String, resume: Bool) throws -> ChildProcess {
            try ChildProcess(
                ["learner"] + arguments + (resume ? ["--resume"] : []), outputDirectory: directory, name: name, test: self)
        }

        var learner = try startLearner("learner-0", resume: false)
        let actors = try (0..<2).map {
            try ChildProcess(
                ["actor", config, "--connect", "ipc://\(directory.path)", "--index", "\($0)"]
                    + ["num_actors=2", "num_steps=32", "update_epochs=1"].flatMap { ["--set", $0] },
                outputDirectory: directory, name: "actor-\($0)", test: self)
        }
        XCTAssertNotNil(waitForUpdate(after: 0, runDir, learner), learner.stderr)

        var generator = SystemRandomNumberGenerator()
        var recoverySeconds: [Double] = [], restartSeconds: [Double] = [], loadSeconds: [Double] = []
        var validResumes = 0, tornAtKill = 0, fellBack = 0
        for trial in 1...trials {
            // Let it train a random while (a few updates, each with its checkpoint), then kill -9.
            usleep(UInt32.random(in: 50_000...600_000, using: &generator))
            XCTAssertTrue(learner.process.isRunning, "trial \(trial): the learner ended early\n\(learner.stderr)")
            kill(learner.process.processIdentifier, SIGKILL)
            learner.process.waitUntilExit()
            let killed = Date()
            let published = loggedVersions(runDir).max() ?? 0
            let linesBefore = loggedVersions(runDir).count
            if newestCheckpoint(runDir)?.torn == true { tornAtKill += 1 }

            learner = try startLearner("learner-\(trial)", resume: true)
            guard let resumed = waitForUpdate(after: linesBefore, runDir, learner) else {
                XCTFail("trial \(trial): no update after the restart\n\(learner.stderr)")
                break
            }
            let log = learner.stderr
            guard let line = log.split(separator: "\n").first(where: { $0.hasPrefix("learner: resumed from ") }) else {
                XCTFail("trial \(trial): no resume line\n\(log)")
                break
            }
            validResumes += 1
            recoverySeconds.append(resumed.update.timeIntervalSince(killed))
            if let said = resumed.resumed { restartSeconds.append(said.timeIntervalSince(killed)) }
            if log.contains("learner: passed over checkpoint") { fellBack += 1 }
            if let match = line.firstMatch(of: /in ([0-9.]+) s; weights version ([0-9]+)/) {
                loadSeconds.append(Double(match.1) ?? 0)
                XCTAssertGreaterThanOrEqual(Int(match.2) ?? -1, published, "trial \(trial): versions went backwards: \(line)")
            } else {
                XCTFail("trial \(trial): \(line)")
            }
            XCTAssertTrue(actors.allSatisfy { $0.process.isRunning }, "the actors outlive the learner")
            if trial == 1 {
                // fleet status of the resumed learner names its newest checkpoint.
                let status = try FleetProcess.run(["status", "ipc://\(directory.path)", "--timeout", "5"])
                XCTAssertEqual(status.status, 0, status.stderr)
                let document = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
                let checkpoint = try XCTUnwrap(document?["checkpoint"] as? [String: Any], status.stdout)
                XCTAssertGreaterThanOrEqual(checkpoint["version"] as? Int ?? -1, published)
                XCTAssertEqual(checkpoint["every"] as? Int, 1)
            }
        }

        // The last learner runs to the end; the actors, never restarted, stop when it says so.
        XCTAssertEqual(learner.wait(seconds: 300), 0, learner.stderr)
        for actor in actors { XCTAssertEqual(actor.wait(seconds: 20), 0, actor.stderr) }
        let summary = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: runDir.appendingPathComponent("summary.json"))) as? [String: Any])
        XCTAssertEqual(summary["env_steps"] as? Int, 128 * (10 * trials + 30))
        let rejected = try XCTUnwrap(summary["rejected"] as? [String: Int])
        // wrong_incarnation: an actor whose batches the restarted learner's checkpoint did not hold
        // is refused until it says Hello again (it does when told).
        XCTAssertEqual(
            Set(rejected.keys).subtracting(["stale", "replayed", "future_policy_version", "wrong_incarnation"]), [],
            "only batches of the learner before are refused: \(rejected)")

        // The capture of the whole run (cut back at every resume) is what the final weights come from.
        let replay = try FleetProcess.run(["replay", runDir.appendingPathComponent("captures").path, "--run-dir", directory.appendingPathComponent("replay").path])
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        XCTAssertTrue(replay.stdout.contains("matches the live run's weights_sha256"), replay.stdout)
        XCTAssertFalse(replay.stderr.contains("missing from the capture"), replay.stderr)
        let inspect = try FleetProcess.run(["inspect", runDir.appendingPathComponent("captures").path, "--json"])
        let inspection = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(inspection["consumed_twice"] as? Int, 0, "no batch was trained twice: \(inspect.stdout.prefix(3000))")

        XCTAssertEqual(validResumes, trials)
        func median(_ values: [Double]) -> Double { values.sorted().dropFirst(values.count / 2).first ?? 0 }
        print(
            "learner kill -9: \(trials) trials, \(validResumes) valid resumes; \(tornAtKill) kills left a torn newest "
                + "checkpoint, \(fellBack) resumes passed over one; recovery (kill to the first update after the restart) "
                + String(
                    format: "median %.2f s, max %.2f s; kill to resumed (process start + load) median %.2f s; "
                        + "checkpoint load median %.1f ms",
                    median(recoverySeconds), recoverySeconds.max() ?? 0, median(restartSeconds), 1000 * median(loadSeconds)))
    }
}
