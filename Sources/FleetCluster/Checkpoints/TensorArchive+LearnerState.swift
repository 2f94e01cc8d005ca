import FleetAlgorithms
import FleetTensor

/// The learners' exported states as tensor archive entries, and back.
///
/// ```
/// parameter.<name>                     float32, the parameter's shape, in the model's order
/// reference.<name>                     float32 (GRPO with a reference policy)
/// optimizer.kind                       uint8, UTF-8 ("adam", "adamw")
/// optimizer.counter.<name>.step        int64 scalar, in the optimizer's order
/// optimizer.buffer.<name>.exp_avg      float32, the parameter's shape (and .exp_avg_sq)
/// learner.iteration                    int64 scalar
/// learner.generator                    uint64 [4]: xoshiro256** state
/// observation_statistics.mean          float64 [size] (PPO with normalize_observations; .variance, .count)
/// reward_stream.<stream>.return        float64 scalar (PPO with normalize_rewards; .mean, .variance, .count)
/// critic.parameter.<name>              float32 (language PPO: the critic's parameters)
/// critic.optimizer.*                   as optimizer.* (language PPO: the critic's AdamW)
/// reward_statistics.mean               float64 [1] (language PPO: the scores' running .mean, .variance, .count)
/// ```
extension TensorArchive {
    // MARK: Shared parts

    package mutating func addParameters(_ parameters: [PPOLearnerState.Parameter], prefix: String) {
        for p in parameters { add(prefix + p.name, .float32(p.values), shape: p.shape) }
    }

    package func parameters(prefix: String) -> [PPOLearnerState.Parameter] {
        entries(prefixed: prefix).compactMap { entry in
            guard case .float32(let values) = entry.values else { return nil }
            return PPOLearnerState.Parameter(name: entry.name, shape: entry.shape, values: values)
        }
    }

    package mutating func addOptimizer(_ state: OptimizerState, prefix: String = "optimizer.") {
        add(prefix + "kind", .uint8(Array(state.kind.utf8)))
        for counter in state.counters { add(prefix + "counter." + counter.name, scalar: .int64([counter.value])) }
        for buffer in state.buffers { add(prefix + "buffer." + buffer.name, .float32(buffer.values), shape: buffer.shape) }
    }

    package func optimizer(prefix: String = "optimizer.") throws(TensorArchiveError) -> OptimizerState {
        var counters: [OptimizerState.Counter] = []
        for entry in entries(prefixed: prefix + "counter.") {
            guard case .int64(let values) = entry.values, values.count == 1 else {
                throw .wrongType(name: prefix + "counter." + entry.name, expected: "int64 scalar", found: entry.values.typeName)
            }
            counters.append(.init(name: entry.name, value: values[0]))
        }
        var buffers: [OptimizerState.Buffer] = []
        for entry in entries(prefixed: prefix + "buffer.") {
            guard case .float32(let values) = entry.values else {
                throw .wrongType(name: prefix + "buffer." + entry.name, expected: "float32", found: entry.values.typeName)
            }
            buffers.append(.init(name: entry.name, shape: entry.shape, values: values))
        }
        return OptimizerState(kind: try string(prefix + "kind"), counters: counters, buffers: buffers)
    }

    package mutating func addIteration(_ iteration: Int, generator: [UInt64]) {
        add("learner.iteration", scalar: .int64([Int64(iteration)]))
        add("learner.generator", .uint64(generator))
    }

    // MARK: PPO

    /// The entries of a PPO learner's state.
    package init(_ state: PPOLearnerState) {
        self.init()
        addParameters(state.parameters, prefix: "parameter.")
        addOptimizer(state.optimizer)
        addIteration(state.iteration, generator: state.generatorState)
        if let statistics = state.observationStatistics {
            add("observation_statistics.mean", .float64(statistics.mean))
            add("observation_statistics.variance", .float64(statistics.variance))
            add("observation_statistics.count", scalar: .float64([statistics.count]))
        }
        for key in state.rewardStreams.keys.sorted() {
            let stream = state.rewardStreams[key]!
            let prefix = "reward_stream.\(key)."
            add(prefix + "return", scalar: .float64([stream.discountedReturn]))
            add(prefix + "mean", .float64(stream.statistics.mean))
            add(prefix + "variance", .float64(stream.statistics.variance))
            add(prefix + "count", scalar: .float64([stream.statistics.count]))
        }
    }

    /// A PPO learner's state, as ``init(_:)-(PPOLearnerState)`` stored it.
    package func ppoLearnerState() throws(TensorArchiveError) -> PPOLearnerState {
        var statistics: RunningMeanStd?
        if (try? entry("observation_statistics.mean")) != nil {
            let mean = try float64("observation_statistics.mean")
            statistics = RunningMeanStd(
                mean: mean, variance: try float64("observation_statistics.variance", count: mean.count),
                count: try float64Scalar("observation_statistics.count"))
        }
        var streams: [String: RewardScaler.Stream] = [:]
        let streamPrefix = "reward_stream."
        for entry in entries(prefixed: streamPrefix) where entry.name.hasSuffix(".return") {
            let key = String(entry.name.dropLast(".return".count))
            let prefix = streamPrefix + key + "."
            streams[key] = RewardScaler.Stream(
                discountedReturn: try float64Scalar(prefix + "return"),
                statistics: RunningMeanStd(
                    mean: try float64(prefix + "mean", count: 1), variance: try float64(prefix + "variance", count: 1),
                    count: try float64Scalar(prefix + "count")))
        }
        return PPOLearnerState(
            parameters: parameters(prefix: "parameter."), optimizer: try optimizer(),
            iteration: Int(try int64Scalar("learner.iteration")), generatorState: try uint64("learner.generator", count: 4),
            observationStatistics: statistics, rewardStreams: streams)
    }

    // MARK: GRPO, Dr. GRPO, DAPO

    /// The entries of a GRPO learner's state.
    package init(_ state: GRPOLearnerState) {
        self.init()
        addParameters(state.parameters, prefix: "parameter.")
        if let reference = state.referenceParameters { addParameters(reference, prefix: "reference.") }
        addOptimizer(state.optimizer)
        addIteration(state.iteration, generator: state.generatorState)
    }

    /// A GRPO learner's state, as ``init(_:)-(GRPOLearnerState)`` stored it.
    package func grpoLearnerState() throws(TensorArchiveError) -> GRPOLearnerState {
        let reference = parameters(prefix: "reference.")
        return GRPOLearnerState(
            parameters: parameters(prefix: "parameter."), referenceParameters: reference.isEmpty ? nil : reference,
            optimizer: try optimizer(), iteration: Int(try int64Scalar("learner.iteration")),
            generatorState: try uint64("learner.generator", count: 4))
    }

    // MARK: Language PPO

    /// The entries of a language-PPO learner's state: GRPO's, then the critic's and the reward statistics.
    package init(_ state: LanguagePPOLearnerState) {
        self.init(state.policy)
        addParameters(state.criticParameters, prefix: "critic.parameter.")
        addOptimizer(state.criticOptimizer, prefix: "critic.optimizer.")
        add("reward_statistics.mean", .float64(state.rewardStatistics.mean))
        add("reward_statistics.variance", .float64(state.rewardStatistics.variance))
        add("reward_statistics.count", scalar: .float64([state.rewardStatistics.count]))
    }

    /// A language-PPO learner's state, as ``init(_:)-(LanguagePPOLearnerState)`` stored it.
    package func languagePPOLearnerState() throws(TensorArchiveError) -> LanguagePPOLearnerState {
        LanguagePPOLearnerState(
            policy: try grpoLearnerState(), criticParameters: parameters(prefix: "critic.parameter."),
            criticOptimizer: try optimizer(prefix: "critic.optimizer."),
            rewardStatistics: RunningMeanStd(
                mean: try float64("reward_statistics.mean", count: 1), variance: try float64("reward_statistics.variance", count: 1),
                count: try float64Scalar("reward_statistics.count")))
    }
}
