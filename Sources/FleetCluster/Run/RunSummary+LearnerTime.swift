import Foundation

extension RunSummary {
    /// `learner_time` as one line for people, phases in ``LearnerTimeAccount/Phase`` order with
    /// their seconds and share, then the broadcast share in wall and CPU time:
    /// `learner time 20.00 s: ingress 1.000 s (5.0%), idle ...; weight broadcast 0.40% of it (0.10% in CPU time)`.
    /// Nil when the summary has no `learner_time`.
    public var learnerTimeLine: String? {
        guard let learnerTime else { return nil }
        let wall = learnerTime.values.reduce(0, +)
        let phases = LearnerTimeAccount.Phase.allCases.compactMap { phase -> String? in
            guard let seconds = learnerTime[phase.name] else { return nil }
            let share = wall > 0 ? 100 * seconds / wall : 0
            return "\(phase.name) " + String(format: "%.3f s (%.1f%%)", seconds, share)
        }
        var line = String(format: "learner time %.2f s: ", wall) + phases.joined(separator: ", ")
        if let broadcastShare { line += String(format: "; weight broadcast %.2f%% of it", 100 * broadcastShare) }
        if let broadcastCPUSeconds, wall > 0 {
            line += String(format: " (%.2f%% in CPU time)", 100 * broadcastCPUSeconds / wall)
        }
        return line
    }
}
