import FleetCluster
import Foundation

/// `fleet bench cluster`: the cluster as a user runs it.
///
/// End-to-end env steps per second of `fleet launch` with 1, 2 and 4 actor processes on
/// CartPole-v1, each against `fleet train` (the learner and one actor as threads over
/// `inproc://`) on the same config in the same run, all as child processes of this executable and
/// read from their runs' `summary.json`; then the latency of a weights broadcast
/// (``WeightsBroadcastBenchmark``). Runs alternate between the subjects, each repetition starting
/// with a different one; each figure is the median of its runs. Its detail lists every run's rate
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

    /// The throughput figures, then the broadcast-latency ones. `quick`: 50k env steps per run
    /// and one repetition (full: CleanRL's 500k and three), and fewer round trips. Ctrl-C
    /// (`stopRequested`) stops the children and throws ``BenchInterrupted``; temporary
    /// directories are removed either way.
    public static func figures(
        quick: Bool, fleetExecutable: String, stopRequested: @escaping () -> Bool = { false }
    ) throws -> [BenchFigure] {
        try throughputFigures(quick: quick, fleetExecutable: fleetExecutable, stopRequested: stopRequested)
            + WeightsBroadcastBenchmark.figures(
                settings: quick ? .quick : .full, fleetExecutable: fleetExecutable, stopRequested: stopRequested)
    }

    // MARK: - Env steps per second

    /// What one run starts: `fleet train` (no actor count) or `fleet launch --actors N`. More than
    /// one actor runs with `max_policy_lag` 1, so actors act while the learner updates
    /// (cluster/README.md); one actor, like `fleet train`, with the config's 0 (synchronous).
    struct Subject: Hashable {
        var actors: Int?

        var maxPolicyLag: Int { (actors ?? 1) > 1 ? 1 : 0 }

        func arguments(config: String, runDirectory: String, steps: Int) -> [String] {
            let common = [
                "--run-dir", runDirectory, "--set", "total_timesteps=\(steps)",
                "--set", "max_policy_lag=\(maxPolicyLag)",
            ]
            guard let actors else { return ["train", config] + common }
            return ["launch", config, "--actors", "\(actors)"] + common
        }

        var name: String { actors.map { "launch-\($0)" } ?? "train" }
    }

    /// What one run reported.
    struct Outcome {
        var sps: Double
        var envSteps: Int
        var updates: Int
        var returnMean100: Double?
        /// The longest time without an update: before the first, or between two (from `metrics.jsonl`).
        var longestPause: Double?
    }

    static func throughputFigures(
        quick: Bool, fleetExecutable: String, stopRequested: () -> Bool
    ) throws -> [BenchFigure] {
        let directory = try makeTemporaryDirectory("fleet-bench-cluster")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/cartpole-ppo.yaml"
        try cartPoleConfig.write(toFile: config, atomically: true, encoding: .utf8)
        let steps = quick ? 50_000 : 500_000
        let repetitions = quick ? 1 : 3
        let baseline = Subject(actors: nil)
        let subjects = [baseline] + actorCounts.map { Subject(actors: $0) }

        var outcomes: [Subject: [Outcome]] = [:]
        var serial = 0
        for repetition in 0..<repetitions {
            for offset in subjects.indices {
                let subject = subjects[(offset + repetition) % subjects.count]
                serial += 1
                let runDirectory = "\(directory)/run-\(serial)-\(subject.name)"
                let child = try BenchChildProcess(
                    name: "\(serial)-\(subject.name)", executable: fleetExecutable,
                    arguments: subject.arguments(config: config, runDirectory: runDirectory, steps: steps),
                    outputDirectory: directory)
                defer { child.stop() }
                try child.waitForSuccess(timeout: 120 + Double(steps) / 500, stopRequested: stopRequested)
                outcomes[subject, default: []].append(try readOutcome(runDirectory))
            }
        }

        let baselineRuns = outcomes[baseline] ?? []
        let baselineSPS = median(baselineRuns.map(\.sps))
        let baselineName = "fleet train (1 actor thread, inproc, lag 0)"
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
                    + "CartPole PPO \(steps / 1000)k steps, median",
                value: median(runs.map(\.sps)), unit: "env steps/s", baseline: baselineName,
                baselineValue: baselineSPS, detail: detail)
        }
    }

    /// Reads a finished run's `summary.json` (and `metrics.jsonl` for its pauses).
    static func readOutcome(_ runDirectory: String) throws -> Outcome {
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
        return Outcome(
            sps: summary.sps, envSteps: summary.envSteps, updates: summary.policyVersion ?? 0,
            returnMean100: summary.finalReturnMean100,
            longestPause: longestPause(
                metrics: url.appendingPathComponent("metrics.jsonl"), wallSeconds: summary.wallSeconds))
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
