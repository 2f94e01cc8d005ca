/// Counts rejected batches by reason and logs each (sender, reason) pair when it first occurs
/// and again at counts 10, 100, 1000, ...: a flood of bad frames costs a few log lines.
struct RejectionCounter {
    /// Rejections so far, by reason.
    private(set) var counts: [String: Int] = [:]
    private var perSender: [String: Int] = [:]
    let log: (String) -> Void

    init(log: @escaping (String) -> Void) { self.log = log }

    mutating func count(_ rejection: BatchRejection) {
        counts[rejection.reason, default: 0] += 1
        let key = "\(rejection.sender ?? "?")|\(rejection.reason)"
        let seen = perSender[key, default: 0] + 1
        perSender[key] = seen
        if isLogWorthy(seen) {
            log("learner: rejected a batch (\(seen) so far like it): \(rejection)")
        }
    }

    private func isLogWorthy(_ count: Int) -> Bool {
        var mark = 1
        while mark < count { mark *= 10 }
        return mark == count
    }
}
