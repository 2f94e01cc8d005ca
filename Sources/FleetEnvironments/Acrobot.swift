import Foundation

/// Acrobot-v1: swing the free end of a two-link chain above the bar by torquing the middle
/// joint: actions 0, 1, 2 apply torque -1, 0, +1.
///
/// Gymnasium 1.x's dynamics ("book" equations, no torque noise, one RK4 step of 0.2 s), computed
/// in `Double`; the start state is drawn as `Float` like Gymnasium's. Observations
/// `[cos t1, sin t1, cos t2, sin t2, dt1, dt2]`. Reward -1 per step, 0 on the terminating step;
/// terminates when `-cos(t1) - cos(t1 + t2) > 1`; truncates at 500 steps.
public struct Acrobot: DiscreteEnvironment {
    /// The internal state: joint angles (rad) and angular velocities (rad/s).
    public struct State: Sendable, Equatable {
        /// Angle of the first link from hanging down.
        public var theta1: Double
        /// Angle of the second link relative to the first.
        public var theta2: Double
        /// Angular velocity of the first joint.
        public var theta1Dot: Double
        /// Angular velocity of the second joint.
        public var theta2Dot: Double

        /// A state from its four components.
        public init(theta1: Double, theta2: Double, theta1Dot: Double, theta2Dot: Double) {
            self.theta1 = theta1
            self.theta2 = theta2
            self.theta1Dot = theta1Dot
            self.theta2Dot = theta2Dot
        }
    }

    /// Gymnasium's id.
    public static let id = "Acrobot-v1"

    static let dt = 0.2
    static let linkLength1 = 1.0
    static let linkMass1 = 1.0
    static let linkMass2 = 1.0
    static let linkCenterOfMass1 = 0.5
    static let linkCenterOfMass2 = 0.5
    static let linkMomentOfInertia = 1.0
    /// The first joint's speed limit.
    public static let maxVelocity1 = 4 * Double.pi
    /// The second joint's speed limit.
    public static let maxVelocity2 = 9 * Double.pi
    static let torques: [Double] = [-1.0, 0.0, 1.0]

    /// The current state; set it to start from an exact state (tests, replays).
    public var state: State
    /// Steps since the last reset.
    public var elapsedSteps = 0
    /// The time limit (500 for v1).
    public let maxEpisodeSteps: Int
    private var random: EnvironmentRandom

    /// An acrobot whose generator is seeded with `seed`; call `reset` before stepping.
    public init(seed: UInt64 = 0, maxEpisodeSteps: Int = 500) {
        self.random = EnvironmentRandom(seed: seed)
        self.maxEpisodeSteps = maxEpisodeSteps
        self.state = State(theta1: 0, theta2: 0, theta1Dot: 0, theta2Dot: 0)
    }

    /// `[-1, 1]` for the four cosines and sines, `±4π` and `±9π` rad/s for the two angular velocities.
    public var observationSpace: BoxSpace {
        BoxSpace(symmetric: [1, 1, 1, 1, Float(Self.maxVelocity1), Float(Self.maxVelocity2)])
    }

    /// Three actions: torque -1, 0, +1.
    public var actionSpace: ActionSpace { .discrete(DiscreteSpace(3)) }

    /// -100, Gymnasium's threshold for Acrobot-v1.
    public var rewardThreshold: Double? { -100 }

    /// Draws every state component uniformly from [-0.1, 0.1), rounded to `Float`.
    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { random = EnvironmentRandom(seed: seed) }
        func draw() -> Double { Double(Float(random.uniform(-0.1, 0.1))) }
        let theta1 = draw()
        let theta2 = draw()
        let theta1Dot = draw()
        let theta2Dot = draw()
        state = State(theta1: theta1, theta2: theta2, theta1Dot: theta1Dot, theta2Dot: theta2Dot)
        elapsedSteps = 0
        write(observation)
    }

    /// Applies the torque of `action` for one RK4 step of 0.2 s; traps unless `action` is 0, 1 or 2.
    /// Angles are wrapped to `[-π, π]` and velocities clipped to their limits.
    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(action >= 0 && action < 3, "Acrobot action \(action) is not 0, 1 or 2")
        let torque = Self.torques[action]
        let y0 = SIMD4(state.theta1, state.theta2, state.theta1Dot, state.theta2Dot)
        let dt = Self.dt
        let halfDt = dt / 2.0
        let k1 = Self.derivatives(y0, torque: torque)
        let k2 = Self.derivatives(y0 + halfDt * k1, torque: torque)
        let k3 = Self.derivatives(y0 + halfDt * k2, torque: torque)
        let k4 = Self.derivatives(y0 + dt * k3, torque: torque)
        let y1 = y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        state = State(
            theta1: Self.wrap(y1[0]), theta2: Self.wrap(y1[1]),
            theta1Dot: min(max(y1[2], -Self.maxVelocity1), Self.maxVelocity1),
            theta2Dot: min(max(y1[3], -Self.maxVelocity2), Self.maxVelocity2))
        elapsedSteps += 1
        write(observation)
        let terminated = -cos(state.theta1) - cos(state.theta2 + state.theta1) > 1.0
        return StepOutcome(
            reward: terminated ? 0 : -1, terminated: terminated, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    /// The equations of motion ("book" variant): d/dt of `[t1, t2, dt1, dt2]`.
    static func derivatives(_ s: SIMD4<Double>, torque a: Double) -> SIMD4<Double> {
        let m1 = linkMass1, m2 = linkMass2, l1 = linkLength1
        let lc1 = linkCenterOfMass1, lc2 = linkCenterOfMass2
        let i1 = linkMomentOfInertia, i2 = linkMomentOfInertia
        let g = 9.8
        let theta1 = s[0], theta2 = s[1], dtheta1 = s[2], dtheta2 = s[3]
        let d1 = m1 * (lc1 * lc1) + m2 * ((l1 * l1) + (lc2 * lc2) + 2 * l1 * lc2 * cos(theta2)) + i1 + i2
        let d2 = m2 * ((lc2 * lc2) + l1 * lc2 * cos(theta2)) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin(theta2) - phi2)
            / (m2 * (lc2 * lc2) + i2 - (d2 * d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return SIMD4(dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    /// Wraps an angle into [-pi, pi] by whole turns, as Gymnasium's `wrap`.
    static func wrap(_ x: Double) -> Double {
        var x = x
        let turn = 2 * Double.pi
        while x > Double.pi { x -= turn }
        while x < -Double.pi { x += turn }
        return x
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(cos(state.theta1))
        observation[1] = Float(sin(state.theta1))
        observation[2] = Float(cos(state.theta2))
        observation[3] = Float(sin(state.theta2))
        observation[4] = Float(state.theta1Dot)
        observation[5] = Float(state.theta2Dot)
    }
}
