/// Rollouts concatenated along the environment axis: T steps of `N = ΣN_i` environments,
/// row-major `[t * N + n]`, rollout i's environments at columns `offset_i ..< offset_i + N_i`.
struct RolloutBatch {
    let numSteps: Int
    let numEnvs: Int
    let observationSize: Int
    /// `[T*N*obs]`.
    var observations: [Float]
    /// `[T*N]` indices, or `[T*N*A]` samples.
    var actions: PolicyActions
    /// `[T*N]`.
    var rewards: [Float]
    var terminated: [Bool]
    var truncated: [Bool]
    var logProbs: [Float]
    /// `[K]` flat indices into the batch of the truncated steps that carry a final observation.
    var finalSteps: [Int]
    /// `[K*obs]`.
    var finalObservations: [Float]
    /// `[N*obs]`.
    var nextObservations: [Float]

    /// T * N.
    var count: Int { numSteps * numEnvs }

    /// Concatenates `rollouts` (same T, observation size and action kind), with `rewards[i]`
    /// standing in for rollout i's rewards (scaled or raw).
    init(_ rollouts: [Rollout], rewards rolloutRewards: [[Float]]) {
        precondition(!rollouts.isEmpty, "an update needs at least one rollout")
        let first = rollouts[0]
        let t = first.numSteps, size = first.observationSize
        numSteps = t
        observationSize = size
        numEnvs = rollouts.reduce(0) { $0 + $1.numEnvs }
        // One rollout already has the layout: share its arrays instead of copying them.
        if rollouts.count == 1 {
            Self.check(first, rewards: rolloutRewards[0], t: t, size: size, actions: first.actions)
            observations = first.observations
            actions = first.actions
            rewards = rolloutRewards[0]
            terminated = first.terminated
            truncated = first.truncated
            logProbs = first.behaviourLogProbs
            finalSteps = first.finalObservationSteps
            finalObservations = first.finalObservations
            nextObservations = first.nextObservations
            return
        }
        let total = t * numEnvs
        observations = [Float](repeating: 0, count: total * size)
        var discreteActions: [Int] = [], continuousActions: [Float] = []
        switch first.actions {
        case .discrete: discreteActions = [Int](repeating: 0, count: total)
        case .continuous(_, let dimension): continuousActions = [Float](repeating: 0, count: total * dimension)
        }
        rewards = [Float](repeating: 0, count: total)
        terminated = [Bool](repeating: false, count: total)
        truncated = [Bool](repeating: false, count: total)
        logProbs = [Float](repeating: 0, count: total)
        finalSteps = []
        finalObservations = []
        nextObservations = [Float](repeating: 0, count: numEnvs * size)

        let totalEnvs = numEnvs
        var offset = 0
        for (i, rollout) in rollouts.enumerated() {
            let n = rollout.numEnvs
            Self.check(rollout, rewards: rolloutRewards[i], t: t, size: size, actions: first.actions)
            let column = { (source: Int) -> Int in (source / n) * totalEnvs + offset + source % n }
            for s in 0..<(t * n) {
                let d = column(s)
                observations.replaceSubrange((d * size)..<((d + 1) * size), with: rollout.observations[(s * size)..<((s + 1) * size)])
                rewards[d] = rolloutRewards[i][s]
                terminated[d] = rollout.terminated[s]
                truncated[d] = rollout.truncated[s]
                logProbs[d] = rollout.behaviourLogProbs[s]
            }
            switch rollout.actions {
            case .discrete(let actions):
                for s in 0..<(t * n) { discreteActions[column(s)] = actions[s] }
            case .continuous(let actions, let dimension):
                for s in 0..<(t * n) {
                    let d = column(s)
                    continuousActions.replaceSubrange(
                        (d * dimension)..<((d + 1) * dimension), with: actions[(s * dimension)..<((s + 1) * dimension)])
                }
            }
            for (k, s) in rollout.finalObservationSteps.enumerated() {
                finalSteps.append(column(s))
                finalObservations += rollout.finalObservations[(k * size)..<((k + 1) * size)]
            }
            nextObservations.replaceSubrange(
                (offset * size)..<((offset + n) * size), with: rollout.nextObservations)
            offset += n
        }
        switch first.actions {
        case .discrete: actions = .discrete(discreteActions)
        case .continuous(_, let dimension): actions = .continuous(continuousActions, dimension: dimension)
        }
    }

    /// Traps on a rollout whose arrays do not fit its T x N (the learner's caller validates batches).
    /// `first` is the first rollout's actions: every rollout's must be of their kind.
    private static func check(_ rollout: Rollout, rewards: [Float], t: Int, size: Int, actions first: PolicyActions) {
        let steps = t * rollout.numEnvs
        precondition(rollout.numSteps == t && rollout.observationSize == size, "rollouts differ in T or observation size")
        precondition(
            rollout.observations.count == steps * size && rollout.nextObservations.count == rollout.numEnvs * size
                && rewards.count == steps && rollout.terminated.count == steps && rollout.truncated.count == steps
                && rollout.behaviourLogProbs.count == steps
                && rollout.finalObservations.count == rollout.finalObservationSteps.count * size,
            "rollout \(rollout.streamID) has arrays of the wrong size")
        switch (rollout.actions, first) {
        case (.discrete(let actions), .discrete):
            precondition(actions.count == steps, "rollout actions do not match")
        case (.continuous(let actions, let dimension), .continuous(_, let firstDimension)):
            precondition(dimension == firstDimension && actions.count == steps * dimension, "rollout actions do not match")
        default:
            preconditionFailure("rollouts mix discrete and continuous actions")
        }
        precondition(rollout.finalObservationSteps.allSatisfy { $0 >= 0 && $0 < steps }, "final observation step out of range")
    }
}
