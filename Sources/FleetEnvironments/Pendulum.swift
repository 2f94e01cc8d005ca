import Foundation

/// Pendulum-v1: swing a pendulum up and hold it upright with a torque in [-2, 2].
///
/// Gymnasium 1.x's dynamics, computed in `Double` with the torque kept in `Float` as Gymnasium's
/// float32 action is; torques outside [-2, 2] are clipped. Observations
/// `[cos theta, sin theta, theta_dot]`. Reward `-(angle^2 + 0.1 theta_dot^2 + 0.001 u^2)` with the
/// angle normalized to [-pi, pi). Never terminates; truncates at 200 steps. It has no reward
/// threshold (Gymnasium registers none), so `rewardThreshold` is nil.
public struct Pendulum: ContinuousEnvironment {
    /// The internal state.
    public struct State: Sendable, Equatable {
        /// Angle from upright (rad), not normalized.
        public var theta: Double
        /// Angular velocity (rad/s), in [-8, 8].
        public var thetaDot: Double

        /// A state from its two components.
        public init(theta: Double, thetaDot: Double) {
            self.theta = theta
            self.thetaDot = thetaDot
        }
    }

    /// Gymnasium's id.
    public static let id = "Pendulum-v1"

    /// The torque limit: actions are clipped to [-maxTorque, maxTorque].
    public static let maxTorque: Float = 2.0
    /// The speed limit.
    public static let maxSpeed = 8.0
    static let dt = 0.05
    static let g = 10.0
    static let mass = 1.0
    static let length = 1.0

    /// The current state; set it to start from an exact state (tests, replays).
    public var state: State
    /// Steps since the last reset.
    public var elapsedSteps = 0
    /// The time limit (200 for v1).
    public let maxEpisodeSteps: Int
    /// The torque applied by the last step, after clipping.
    public private(set) var lastTorque: Float = 0
    private var random: EnvironmentRandom

    /// A pendulum whose generator is seeded with `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0, maxEpisodeSteps: Int = 200) {
        self.random = EnvironmentRandom(seed: seed)
        self.maxEpisodeSteps = maxEpisodeSteps
        self.state = State(theta: 0, thetaDot: 0)
    }

    /// `[-1, 1]` for the cosine and sine, `±8` rad/s for the angular velocity.
    public var observationSpace: BoxSpace { BoxSpace(symmetric: [1, 1, Float(Self.maxSpeed)]) }

    /// One torque in `[-2, 2]`.
    public var actionSpace: ActionSpace {
        .box(BoxSpace(low: [-Self.maxTorque], high: [Self.maxTorque], shape: [1]))
    }

    /// None: Gymnasium registers no threshold for Pendulum-v1.
    public var rewardThreshold: Double? { nil }

    /// Draws theta uniformly from [-pi, pi) and theta_dot from [-1, 1).
    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { random = EnvironmentRandom(seed: seed) }
        let theta = random.uniform(-Double.pi, Double.pi)
        let thetaDot = random.uniform(-1, 1)
        state = State(theta: theta, thetaDot: thetaDot)
        lastTorque = 0
        elapsedSteps = 0
        write(observation)
    }

    /// Applies `action[0]`, clipped to `[-2, 2]`, for one step of 0.05 s; traps unless `action` holds
    /// exactly one value. Never terminates.
    public mutating func step(
        _ action: UnsafeBufferPointer<Float>, observation: UnsafeMutableBufferPointer<Float>
    ) -> StepOutcome {
        precondition(action.count == 1, "Pendulum takes one torque, got \(action.count) values")
        let u = min(max(action[0], -Self.maxTorque), Self.maxTorque)
        lastTorque = u
        let theta = state.theta
        let thetaDot = state.thetaDot
        let angle = Self.normalizedAngle(theta)
        let cost = angle * angle + 0.1 * (thetaDot * thetaDot) + Double(0.001 * (u * u))
        let acceleration = 3 * Self.g / (2 * Self.length) * sin(theta) + Double(3.0 / Float(Self.mass * Self.length * Self.length) * u)
        var newThetaDot = thetaDot + acceleration * Self.dt
        newThetaDot = min(max(newThetaDot, -Self.maxSpeed), Self.maxSpeed)
        let newTheta = theta + newThetaDot * Self.dt
        state = State(theta: newTheta, thetaDot: newThetaDot)
        elapsedSteps += 1
        write(observation)
        return StepOutcome(reward: -cost, terminated: false, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    /// Takes the torque `torque` (clipped to [-2, 2]) and returns the whole result.
    public mutating func step(torque: Float) -> StepResult {
        step([torque])
    }

    /// `theta` mapped to [-pi, pi) by whole turns, with Python's floored modulo.
    static func normalizedAngle(_ theta: Double) -> Double {
        let turn = 2 * Double.pi
        var remainder = (theta + Double.pi).truncatingRemainder(dividingBy: turn)
        if remainder != 0 && remainder < 0 { remainder += turn }
        return remainder - Double.pi
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(state.theta))
        observation[1] = Float(sin(state.theta))
        observation[2] = Float(state.thetaDot)
    }
}
