import FleetCluster
import FleetConfig
import Foundation
import XCTest

@testable import FleetBench

/// `fleet bench cluster`: its figures are well formed and its pieces behave; no timing is asserted.
final class ClusterBenchmarkTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `fleet` executable beside the test bundle (built for this target): the benchmark's peer.
    static var fleetExecutable: String { Bundle.main.bundleURL.appendingPathComponent("fleet").path }

    func testBroadcastLatencyFiguresAreWellFormed() throws {
        let settings = WeightsBroadcastBenchmark.Settings(rounds: 1, warmUp: 3, cartPoleRoundTrips: 10, largeRoundTrips: 3)
        let figures = try WeightsBroadcastBenchmark.figures(settings: settings, fleetExecutable: Self.fleetExecutable)
        XCTAssertEqual(figures.count, 2)
        for figure in figures {
            XCTAssertEqual(figure.suite, "cluster")
            XCTAssertEqual(figure.unit, "µs")
            XCTAssertFalse(figure.higherIsBetter)
            for number in [figure.value, figure.baselineValue, figure.ratio] {
                XCTAssertTrue(number.isFinite && number > 0, "\(figure.name): \(number)")
            }
            XCTAssertTrue(figure.detail?.hasPrefix("p99 ") ?? false, figure.detail ?? "no detail")
        }
        XCTAssertTrue(figures[0].name.contains("CartPole"), figures[0].name)
        XCTAssertEqual(figures[0].goal, WeightsBroadcastBenchmark.cartPoleGoal)
        XCTAssertTrue(figures[1].name.contains("4.00 MiB"), figures[1].name)
        XCTAssertNil(figures[1].goal)
        XCTAssertTrue(BenchReport(figures: figures).table().contains("<= 1.50"))
    }

    func testEmbeddedCartPoleConfigMatchesTheClusterFile() throws {
        let file = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        XCTAssertEqual(try ClusterBenchmark.cartPoleRunConfig().resolved, try RunConfig(file: file).resolved)
    }

    func testALatencyGoalIsACeiling() {
        func figure(_ value: Double) -> BenchFigure {
            BenchFigure(
                suite: "cluster", name: "latency", value: value, unit: "µs", baseline: "raw", baselineValue: 100,
                goal: 1.5, higherIsBetter: false)
        }
        XCTAssertTrue(figure(140).meetsGoal)
        XCTAssertFalse(figure(160).meetsGoal)
        XCTAssertTrue(BenchReport(figures: [figure(160)]).table().contains("<= 1.50 MISSED"))
        let rate = BenchFigure(suite: "wire", name: "rate", value: 90, unit: "MB/s", baseline: "memcpy", baselineValue: 100, goal: 0.8)
        XCTAssertTrue(rate.meetsGoal)
        XCTAssertTrue(BenchReport(figures: [rate]).table().contains(">= 0.80 met"))
    }

    func testMedianAndPercentile() {
        XCTAssertEqual(ClusterBenchmark.median([3, 1, 2]), 2)
        XCTAssertEqual(ClusterBenchmark.median([4, 1, 3, 2]), 2.5)
        let values = (1...100).map(Double.init)
        XCTAssertEqual(WeightsBroadcastBenchmark.percentile(values, 0.99), 99)
        XCTAssertEqual(WeightsBroadcastBenchmark.percentile(values, 0.5), 50)
        XCTAssertEqual(WeightsBroadcastBenchmark.percentile([7], 0.99), 7)
    }

    func testLongestPauseComesFromTheMetricsLines() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-metrics-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        let lines = [100.0, 100.1, 102.1, 102.2].map { "{\"step\": 1, \"wall_time\": \($0)}" }
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        // Lines span 2.2 s of a 2.5 s run: 0.3 s before the first update, 2.0 s between two.
        XCTAssertEqual(try XCTUnwrap(ClusterBenchmark.longestPause(metrics: url, wallSeconds: 2.5)), 2.0, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(ClusterBenchmark.longestPause(metrics: url, wallSeconds: 4.5)), 2.3, accuracy: 1e-9)
    }

    /// A child that ignores SIGTERM is killed after the grace period, with the processes it started.
    func testStoppingAChildKillsItsWholeTree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try BenchChildProcess(
            name: "sh", executable: "/bin/sh", arguments: ["-c", "trap '' TERM; sleep 60 & sleep 60 & wait"],
            outputDirectory: directory.path, stopGrace: 0.5)
        var tree: [Int32] = []
        let deadline = Date().addingTimeInterval(10)
        while tree.count < 2 && Date() < deadline {
            usleep(20_000)
            tree = BenchChildProcess.descendants(of: child.pid)
        }
        XCTAssertEqual(tree.count, 2)
        XCTAssertThrowsError(try child.waitForSuccess(timeout: 60, stopRequested: { true })) { error in
            XCTAssertTrue(error is BenchInterrupted, "\(error)")
        }
        XCTAssertFalse(child.isRunning)
        usleep(100_000)
        for pid in tree { XCTAssertFalse(isAlive(pid), "process \(pid) survived") }
    }

    // MARK: - Capture figure

    func testACapturedRunPassesCaptureAndCaptureDropped() {
        let subject = ClusterBenchmark.Subject(actors: ClusterBenchmark.captureActors, capture: true)
        let arguments = subject.arguments(config: "c.yaml", runDirectory: "/r", steps: 2048)
        XCTAssertEqual(Array(arguments.prefix(4)), ["launch", "c.yaml", "--actors", "2"])
        XCTAssertTrue(arguments.contains("--capture"), "\(arguments)")
        XCTAssertTrue(arguments.contains("capture_dropped=true"), "\(arguments)")
        XCTAssertTrue(arguments.contains("max_policy_lag=1"), "\(arguments)")
        XCTAssertEqual(subject.name, "launch-2-capture")
        let without = ClusterBenchmark.Subject(actors: 2)
        XCTAssertFalse(without.arguments(config: "c.yaml", runDirectory: "/r", steps: 2048).contains("--capture"))
        XCTAssertNotEqual(without, subject)
    }

    func testCaptureFigureComparesMediansAndStatesItsGoal() {
        func outcome(_ sps: Double, capturedBytes: Int? = nil) -> ClusterBenchmark.Outcome {
            ClusterBenchmark.Outcome(
                sps: sps, envSteps: 10_000, wallSeconds: 10_000 / sps, updates: 20,
                capture: capturedBytes.map { ClusterBenchmark.CaptureSize(consumedBytes: $0, droppedBytes: 0, files: 1) })
        }
        let pairs = [
            (without: outcome(1000), with: outcome(900, capturedBytes: 400_000)),
            (without: outcome(1100), with: outcome(1045, capturedBytes: 400_000)),
            (without: outcome(1200), with: outcome(1000, capturedBytes: 400_000)),
        ]
        let figure = ClusterBenchmark.captureFigure(
            pairs: pairs, steps: 50_000, subject: ClusterBenchmark.Subject(actors: 2, capture: true))
        XCTAssertEqual(figure.value, 1000)
        XCTAssertEqual(figure.baselineValue, 1100)
        XCTAssertEqual(figure.goal, ClusterBenchmark.captureGoal)
        XCTAssertEqual(figure.goal, 0.95)
        XCTAssertFalse(figure.meetsGoal)
        let detail = figure.detail ?? ""
        XCTAssertTrue(detail.hasPrefix("capture costs 9.1% of SPS (goal <= 5%)"), detail)
        XCTAssertTrue(detail.contains("pairs without/with 1.0k/0.9k, 1.1k/1.0k, 1.2k/1.0k"), detail)
        // 400 kB over 10k steps; 10 s at 1000 steps/s: 0.04 MB/s.
        XCTAssertTrue(detail.contains("capture 40.0 B/env step, 0.04 MB/s written (0.4 MB per run"), detail)
        XCTAssertTrue(figure.name.contains("--actors 2 --capture"), figure.name)
        XCTAssertTrue(BenchReport(figures: [figure]).table().contains(">= 0.95 MISSED"))
    }

    func testReadingACapturedRunChecksItsManifest() throws {
        let directory = try temporaryDirectory("fleet-bench-outcome")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeFakeRun(at: directory, sps: 1000, envSteps: 2048, capture: true)
        let outcome = try ClusterBenchmark.readOutcome(directory.path, expectedEnvSteps: 2048, capture: true)
        XCTAssertEqual(outcome.capture, ClusterBenchmark.CaptureSize(consumedBytes: 81_920, droppedBytes: 2048, files: 2))
        XCTAssertEqual(outcome.wallSeconds, 2.048)

        XCTAssertThrowsError(try ClusterBenchmark.readOutcome(directory.path, expectedEnvSteps: 4096)) { error in
            XCTAssertTrue("\(error)".contains("did not finish"), "\(error)")
        }
        try Self.writeFakeRun(at: directory, sps: 1000, envSteps: 2048, capture: true, complete: false)
        XCTAssertThrowsError(try ClusterBenchmark.readOutcome(directory.path, capture: true)) { error in
            XCTAssertTrue("\(error)".contains("capture is incomplete"), "\(error)")
        }
        try FileManager.default.removeItem(at: directory.appendingPathComponent("captures"))
        XCTAssertThrowsError(try ClusterBenchmark.readOutcome(directory.path, capture: true)) { error in
            XCTAssertTrue("\(error)".contains("no readable capture manifest"), "\(error)")
        }
    }

    /// The capture figure's runs, with a fake `fleet`: without and with capture in turn, every
    /// run's directory gone before the next starts and the benchmark's directory gone at the end.
    func testCaptureRunsAlternateAndLeaveNothingBehind() throws {
        let directory = try temporaryDirectory("fleet-bench-fake")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("runs.log")
        let fleet = try Self.writeFakeFleet(in: directory, log: log)
        let figure = try ClusterBenchmark.captureFigure(
            settings: .init(steps: 2048, repetitions: 3), fleetExecutable: fleet, stopRequested: { false })
        let runs = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        XCTAssertEqual(
            runs.map { "\($0[0]) \($0[1])" }, ["launch no", "launch yes", "launch no", "launch yes", "launch no", "launch yes"])
        XCTAssertEqual(runs.map { $0[2] }, Array(repeating: "0", count: 6), "a run directory was left behind")
        let benchDirectory = URL(fileURLWithPath: String(runs[0][3])).deletingLastPathComponent()
        XCTAssertFalse(FileManager.default.fileExists(atPath: benchDirectory.path))
        XCTAssertEqual(figure.value, 960)
        XCTAssertEqual(figure.baselineValue, 1000)
        XCTAssertEqual(figure.ratio, 0.96, accuracy: 1e-9)
        XCTAssertTrue(figure.meetsGoal)
        XCTAssertTrue(figure.detail?.contains("capture 41.0 B/env step") ?? false, figure.detail ?? "")
    }

    func testAFailedOrUnfinishedCaptureRunIsAnError() throws {
        let directory = try temporaryDirectory("fleet-bench-fake")
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("runs.log")
        for (mode, message) in [
            ("fail", "exited with status 3"), ("quiet", "without saying \"fleet launch: learner finished\""),
            ("short", "did not finish"),
        ] {
            let fleet = try Self.writeFakeFleet(in: directory, log: log, mode: mode)
            XCTAssertThrowsError(
                try ClusterBenchmark.captureFigure(
                    settings: .init(steps: 2048, repetitions: 1), fleetExecutable: fleet, stopRequested: { false })
            ) { error in
                XCTAssertTrue("\(error)".contains(message), "\(mode): \(error)")
            }
        }
    }

    // MARK: - Broadcast share figure

    func testBroadcastShareIsTheMedianRunsBroadcastCPUSecondsOverItsLearnerSeconds() throws {
        func outcome(cpu: Double, broadcast: Double, update: Double) -> ClusterBenchmark.Outcome {
            ClusterBenchmark.Outcome(
                sps: 1000, envSteps: 10_000, wallSeconds: 10, updates: 20,
                learnerTime: ["broadcast": broadcast, "update": update, "idle": 10 - broadcast - update],
                broadcastCPUSeconds: cpu)
        }
        let subject = ClusterBenchmark.Subject(actors: ClusterBenchmark.broadcastShareActors)
        let runs = [
            outcome(cpu: 0.5, broadcast: 0.6, update: 6), outcome(cpu: 0.1, broadcast: 0.2, update: 7),
            outcome(cpu: 0.3, broadcast: 0.4, update: 8),
        ]
        let figure = try ClusterBenchmark.broadcastShareFigure(runs: runs, steps: 50_000, subject: subject)
        XCTAssertEqual(figure.value, 0.3, accuracy: 1e-12)
        XCTAssertEqual(figure.baselineValue, 10, accuracy: 1e-12)
        XCTAssertEqual(figure.ratio, 0.03, accuracy: 1e-12)
        XCTAssertEqual(figure.goal, 0.02)
        XCTAssertFalse(figure.higherIsBetter)
        XCTAssertFalse(figure.meetsGoal)
        XCTAssertTrue(
            figure.name.hasPrefix("weight broadcast CPU share of learner time, fleet launch --actors 2"), figure.name)
        let detail = figure.detail ?? ""
        XCTAssertTrue(
            detail.hasPrefix(
                "CPU shares 5.00%/1.00%/3.00%; wall-time shares 6.00%/2.00%/4.00%; "
                    + "median run's learner 10.0 s: update 80.0%, idle 16.0%, broadcast 4.0%"), detail)
        XCTAssertTrue(BenchReport(figures: [figure]).table().contains("<= 0.02 MISSED"))

        let met = try ClusterBenchmark.broadcastShareFigure(
            runs: [outcome(cpu: 0.1, broadcast: 0.5, update: 7), outcome(cpu: 0.15, broadcast: 0.5, update: 7)],
            steps: 50_000, subject: subject)
        XCTAssertEqual(met.ratio, 0.01, accuracy: 1e-12, "the lower middle of an even count")
        XCTAssertTrue(met.meetsGoal)

        var bare = outcome(cpu: 0.1, broadcast: 0.1, update: 7)
        bare.learnerTime = nil
        XCTAssertThrowsError(try ClusterBenchmark.broadcastShareFigure(runs: [bare], steps: 50_000, subject: subject)) {
            XCTAssertTrue("\($0)".contains("no learner_time"), "\($0)")
        }
        var noCPU = outcome(cpu: 0.1, broadcast: 0.1, update: 7)
        noCPU.broadcastCPUSeconds = nil
        XCTAssertThrowsError(try ClusterBenchmark.broadcastShareFigure(runs: [noCPU], steps: 50_000, subject: subject))
    }

    func testReadingARunTakesItsLearnerTime() throws {
        let directory = try temporaryDirectory("fleet-bench-outcome")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeFakeRun(
            at: directory, sps: 1000, envSteps: 2048, capture: false, learnerTime: ["update": 1.5, "broadcast": 0.02],
            broadcastCPUSeconds: 0.01)
        let outcome = try ClusterBenchmark.readOutcome(directory.path, expectedEnvSteps: 2048)
        XCTAssertEqual(outcome.learnerTime, ["update": 1.5, "broadcast": 0.02])
        XCTAssertEqual(outcome.broadcastCPUSeconds, 0.01)
    }

    private func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A run directory's `summary.json`, and with `capture` its `captures/manifest.json`: 80 KiB
    /// consumed, 2 KiB dropped, 4 updates.
    static func writeFakeRun(
        at directory: URL, sps: Double, envSteps: Int, capture: Bool, complete: Bool = true,
        learnerTime: [String: Double]? = nil, broadcastCPUSeconds: Double? = nil
    ) throws {
        var summary = RunSummary(
            algorithm: "ppo", env: "CartPole-v1", seed: 1, envSteps: envSteps, wallSeconds: Double(envSteps) / sps,
            sps: sps, policyVersion: 4)
        summary.learnerTime = learnerTime
        summary.broadcastCPUSeconds = broadcastCPUSeconds
        try summary.jsonData().write(to: directory.appendingPathComponent("summary.json"))
        guard capture else { return }
        let captures = directory.appendingPathComponent("captures")
        try FileManager.default.createDirectory(at: captures, withIntermediateDirectories: true)
        try Self.fakeManifest(complete: complete).write(
            to: captures.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
    }

    static func fakeManifest(complete: Bool = true) -> String {
        """
        {"format": "fleet-capture", "version": 1, "run_id": "fake", "algorithm": "ppo", "subject": "CartPole-v1", \
        "seed": 1, "config": "config.yaml", "learning_config_sha256": "0", "files": [\
        {"name": "consumed-00000.fleetrec", "kind": "consumed", "records": 8, "bytes": 81920}, \
        {"name": "dropped-00000.fleetrec", "kind": "dropped", "records": 1, "bytes": 2048}], \
        "updates": 4, "policy_version": 4, "weights_sha256": "0", "complete": \(complete)}
        """
    }

    /// A stand-in for `fleet`: logs `subcommand captured? run-directories-left run-directory` to
    /// `log`, writes a 2048-step run (1000 env steps/s, 960 with `--capture`) and says the learner
    /// finished. `mode`: `fail` exits 3, `quiet` says nothing, `short` reports 1024 steps.
    static func writeFakeFleet(in directory: URL, log: URL, mode: String = "ok") throws -> String {
        let script = directory.appendingPathComponent("fleet-\(mode)")
        let text = """
            #!/bin/sh
            run=""; capture=no; previous=""
            for argument in "$@"; do
              [ "$previous" = "--run-dir" ] && run="$argument"
              [ "$argument" = "--capture" ] && capture=yes
              previous="$argument"
            done
            left=$(ls -d "$(dirname "$run")"/run-* 2>/dev/null | wc -l)
            echo "$1 $capture $left $run" >> '\(log.path)'
            [ \(mode) = fail ] && { echo "boom" >&2; exit 3; }
            steps=2048; [ \(mode) = short ] && steps=1024
            sps=1000; [ $capture = yes ] && sps=960
            mkdir -p "$run/captures"
            echo "{\\"algorithm\\": \\"ppo\\", \\"env\\": \\"CartPole-v1\\", \\"seed\\": 1, \\"env_steps\\": $steps, \\"wall_seconds\\": 2.048, \\"sps\\": $sps, \\"episodes\\": 0, \\"policy_version\\": 4, \\"actors\\": {\\"started\\": 2, \\"restarts\\": 0}, \\"rejected\\": {}}" > "$run/summary.json"
            [ $capture = yes ] && cat > "$run/captures/manifest.json" <<'JSON'
            \(fakeManifest())
            JSON
            [ \(mode) = quiet ] || echo "fleet launch: learner finished; actors started 2, restarts 0; run directory: $run"
            exit 0

            """
        try text.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script.path
    }


    /// Whether `pid` runs (a zombie waiting for its reaper does not).
    private func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
