import FleetAlgorithms
import FleetCluster
import FleetConfig
import Foundation

/// `fleet bench served`: what serving an environment from Python costs. CartPole-v1 built in
/// against Gymnasium's CartPole-v1 served by `python -m fleet_env serve` workers, measured in the
/// same run: stepping 4 copies through the actor's environment interface with random actions (one
/// worker, then two), and `fleet train` with CleanRL's settings on each (the built-in first, then
/// the served, alternating when repeated; each figure is the median of its runs).
public enum ServedEnvironmentBenchmark {
    public static func figures(
        quick: Bool, fleetExecutable: String, python: String, stopRequested: @escaping () -> Bool = { false }
    ) throws -> [BenchFigure] {
        try steppingFigures(steps: quick ? 20_000 : 200_000, python: python)
            + trainingFigures(
                settings: .init(steps: quick ? 50_000 : 500_000, repetitions: quick ? 1 : 3),
                fleetExecutable: fleetExecutable, python: python, stopRequested: stopRequested)
    }

    /// Steps per second of 4 copies, built in and served by 1 and 2 workers.
    static func steppingFigures(steps: Int, python: String) throws -> [BenchFigure] {
        let count = 4
        func rate(_ make: () throws -> any TrainingEnvironment) throws -> Double {
            var environment = try make()
            var bits: UInt64 = 0x9E37_79B9_7F4A_7C15
            var actions = [Int](repeating: 0, count: count)
            let start = Stopwatch.now()
            for _ in 0..<(steps / count) {
                for i in 0..<count {
                    bits = bits &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    actions[i] = Int(bits >> 63)
                }
                try environment.step(.discrete(actions))
            }
            let seconds = Stopwatch.now() - start
            (environment as? RemoteTrainingEnvironment)?.close()
            return Double(steps / count * count) / seconds
        }
        let builtIn = try rate { try EnvironmentFactory.make(id: "CartPole-v1", count: count, seed: 1) }
        let baseline = "built-in CartPole-v1 x\(count)"
        return try [1, 2].map { workers in
            let served = try rate {
                try RemoteTrainingEnvironment(
                    envID: "gymnasium:CartPole-v1", kwargs: "{}", count: count, workers: workers, seed: 1, python: python)
            }
            return BenchFigure(
                suite: "served", name: "gymnasium:CartPole-v1 x\(count), \(workers) worker\(workers > 1 ? "s" : ""), stepping",
                value: served, unit: "steps/s", baseline: baseline, baselineValue: builtIn)
        }
    }

    /// `fleet train` env steps per second, served against built in.
    static func trainingFigures(
        settings: ClusterBenchmark.RunSettings, fleetExecutable: String, python: String,
        stopRequested: @escaping () -> Bool
    ) throws -> [BenchFigure] {
        let runner = try ClusterBenchmark.Runner(
            settings: settings, fleetExecutable: fleetExecutable, stopRequested: stopRequested)
        defer { runner.close() }
        let builtIn = ClusterBenchmark.Subject(actors: nil)
        let served = ClusterBenchmark.Subject(actors: nil, envID: "gymnasium:CartPole-v1", envPython: python)
        var builtInRuns: [ClusterBenchmark.Outcome] = [], servedRuns: [ClusterBenchmark.Outcome] = []
        for repetition in 0..<settings.repetitions {
            for subject in repetition % 2 == 0 ? [builtIn, served] : [served, builtIn] {
                let outcome = try runner.run(subject)
                if subject == builtIn { builtInRuns.append(outcome) } else { servedRuns.append(outcome) }
            }
        }
        let detail = "served runs: " + servedRuns.map { String(format: "%.0f SPS, return %.1f", $0.sps, $0.returnMean100 ?? .nan) }
            .joined(separator: "; ")
        return [
            BenchFigure(
                suite: "served",
                name: "fleet train gymnasium:CartPole-v1, CartPole PPO \(settings.steps / 1000)k steps, median",
                value: ClusterBenchmark.median(servedRuns.map(\.sps)), unit: "env steps/s",
                baseline: "fleet train CartPole-v1 (built in)", baselineValue: ClusterBenchmark.median(builtInRuns.map(\.sps)),
                detail: detail)
        ]
    }
}
