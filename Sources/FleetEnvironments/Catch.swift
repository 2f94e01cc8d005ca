/// Catch: a ball falls from a random column of the top row, one row a step; a paddle on the
/// bottom row moves left (0), stays (1) or moves right (2). When the ball reaches the bottom row
/// the episode terminates with reward +1 if the paddle is under it, -1 if not (0 on every other
/// step). Fleet's own pixel task (after bsuite's `catch`), for learning from pixels.
///
/// Observations are pixels: `uint8` planes `[2, rows, columns]` of 0 and 1, the ball in plane 0
/// and the paddle in plane 1. The paddle starts in the middle column (`columns / 2`), so only the
/// ball's column is drawn; from there it can reach every column in time. A uniformly random policy
/// returns about -0.8 (it catches one ball in ten); the threshold is 0.8.
public struct Catch: DiscreteEnvironment {
    /// Fleet's own id (Gymnasium has no such environment).
    public static let id = "Catch-v0"

    /// The grid's rows: the ball falls `rows - 1` steps.
    public let rows: Int
    /// The grid's columns.
    public let columns: Int
    /// The ball's position, row 0 at the top.
    public var ball: (row: Int, column: Int) = (0, 0)
    /// The paddle's column (it sits on the bottom row).
    public var paddle = 0
    /// Steps since the last reset.
    public var elapsedSteps = 0
    /// The time limit; the default (`rows`) is never reached, the ball lands first.
    public let maxEpisodeSteps: Int
    private var random: EnvironmentRandom

    /// A `rows` x `columns` catch (10 x 10 by default) whose generator is seeded with `seed`;
    /// call `reset` before stepping.
    public init(rows: Int = 10, columns: Int = 10, maxEpisodeSteps: Int? = nil, seed: UInt64 = 0) {
        precondition(rows >= 2 && columns >= 1, "Catch needs at least 2 rows and 1 column")
        self.rows = rows
        self.columns = columns
        self.maxEpisodeSteps = maxEpisodeSteps ?? rows
        self.random = EnvironmentRandom(seed: seed)
    }

    /// `uint8` planes `[2, rows, columns]` of 0 and 1: the ball, then the paddle.
    public var observationSpace: BoxSpace { BoxSpace(pixels: [2, rows, columns], high: 1) }

    /// Three actions: left (0), stay (1), right (2).
    public var actionSpace: ActionSpace { .discrete(DiscreteSpace(3)) }

    /// A mean return of 0.8: at least 90% of balls caught.
    public var rewardThreshold: Double? { 0.8 }

    /// Drops a ball from a uniformly drawn column of the top row; the paddle starts in the middle.
    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { random = EnvironmentRandom(seed: seed) }
        ball = (0, Int(random.next() % UInt64(columns)))
        paddle = columns / 2
        elapsedSteps = 0
        write(observation)
    }

    /// Moves the paddle (it stops at the walls), then lets the ball fall one row; traps unless
    /// `action` is 0, 1 or 2.
    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition((0...2).contains(action), "Catch action \(action) is not 0, 1 or 2")
        paddle = min(max(paddle + action - 1, 0), columns - 1)
        ball.row += 1
        elapsedSteps += 1
        write(observation)
        let landed = ball.row == rows - 1
        let reward: Double = landed ? (ball.column == paddle ? 1 : -1) : 0
        return StepOutcome(reward: reward, terminated: landed, truncated: elapsedSteps >= maxEpisodeSteps)
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        precondition(observation.count == 2 * rows * columns, "Catch writes \(2 * rows * columns) pixels")
        for index in observation.indices { observation[index] = 0 }
        observation[ball.row * columns + ball.column] = 1
        observation[rows * columns + (rows - 1) * columns + paddle] = 1
    }
}
