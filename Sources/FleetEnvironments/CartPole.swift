import Foundation

/// CartPole-v1: balance a pole on a cart by pushing it left (0) or right (1).
///
/// Gymnasium 1.x's dynamics (Euler integration, `tau` 0.02 s), computed in `Double` as Gymnasium
/// does; observations `[x, x_dot, theta, theta_dot]` as `Float`. Reward +1 every step (the
/// terminating one included); terminates when |x| > 2.4 or |theta| > 12 degrees; truncates at 500 steps.
public struct CartPole: DiscreteEnvironment {
    /// The internal state, in Gymnasium's order.
    public struct State: Sendable, Equatable {
        /// Cart position (m).
        public var x: Double
        /// Cart velocity (m/s).
        public var xDot: Double
        /// Pole angle from upright (rad).
        public var theta: Double
        /// Pole angular velocity (rad/s).
        public var thetaDot: Double

        /// A state from its four components.
        public init(x: Double, xDot: Double, theta: Double, thetaDot: Double) {
            self.x = x
            self.xDot = xDot
            self.theta = theta
            self.thetaDot = thetaDot
        }
    }

    /// Gymnasium's id.
    public static let id = "CartPole-v1"

    static let gravity = 9.8
    static let massCart = 1.0
    static let massPole = 0.1
    static let totalMass = massPole + massCart
    static let halfPoleLength = 0.5
    static let poleMassLength = massPole * halfPoleLength
    static let forceMagnitude = 10.0
    static let tau = 0.02
    /// The pole angle beyond which the episode terminates: 12 degrees, in radians.
    public static let thetaThreshold = 12 * 2 * Double.pi / 360
    /// The cart position beyond which the episode terminates.
    public static let xThreshold = 2.4

    /// The current state; set it to start from an exact state (tests, replays).
    public var state: State
    /// Steps since the last reset.
    public var elapsedSteps = 0
    /// The time limit (500 for v1).
    public let maxEpisodeSteps: Int
    private var random: EnvironmentRandom

    /// A cart-pole whose generator is seeded with `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0, maxEpisodeSteps: Int = 500) {
        self.random = EnvironmentRandom(seed: seed)
        self.maxEpisodeSteps = maxEpisodeSteps
        self.state = State(x: 0, xDot: 0, theta: 0, thetaDot: 0)
    }

    /// `±4.8` m for `x`, `±24°` (in rad) for `theta`, unbounded velocities: twice the termination
    /// thresholds, as Gymnasium.
    public var observationSpace: BoxSpace {
        BoxSpace(symmetric: [
            Float(Self.xThreshold * 2), .infinity, Float(Self.thetaThreshold * 2), .infinity,
        ])
    }

    /// Two actions: push left (0) or right (1) with 10 N.
    public var actionSpace: ActionSpace { .discrete(DiscreteSpace(2)) }

    /// 475, Gymnasium's threshold for CartPole-v1.
    public var rewardThreshold: Double? { 475 }

    /// Draws every state component uniformly from [-0.05, 0.05).
    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { random = EnvironmentRandom(seed: seed) }
        state = State(
            x: random.uniform(-0.05, 0.05), xDot: random.uniform(-0.05, 0.05),
            theta: random.uniform(-0.05, 0.05), thetaDot: random.uniform(-0.05, 0.05))
        elapsedSteps = 0
        write(observation)
    }

    /// Pushes the cart for one Euler step of 0.02 s; traps unless `action` is 0 or 1.
    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(action == 0 || action == 1, "CartPole action \(action) is not 0 or 1")
        var s = state
        let force = action == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        let cosTheta = cos(s.theta)
        let sinTheta = sin(s.theta)
        let temp = (force + Self.poleMassLength * (s.thetaDot * s.thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc = (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.halfPoleLength * (4.0 / 3.0 - Self.massPole * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        s.x = s.x + Self.tau * s.xDot
        s.xDot = s.xDot + Self.tau * xAcc
        s.theta = s.theta + Self.tau * s.thetaDot
        s.thetaDot = s.thetaDot + Self.tau * thetaAcc
        state = s
        elapsedSteps += 1
        write(observation)
        let terminated = s.x < -Self.xThreshold || s.x > Self.xThreshold
            || s.theta < -Self.thetaThreshold || s.theta > Self.thetaThreshold
        return StepOutcome(reward: 1, terminated: terminated, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(state.x)
        observation[1] = Float(state.xDot)
        observation[2] = Float(state.theta)
        observation[3] = Float(state.thetaDot)
    }
}
