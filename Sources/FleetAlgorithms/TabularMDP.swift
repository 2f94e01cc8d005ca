/// A finite Markov decision process with a known model: `P(s' | s, a)` and `R(s, a, s')`.
///
/// Terminal states have value 0: no reward follows them, whatever their listed transitions say.
public struct TabularMDP: Sendable, Equatable {
    /// One outcome of taking an action in a state.
    public struct Transition: Sendable, Equatable {
        /// The state reached.
        public var next: Int
        /// Its probability.
        public var probability: Double
        /// The reward for this transition.
        public var reward: Double

        /// An outcome reaching `next` with `probability` and `reward`.
        public init(next: Int, probability: Double, reward: Double) {
            self.next = next
            self.probability = probability
            self.reward = reward
        }
    }

    /// The number of states.
    public let stateCount: Int
    /// The number of actions (the same in every state).
    public let actionCount: Int
    /// The outcomes of action `a` in state `s`, at `[s * actionCount + a]`.
    public let transitions: [[Transition]]
    /// Whether each state is terminal.
    public let terminal: [Bool]
    /// The discount factor.
    public let gamma: Double

    /// An MDP from its model. Each non-terminal (state, action) must list outcomes whose
    /// probabilities sum to 1 (within 1e-9); terminal states may list none.
    public init(
        stateCount: Int, actionCount: Int, transitions: [[Transition]], terminal: [Bool]? = nil, gamma: Double
    ) {
        precondition(stateCount > 0 && actionCount > 0, "an MDP needs states and actions")
        precondition(transitions.count == stateCount * actionCount, "one outcome list per (state, action)")
        precondition(gamma >= 0 && gamma <= 1, "gamma \(gamma) is not in [0, 1]")
        let terminal = terminal ?? [Bool](repeating: false, count: stateCount)
        precondition(terminal.count == stateCount, "one terminal flag per state")
        for state in 0..<stateCount where !terminal[state] {
            for action in 0..<actionCount {
                let outcomes = transitions[state * actionCount + action]
                let total = outcomes.reduce(0) { $0 + $1.probability }
                precondition(abs(total - 1) < 1e-9, "P(. | s \(state), a \(action)) sums to \(total)")
                precondition(
                    outcomes.allSatisfy { $0.probability >= 0 && (0..<stateCount).contains($0.next) },
                    "bad outcome for s \(state), a \(action)")
            }
        }
        self.stateCount = stateCount
        self.actionCount = actionCount
        self.transitions = transitions
        self.terminal = terminal
        self.gamma = gamma
    }

    /// The outcomes of `action` in `state`.
    public func transitions(state: Int, action: Int) -> [Transition] {
        transitions[state * actionCount + action]
    }

    /// `Q(s, a) = sum over s' of P(s' | s, a) (R(s, a, s') + gamma V(s'))`; 0 for a terminal state.
    public func actionValue(state: Int, action: Int, values: [Double]) -> Double {
        if terminal[state] { return 0 }
        var total = 0.0
        for outcome in transitions[state * actionCount + action] {
            total += outcome.probability * (outcome.reward + gamma * values[outcome.next])
        }
        return total
    }

    /// The greedy policy for `values`: in each state the action of highest `Q`; ties go to
    /// `preferred[s]` when given (keeps policy iteration from cycling), else to the lowest action.
    public func greedyPolicy(values: [Double], preferred: [Int]? = nil, tolerance: Double = 1e-12) -> [Int] {
        (0..<stateCount).map { state in
            var best = preferred?[state] ?? 0
            var bestValue = actionValue(state: state, action: best, values: values)
            for action in 0..<actionCount {
                let value = actionValue(state: state, action: action, values: values)
                if value > bestValue + tolerance {
                    best = action
                    bestValue = value
                }
            }
            return best
        }
    }

    /// The largest change one Bellman optimality backup makes to `values` (0 at the fixed point v*).
    public func bellmanResidual(values: [Double]) -> Double {
        var residual = 0.0
        for state in 0..<stateCount where !terminal[state] {
            var best = -Double.infinity
            for action in 0..<actionCount {
                best = max(best, actionValue(state: state, action: action, values: values))
            }
            residual = max(residual, abs(best - values[state]))
        }
        return residual
    }
}
