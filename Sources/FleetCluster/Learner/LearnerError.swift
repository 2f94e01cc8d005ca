/// Why the learner stopped before the end of its run.
public enum LearnerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No batch was accepted for this many seconds: the actors are gone or all their batches are refused.
    case stalled(seconds: Double, iteration: Int)

    public var description: String {
        switch self {
        case .stalled(let seconds, let iteration):
            "learner: no batch accepted for \(Int(seconds)) s at iteration \(iteration); are the actors running?"
        }
    }
}
