/// Why the learner stopped before the end of its run.
public enum LearnerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No batch was accepted for `stall_timeout`: the actors are gone, or all they send is refused.
    /// The report says which: what was refused in that time and where each actor stands.
    case stalled(StallReport)

    public var description: String {
        switch self {
        case .stalled(let report): "learner: \(report)"
        }
    }
}
