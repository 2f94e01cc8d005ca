/// Why a remote reward call gave no rewards: the server's own failure label (the function raised,
/// timed out, its worker died, it returned something unusable) or the client's (no reply came).
/// A failure costs the one call; the next call goes ahead.
public struct RemoteRewardFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why, as a stable short label (the server's `RewardReply.failure`, or the client's own).
    public struct Reason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The label, e.g. `timeout`.
        public let rawValue: String
        /// A reason from a label; prefer the static members.
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The function raised an exception.
        public static let raised = Reason(rawValue: "raised")
        /// The call ran past the server's timeout (its worker was killed and replaced), or no reply
        /// came within the client's own deadline.
        public static let timeout = Reason(rawValue: "timeout")
        /// The worker process ended mid-call (it was replaced).
        public static let workerDied = Reason(rawValue: "worker_died")
        /// The function returned something other than one number per response.
        public static let badResult = Reason(rawValue: "bad_result")
        /// The function returned NaN or an infinite number (or one beyond float32's range).
        public static let notFinite = Reason(rawValue: "not_finite")
        /// The server could not use the request.
        public static let badRequest = Reason(rawValue: "bad_request")
        /// The server is not there: it exited, could not be restarted, or its reply could not be read.
        public static let serverGone = Reason(rawValue: "server_gone")
    }

    /// Why.
    public var reason: Reason
    /// What happened, e.g. `ValueError: no answer (at rewards.py:12 in score)`.
    public var detail: String

    /// Creates a failure.
    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason): \(detail)" }
}
