import Foundation

/// MountainCar-v0: drive an under-powered car up the right hill: actions 0, 1, 2 push left,
/// not at all, right.
///
/// Gymnasium 1.x's dynamics, computed in `Double`; observations `[position, velocity]`.
/// Reward -1 per step; terminates when position >= 0.5 (with velocity >= 0); truncates at 200 steps.
public struct MountainCar: DiscreteEnvironment {
    /// The internal state.
    public struct State: Sendable, Equatable {
        /// Position along the track, in [-1.2, 0.6].
        public var position: Double
        /// Velocity, in [-0.07, 0.07].
        public var velocity: Double

        /// A state from its two components.
        public init(position: Double, velocity: Double) {
            self.position = position
            self.velocity = velocity
        }
    }

    /// Gymnasium's id.
    public static let id = "MountainCar-v0"

    /// The left end of the track.
    public static let minPosition = -1.2
    /// The right end of the track.
    public static let maxPosition = 0.6
    /// The speed limit.
    public static let maxSpeed = 0.07
    /// The position the car must reach.
    public static let goalPosition = 0.5
    static let goalVelocity = 0.0
    static let force = 0.001
    static let gravity = 0.0025

    /// The current state; set it to start from an exact state (tests, replays).
    public var state: State
    /// Steps since the last reset.
    public var elapsedSteps = 0
    /// The time limit (200 for v0).
    public let maxEpisodeSteps: Int
    private var random: EnvironmentRandom

    /// A mountain car whose generator is seeded with `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0, maxEpisodeSteps: Int = 200) {
        self.random = EnvironmentRandom(seed: seed)
        self.maxEpisodeSteps = maxEpisodeSteps
        self.state = State(position: -0.5, velocity: 0)
    }

    /// Position in `[-1.2, 0.6]`, velocity in `[-0.07, 0.07]`.
    public var observationSpace: BoxSpace {
        BoxSpace(
            low: [Float(Self.minPosition), Float(-Self.maxSpeed)],
            high: [Float(Self.maxPosition), Float(Self.maxSpeed)], shape: [2])
    }

    /// Three actions: push left, no push, push right.
    public var actionSpace: ActionSpace { .discrete(DiscreteSpace(3)) }

    /// -110, Gymnasium's threshold for MountainCar-v0.
    public var rewardThreshold: Double? { -110 }

    /// Draws the position uniformly from [-0.6, -0.4), velocity 0.
    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { random = EnvironmentRandom(seed: seed) }
        state = State(position: random.uniform(-0.6, -0.4), velocity: 0)
        elapsedSteps = 0
        write(observation)
    }

    /// Pushes the car for one step; traps unless `action` is 0, 1 or 2. Velocity and position are
    /// clipped to their limits, and the velocity is zeroed when the car hits the left wall moving left.
    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(action >= 0 && action < 3, "MountainCar action \(action) is not 0, 1 or 2")
        var position = state.position
        var velocity = state.velocity
        velocity += Double(action - 1) * Self.force + cos(3 * position) * (-Self.gravity)
        velocity = min(max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = min(max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        state = State(position: position, velocity: velocity)
        elapsedSteps += 1
        write(observation)
        let terminated = position >= Self.goalPosition && velocity >= Self.goalVelocity
        return StepOutcome(reward: -1, terminated: terminated, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(state.position)
        observation[1] = Float(state.velocity)
    }
}
