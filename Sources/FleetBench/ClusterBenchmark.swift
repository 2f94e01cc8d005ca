import FleetCluster
import FleetConfig
import FleetEnvironments
import FleetWire
import Foundation

/// `fleet bench cluster`: the cluster as a user runs it.
///
/// End-to-end env steps per second of `fleet launch` with 1, 2 and 4 actor processes on
/// CartPole-v1, each against `fleet train` (the learner and one actor as threads over
/// `inproc://`) on the same config in the same run, all as child processes of this executable and
/// read from their runs' `summary.json`; the share of the `--actors 2` learner's wall time spent
/// broadcasting weights, from the same runs' `learner_time`
/// (``broadcastShareFigure(runs:steps:subject:)``); then what capture costs (`--capture` against
/// the same launch without, ``captureFigure(settings:fleetExecutable:stopRequested:)``); then the
/// latency of a weights broadcast (``WeightsBroadcastBenchmark``). Runs alternate between the subjects,
/// each repetition starting with a different one; each figure is the median of its runs. Its detail lists every run's rate
/// and longest pause without an update: a pause of about 2 s is an actor that missed a published
/// version and waited ``ChannelLimits/snapshotRetry`` before asking for a snapshot.
public enum ClusterBenchmark {
    /// The actor process counts measured.
    public static let actorCounts = [1, 2, 4]

    /// The settings of `cluster/cartpole-ppo.yaml` (CleanRL's `ppo.py`), embedded so that the
    /// benchmark runs from any directory; a test checks that the two resolve to the same config.
    public static let cartPoleConfig = """
        # cluster/cartpole-ppo.yaml's settings, written by fleet bench cluster.
        algorithm: ppo
        env_id: CartPole-v1
        seed: 1
        total_timesteps: 500000
        learning_rate: 2.5e-4
        anneal_lr: true
        num_envs: 4
        num_steps: 128
        num_minibatches: 4
        update_epochs: 4
        gamma: 0.99
        gae_lambda: 0.95
        norm_adv: true
        clip_coef: 0.2
        clip_vloss: true
        ent_coef: 0.01
        vf_coef: 0.5
        max_grad_norm: 0.5
        target_kl: null
        hidden_sizes: [64, 64]
        num_actors: 1
        max_policy_lag: 0

        """

    /// ``cartPoleConfig``, resolved as `fleet train` resolves a config file.
    public static func cartPoleRunConfig() throws -> RunConfig {
        RunConfig(try ConfigResolver.resolve(yaml: cartPoleConfig, source: "fleet bench cluster's CartPole config"))
    }

    /// The throughput figures and the broadcast share, the capture figure, then the
    /// broadcast-latency ones. `quick`: 50k env steps per run and one repetition (full: CleanRL's
    /// 500k and three), and fewer round trips. Ctrl-C (`stopRequested`) stops the children and throws ``BenchInterrupted``;
    /// temporary directories are removed either way.
    public static func figures(
        quick: Bool, fleetExecutable: String, stopRequested: @escaping () -> Bool = { false }
    ) throws -> [BenchFigure] {
        let settings = RunSettings(steps: quick ? 50_000 : 500_000, repetitions: quick ? 1 : 3)
        return try throughputFigures(settings: settings, fleetExecutable: fleetExecutable, stopRequested: stopRequested)
            + [captureFigure(settings: settings, fleetExecutable: fleetExecutable, stopRequested: stopRequested)]
            + WeightsBroadcastBenchmark.figures(
                settings: quick ? .quick : .full, fleetExecutable: fleetExecutable, stopRequested: stopRequested)
    }

    // MARK: - Env steps per second

    /// How long each run trains, and how many times each subject runs (its figure is the median).
    struct RunSettings {
        var steps: Int
        var repetitions: Int
    }

    /// What one run starts: `fleet train` (no actor count) or `fleet launch --actors N`, with
    /// `capture` (and `capture_dropped`) or not. More than one actor runs with `max_policy_lag` 1,
    /// so actors act while the learner updates (cluster/README.md); one actor, like `fleet train`,
    /// with the config's 0 (synchronous).
    struct Subject: Hashable {
        var actors: Int?
        var capture = false
        /// Another environment than the config's (a served one), with its workers' Python.
        var envID: String? = nil
        var envPython: String? = nil

        var maxPolicyLag: Int { (actors ?? 1) > 1 ? 1 : 0 }

        func arguments(config: String, runDirectory: String, steps: Int) -> [String] {
            var common = [
                "--run-dir", runDirectory, "--set", "total_timesteps=\(steps)",
                "--set", "max_policy_lag=\(maxPolicyLag)",
            ]
            if capture { common += ["--capture", "--set", "capture_dropped=true"] }
            if let envID { common += ["--set", "env_id=\(envID)"] }
            if let envPython { common += ["--set", "env_python=\(envPython)"] }
            guard let actors else { return ["train", config] + common }
            return ["launch", config, "--actors", "\(actors)"] + common
        }

        var name: String {
            (actors.map { "launch-\($0)" } ?? "train") + (capture ? "-capture" : "") + (envID != nil ? "-served" : "")
        }
    }

    /// What one run reported.
    struct Outcome {
        var sps: Double
        var envSteps: Int
        var wallSeconds: Double
        var updates: Int
        var returnMean100: Double?
        /// The longest time without an update: before the first, or between two (from `metrics.jsonl`).
        var longestPause: Double?
        /// What its capture wrote, when it captured.
        var capture: CaptureSize?
        /// Where its learner's wall time went, seconds by phase (`summary.json`'s `learner_time`).
        var learnerTime: [String: Double]?
        /// The learner thread's CPU seconds in `broadcast` (`summary.json`'s `broadcast_cpu_seconds`).
        var broadcastCPUSeconds: Double?
    }

    /// The bytes a run's capture wrote, from `captures/manifest.json`'s `files[].bytes`.
    struct CaptureSize: Equatable {
        var consumedBytes: Int
        var droppedBytes: Int
        var files: Int

        var bytes: Int { consumedBytes + droppedBytes }
    }

    /// Runs subjects one at a time as children of `fleetExecutable`, on ``cartPoleConfig`` written
    /// into a fresh temporary directory (removed by ``close()``), and reads their outcomes; each
    /// run's directory is removed once read (a captured run's grows with its steps).
    final class Runner {
        let directory: String
        let config: String
        let settings: RunSettings
        let fleetExecutable: String
        let stopRequested: () -> Bool
        /// The env steps every run must end with (``RunConfig/plannedSteps``).
        let plannedSteps: Int
        /// Runs started so far.
        private var serial = 0

        init(settings: RunSettings, fleetExecutable: String, stopRequested: @escaping () -> Bool) throws {
            let plannedSteps = try ClusterBenchmark.plannedSteps(settings.steps)
            directory = try makeTemporaryDirectory("fleet-bench-cluster")
            config = directory + "/cartpole-ppo.yaml"
            self.settings = settings
            self.fleetExecutable = fleetExecutable
            self.stopRequested = stopRequested
            self.plannedSteps = plannedSteps
            do {
                try cartPoleConfig.write(toFile: config, atomically: true, encoding: .utf8)
            } catch {
                close()
                throw error
            }
        }

        /// Runs `subject` to its end and reads what it reported; throws a ``BenchError`` when it
        /// fails or does not finish its steps, ``BenchInterrupted`` when a stop is requested.
        func run(_ subject: Subject) throws -> Outcome {
            serial += 1
            let name = "\(serial)-\(subject.name)"
            let runDirectory = "\(directory)/run-\(name)"
            defer { try? FileManager.default.removeItem(atPath: runDirectory) }
            let child = try BenchChildProcess(
                name: name, executable: fleetExecutable,
                arguments: subject.arguments(config: config, runDirectory: runDirectory, steps: settings.steps),
                outputDirectory: directory)
            defer { child.stop() }
            try child.waitForSuccess(timeout: 120 + Double(settings.steps) / 500, stopRequested: stopRequested)
            // `fleet launch` exits 0 only when its learner did, but say so plainly if it did not finish.
            if subject.actors != nil, !child.stdout.contains("fleet launch: learner finished") {
                throw BenchError("\(name) exited 0 without saying \"fleet launch: learner finished\"\(child.stderrTail)")
            }
            return try readOutcome(runDirectory, expectedEnvSteps: plannedSteps, capture: subject.capture)
        }

        /// Removes the temporary directory and everything in it.
        func close() { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The env steps a run of ``cartPoleConfig`` with `total_timesteps` `steps` trains on.
    static func plannedSteps(_ steps: Int) throws -> Int {
        let resolved = try ConfigResolver.resolve(
            yaml: cartPoleConfig, source: "fleet bench cluster's CartPole config",
            overrides: [ConfigOverride(parsing: "total_timesteps=\(steps)")])
        return RunConfig(resolved).plannedSteps
    }

    static func throughputFigures(
        settings: RunSettings, fleetExecutable: String, stopRequested: @escaping () -> Bool
    ) throws -> [BenchFigure] {
        let runner = try Runner(settings: settings, fleetExecutable: fleetExecutable, stopRequested: stopRequested)
        defer { runner.close() }
        let baseline = Subject(actors: nil)
        let subjects = [baseline] + actorCounts.map { Subject(actors: $0) }

        var outcomes: [Subject: [Outcome]] = [:]
        for repetition in 0..<settings.repetitions {
            for offset in subjects.indices {
                let subject = subjects[(offset + repetition) % subjects.count]
                outcomes[subject, default: []].append(try runner.run(subject))
            }
        }

        let baselineRuns = outcomes[baseline] ?? []
        let baselineSPS = median(baselineRuns.map(\.sps))
        let baselineName = "fleet train (1 actor thread, inproc, lag 0)"
        let shareSubject = Subject(actors: broadcastShareActors)
        let share = try broadcastShareFigure(runs: outcomes[shareSubject] ?? [], steps: settings.steps, subject: shareSubject)
        return subjects.dropFirst().map { subject in
            let runs = outcomes[subject] ?? []
            let actors = subject.actors ?? 1
            let last = runs.last
            var detail = "runs \(thousands(runs.map(\.sps))) (train \(thousands(baselineRuns.map(\.sps))))"
            if let last {
                detail += "; \(last.updates) updates x \(last.envSteps / max(1, last.updates)) steps"
                if let value = last.returnMean100 { detail += String(format: "; return100 %.0f", value) }
            }
            let pauses = runs.compactMap(\.longestPause)
            if !pauses.isEmpty {
                detail += "; longest pause " + pauses.map { String(format: "%.2f", $0) }.joined(separator: "/") + " s"
            }
            return BenchFigure(
                suite: "cluster",
                name: "fleet launch --actors \(actors) (ipc, max_policy_lag \(subject.maxPolicyLag)), "
                    + "CartPole PPO \(settings.steps / 1000)k steps, median",
                value: median(runs.map(\.sps)), unit: "env steps/s", baseline: baselineName,
                baselineValue: baselineSPS, detail: detail)
        } + [share]
    }

    // MARK: - Weight broadcast share

    /// The actor processes of the runs the broadcast-share figure reads.
    public static let broadcastShareActors = 2

    /// The broadcast-share figure's ceiling: encoding and publishing weights take at most 2% of
    /// the learner's wall time.
    public static let broadcastShareGoal = 0.02

    /// What encoding and publishing weights cost the learner, from the `fleet launch --actors 2`
    /// runs' `summary.json`: the learner thread's CPU seconds in `broadcast`
    /// (`broadcast_cpu_seconds`) against its wall time (`learner_time` summed), so that the ratio
    /// is the share; of the run with the median share (the lower middle one for an even count).
    /// CPU time, because the wall time of `broadcast` also holds the time the learner waited for a
    /// core after waking the actors, which on a machine without an idle core is most of it; the
    /// detail lists every run's CPU share, their wall-time shares, and the median run's time by
    /// phase. Throws a ``BenchError`` when a run has no `learner_time` or `broadcast_cpu_seconds`.
    static func broadcastShareFigure(runs: [Outcome], steps: Int, subject: Subject) throws -> BenchFigure {
        let accounted = try runs.map { run -> (cpu: Double, broadcast: Double, wall: Double, phases: [String: Double]) in
            guard let phases = run.learnerTime, !phases.isEmpty, let cpu = run.broadcastCPUSeconds else {
                throw BenchError(
                    "a fleet launch --actors \(subject.actors ?? 1) run's summary.json has no learner_time or broadcast_cpu_seconds")
            }
            return (cpu, phases["broadcast"] ?? 0, phases.values.reduce(0, +), phases)
        }
        func percent(_ value: Double, _ wall: Double) -> String { String(format: "%.2f%%", wall > 0 ? 100 * value / wall : 0) }
        let shares = accounted.map { $0.wall > 0 ? $0.cpu / $0.wall : 0 }
        let byShare = shares.indices.sorted { shares[$0] < shares[$1] }
        let middle = byShare.isEmpty ? nil : accounted[byShare[(byShare.count - 1) / 2]]
        var detail = "CPU shares " + accounted.map { percent($0.cpu, $0.wall) }.joined(separator: "/")
            + "; wall-time shares " + accounted.map { percent($0.broadcast, $0.wall) }.joined(separator: "/")
        if let middle {
            let wall = max(middle.wall, 1e-9)
            let phases = middle.phases.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                "\($0.key) " + String(format: "%.1f%%", 100 * $0.value / wall)
            }
            detail += String(format: "; median run's learner %.1f s: ", middle.wall) + phases.joined(separator: ", ")
        }
        return BenchFigure(
            suite: "cluster",
            name: "weight broadcast CPU share of learner time, fleet launch --actors \(subject.actors ?? 1) (ipc, "
                + "max_policy_lag \(subject.maxPolicyLag)), CartPole PPO \(steps / 1000)k steps, median",
            value: middle?.cpu ?? 0, unit: "s", baseline: "the learner's wall time (learner_time summed)",
            baselineValue: middle?.wall ?? 0, goal: broadcastShareGoal, higherIsBetter: false, detail: detail)
    }

    // MARK: - Capture

    /// The actor processes of the capture figure's runs.
    public static let captureActors = 2

    /// The capture figure's floor: SPS with capture / SPS without at least 0.95, i.e. capture
    /// costs at most 5% of end-to-end SPS.
    public static let captureGoal = 0.95

    /// What capture costs: `fleet launch --actors 2 --capture` (with `capture_dropped`) against
    /// the same launch without, in pairs (without, with, without, with, …, so that the machine's
    /// noise hits both alike), each the median of `settings.repetitions` runs; its detail gives
    /// the cost in percent and the capture's size from `captures/manifest.json`.
    static func captureFigure(
        settings: RunSettings, fleetExecutable: String, stopRequested: @escaping () -> Bool
    ) throws -> BenchFigure {
        let runner = try Runner(settings: settings, fleetExecutable: fleetExecutable, stopRequested: stopRequested)
        defer { runner.close() }
        let without = Subject(actors: captureActors), with = Subject(actors: captureActors, capture: true)
        var pairs: [(without: Outcome, with: Outcome)] = []
        for _ in 0..<settings.repetitions {
            let first = try runner.run(without)
            pairs.append((first, try runner.run(with)))
        }
        return captureFigure(pairs: pairs, steps: settings.steps, subject: with)
    }

    /// The capture figure from its runs' outcomes, in run order.
    static func captureFigure(pairs: [(without: Outcome, with: Outcome)], steps: Int, subject: Subject) -> BenchFigure {
        let withSPS = median(pairs.map(\.with.sps)), withoutSPS = median(pairs.map(\.without.sps))
        let cost = withoutSPS > 0 ? 100 * (1 - withSPS / withoutSPS) : 0
        var detail = String(format: "capture costs %.1f%% of SPS (goal <= %.0f%%)", cost, 100 * (1 - captureGoal))
        detail += "; pairs without/with "
            + pairs.map { "\(thousands([$0.without.sps]))/\(thousands([$0.with.sps]))" }.joined(separator: ", ")
        let sizes = pairs.compactMap { pair in pair.with.capture.map { (size: $0, run: pair.with) } }
        if !sizes.isEmpty {
            let bytesPerStep = median(sizes.map { Double($0.size.bytes) / Double(max(1, $0.run.envSteps)) })
            let rate = median(sizes.map { Double($0.size.bytes) / max($0.run.wallSeconds, 1e-9) / 1e6 })
            let total = median(sizes.map { Double($0.size.bytes) / 1e6 })
            let dropped = median(sizes.map { Double($0.size.droppedBytes) / 1e6 })
            detail += String(
                format: "; capture %.1f B/env step, %.2f MB/s written (%.1f MB per run, %.2f MB of it dropped batches)",
                bytesPerStep, rate, total, dropped)
        }
        return BenchFigure(
            suite: "cluster",
            name: "fleet launch --actors \(subject.actors ?? 1) --capture (capture_dropped, ipc, max_policy_lag "
                + "\(subject.maxPolicyLag)), CartPole PPO \(steps / 1000)k steps, median",
            value: withSPS, unit: "env steps/s", baseline: "the same launch without capture, interleaved",
            baselineValue: withoutSPS, goal: captureGoal, detail: detail)
    }

    /// Reads a finished run's `summary.json` (and `metrics.jsonl` for its pauses, and, when it
    /// captured, `captures/manifest.json`). Throws a ``BenchError`` when the run did not train on
    /// `expectedEnvSteps` steps, or its capture is missing or incomplete.
    static func readOutcome(_ runDirectory: String, expectedEnvSteps: Int? = nil, capture: Bool = false) throws -> Outcome {
        let url = URL(fileURLWithPath: runDirectory)
        let summary: RunSummary
        do {
            summary = try JSONDecoder().decode(
                RunSummary.self, from: Data(contentsOf: url.appendingPathComponent("summary.json")))
        } catch {
            throw BenchError("cannot read \(runDirectory)/summary.json: \(error)")
        }
        guard summary.sps.isFinite, summary.sps > 0 else {
            throw BenchError("\(runDirectory)/summary.json reports sps \(summary.sps)")
        }
        if let expectedEnvSteps, summary.envSteps != expectedEnvSteps {
            throw BenchError(
                "\(runDirectory)/summary.json reports \(summary.envSteps) env steps, not the \(expectedEnvSteps) planned: "
                    + "the run did not finish")
        }
        var size: CaptureSize?
        if capture {
            let manifest: CaptureManifest
            do {
                manifest = try CaptureManifest.read(directory: url.appendingPathComponent("captures"))
            } catch {
                throw BenchError("the captured run \(runDirectory) has no readable capture manifest: \(error)")
            }
            let consumed = manifest.files.filter { $0.kind == CaptureEntry.Kind.consumed.name }
            guard manifest.complete, manifest.policyVersion == summary.policyVersion,
                consumed.reduce(0, { $0 + $1.bytes }) > 0
            else {
                throw BenchError(
                    "the captured run \(runDirectory)'s capture is incomplete: complete \(manifest.complete), policy "
                        + "version \(manifest.policyVersion.map(String.init) ?? "none") (summary: "
                        + "\(summary.policyVersion.map(String.init) ?? "none")), \(consumed.count) consumed files")
            }
            let total = manifest.files.reduce(0) { $0 + $1.bytes }
            let consumedBytes = consumed.reduce(0) { $0 + $1.bytes }
            size = CaptureSize(consumedBytes: consumedBytes, droppedBytes: total - consumedBytes, files: manifest.files.count)
        }
        return Outcome(
            sps: summary.sps, envSteps: summary.envSteps, wallSeconds: summary.wallSeconds,
            updates: summary.policyVersion ?? 0, returnMean100: summary.finalReturnMean100,
            longestPause: longestPause(
                metrics: url.appendingPathComponent("metrics.jsonl"), wallSeconds: summary.wallSeconds),
            capture: size, learnerTime: summary.learnerTime, broadcastCPUSeconds: summary.broadcastCPUSeconds)
    }

    /// The longest stretch without an update, from the `wall_time` of each `metrics.jsonl` line
    /// (one per update): between two updates, or from the start to the first (the run's wall
    /// time less the span of its lines). Nil when the file cannot be read.
    static func longestPause(metrics: URL, wallSeconds: Double) -> Double? {
        guard let text = try? String(contentsOf: metrics, encoding: .utf8) else { return nil }
        let times = text.split(separator: "\n").compactMap { line -> Double? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (object?["wall_time"] as? NSNumber)?.doubleValue
        }
        guard let first = times.first, let last = times.last else { return nil }
        let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
        return max(wallSeconds - (last - first), gaps.max() ?? 0)
    }

    // MARK: - Helpers

    /// The median (the mean of the middle two for an even count); 0 when empty.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Rates in thousands, in run order: `61.2k/64.0k`.
    static func thousands(_ values: [Double]) -> String {
        values.map { String(format: "%.1fk", $0 / 1000) }.joined(separator: "/")
    }

    /// A fresh directory under the temporary directory (short: ipc socket paths live in it).
    static func makeTemporaryDirectory(_ prefix: String) throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
