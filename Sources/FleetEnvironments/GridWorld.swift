/// A small grid with a goal, pits and walls, and a fully known tabular model (`model`), so the
/// tabular oracles can compute its optimal values exactly.
///
/// Actions 0, 1, 2, 3 move up, right, down, left. With probability `1 - slip` the agent moves as
/// asked, otherwise to either side (`slip / 2` each); moving into a wall or off the grid leaves
/// it in place. Every step costs `stepReward`; entering the goal adds `goalReward`, entering a
/// pit adds `pitReward`; both end the episode (terminated). Truncates at `maxEpisodeSteps`.
/// Observations are one-hot over the states (the non-wall cells, row by row).
///
/// The default is Russell & Norvig's 4 x 3 world (slip 0.2, step -0.04, goal +1, pit -1).
public struct GridWorld: DiscreteEnvironment {
    /// One outcome of taking an action in a state.
    public struct Outcome: Sendable, Equatable {
        /// The state reached.
        public var next: Int
        /// Its probability.
        public var probability: Double
        /// The reward for this transition.
        public var reward: Double
    }

    /// The world's full tabular model.
    public struct Model: Sendable, Equatable {
        /// The number of states (non-wall cells).
        public let stateCount: Int
        /// The number of actions (4).
        public let actionCount: Int
        /// The outcomes of action `a` in state `s`, at `[s * actionCount + a]`; probabilities sum
        /// to 1. A terminal state loops to itself with reward 0.
        public let outcomes: [[Outcome]]
        /// Whether each state ends the episode when entered.
        public let terminal: [Bool]
        /// The state every episode starts in.
        public let start: Int

        /// The outcomes of `action` in `state`.
        public func outcomes(state: Int, action: Int) -> [Outcome] { outcomes[state * actionCount + action] }
    }

    /// A cell of the layout.
    public enum Cell: Character, Sendable {
        /// An empty cell (`.`).
        case free = "."
        /// A wall (`#`): not a state; moving into it leaves the agent in place.
        case wall = "#"
        /// The start cell (`S`), exactly one per layout.
        case start = "S"
        /// A goal (`G`): entering it adds `goalReward` and terminates.
        case goal = "G"
        /// A pit (`P`): entering it adds `pitReward` and terminates.
        case pit = "P"
    }

    /// Russell & Norvig's 4 x 3 world: start bottom left, goal top right, a pit below it, one wall.
    public static let classicLayout = [
        "...G",
        ".#.P",
        "S...",
    ]

    /// Gymnasium has no such environment; this is Fleet's own id.
    public static let id = "GridWorld-v0"

    /// The layout, top row first.
    public let layout: [[Cell]]
    /// The probability of moving to a side instead of as asked.
    public let slip: Double
    /// The tabular model the environment samples from.
    public let model: Model
    /// (row, column) of each state.
    public let cells: [(row: Int, column: Int)]
    /// The current state; set it to start from an exact state (tests, replays).
    public var position: Int
    /// Steps since the last reset.
    public var elapsedSteps = 0
    /// The time limit.
    public let maxEpisodeSteps: Int
    private var random: EnvironmentRandom

    /// A grid world from `layout` (rows of `.`, `#`, `S`, `G`, `P`, exactly one `S`).
    public init(
        layout: [String] = GridWorld.classicLayout, slip: Double = 0.2, stepReward: Double = -0.04,
        goalReward: Double = 1, pitReward: Double = -1, seed: UInt64 = 0, maxEpisodeSteps: Int = 100
    ) {
        precondition(slip >= 0 && slip <= 1, "slip \(slip) is not a probability")
        let grid = layout.map { row in
            row.map { character in
                guard let cell = Cell(rawValue: character) else {
                    preconditionFailure("unknown grid cell \(character)")
                }
                return cell
            }
        }
        precondition(!grid.isEmpty && grid.allSatisfy { $0.count == grid[0].count }, "rows differ in length")
        var cells: [(row: Int, column: Int)] = []
        var index: [[Int?]] = grid.map { $0.map { _ in nil } }
        for row in grid.indices {
            for column in grid[row].indices where grid[row][column] != .wall {
                index[row][column] = cells.count
                cells.append((row, column))
            }
        }
        let starts = cells.indices.filter { grid[cells[$0].row][cells[$0].column] == .start }
        precondition(starts.count == 1, "a grid needs exactly one start cell")

        let moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]
        func destination(_ state: Int, _ move: Int) -> Int {
            let (row, column) = cells[state]
            let (dr, dc) = moves[move]
            let r = row + dr, c = column + dc
            guard grid.indices.contains(r), grid[r].indices.contains(c), let next = index[r][c] else {
                return state
            }
            return next
        }
        let terminal = cells.map { grid[$0.row][$0.column] == .goal || grid[$0.row][$0.column] == .pit }
        func reward(entering state: Int) -> Double {
            switch grid[cells[state].row][cells[state].column] {
            case .goal: stepReward + goalReward
            case .pit: stepReward + pitReward
            default: stepReward
            }
        }
        var outcomes: [[Outcome]] = []
        for state in cells.indices {
            for action in 0..<4 {
                if terminal[state] {
                    outcomes.append([Outcome(next: state, probability: 1, reward: 0)])
                    continue
                }
                var merged: [Outcome] = []
                for (move, probability) in [(action, 1 - slip), ((action + 1) % 4, slip / 2), ((action + 3) % 4, slip / 2)]
                where probability > 0 {
                    let next = destination(state, move)
                    if let existing = merged.firstIndex(where: { $0.next == next }) {
                        merged[existing].probability += probability
                    } else {
                        merged.append(Outcome(next: next, probability: probability, reward: reward(entering: next)))
                    }
                }
                outcomes.append(merged)
            }
        }
        self.layout = grid
        self.slip = slip
        self.cells = cells
        self.model = Model(
            stateCount: cells.count, actionCount: 4, outcomes: outcomes, terminal: terminal, start: starts[0])
        self.position = starts[0]
        self.maxEpisodeSteps = maxEpisodeSteps
        self.random = EnvironmentRandom(seed: seed)
    }

    /// The state at (`row`, `column`), or nil for a wall or a cell off the grid.
    public func state(row: Int, column: Int) -> Int? {
        cells.firstIndex { $0.row == row && $0.column == column }
    }

    /// `[0, 1]` per state: the one-hot vector over the non-wall cells.
    public var observationSpace: BoxSpace {
        BoxSpace(
            low: [Float](repeating: 0, count: model.stateCount),
            high: [Float](repeating: 1, count: model.stateCount), shape: [model.stateCount])
    }

    /// Four actions: up, right, down, left.
    public var actionSpace: ActionSpace { .discrete(DiscreteSpace(4)) }

    /// None: the optimal return depends on the layout (compute it from `model`).
    public var rewardThreshold: Double? { nil }

    /// Puts the agent on the start cell.
    public mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        if let seed { random = EnvironmentRandom(seed: seed) }
        position = model.start
        elapsedSteps = 0
        write(observation)
    }

    /// Draws one outcome of `action` from ``model`` with the environment's generator; traps unless
    /// `action` is 0, 1, 2 or 3.
    public mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        precondition(action >= 0 && action < 4, "GridWorld action \(action) is not 0, 1, 2 or 3")
        let outcomes = model.outcomes(state: position, action: action)
        var draw = random.unitInterval()
        var chosen = outcomes[outcomes.count - 1]
        for outcome in outcomes {
            if draw < outcome.probability {
                chosen = outcome
                break
            }
            draw -= outcome.probability
        }
        position = chosen.next
        elapsedSteps += 1
        write(observation)
        return StepOutcome(
            reward: chosen.reward, terminated: model.terminal[position],
            truncated: elapsedSteps >= maxEpisodeSteps)
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        for index in 0..<model.stateCount { observation[index] = 0 }
        observation[position] = 1
    }
}
