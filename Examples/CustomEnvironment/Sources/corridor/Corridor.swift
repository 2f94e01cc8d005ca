import FleetEnvironments

/// A corridor of `length` cells: the agent starts in a random cell of the left half and must walk
/// to the right end. Actions: 0 steps left, 1 steps right. Each step costs 0.01; reaching the end
/// pays 1 and ends the episode (terminated); 4 x `length` steps truncate it. The observation is
/// the agent's position scaled to [0, 1] and its distance to the end.
struct Corridor: DiscreteEnvironment {
    static let id = "Corridor-v0"

    let length = 10
    var position = 0
    var elapsedSteps = 0
    private var random = EnvironmentRandom(seed: 0)

    var observationSpace: BoxSpace { BoxSpace(low: [0, 0], high: [1, 1], shape: [2]) }
    var actionSpace: ActionSpace { .discrete(DiscreteSpace(2)) }
    var rewardThreshold: Double? { 0.9 }
    var maxEpisodeSteps: Int { 4 * length }

    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { random = EnvironmentRandom(seed: seed) }
        position = Int(random.uniform(0, Double(length / 2)))
        elapsedSteps = 0
        observe(into: observation)
    }

    mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        position = min(max(position + (action == 1 ? 1 : -1), 0), length - 1)
        elapsedSteps += 1
        observe(into: observation)
        let arrived = position == length - 1
        return StepOutcome(
            reward: arrived ? 1 : -0.01, terminated: arrived, truncated: !arrived && elapsedSteps >= maxEpisodeSteps)
    }

    private func observe(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position) / Float(length - 1)
        observation[1] = Float(length - 1 - position) / Float(length - 1)
    }
}
