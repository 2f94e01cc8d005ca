/// One response to score, as a reward function sees it (an item of `fleet.v1.RewardRequest`).
public struct RewardItem: Sendable, Hashable {
    /// The task's id of the problem the response answers.
    public var promptID: Int64
    /// The prompt's text.
    public var prompt: String
    /// The response's text, decoded up to its end-of-sequence token.
    public var response: String
    /// The problem's reference answer.
    public var answer: String
    /// The problem's metadata as a JSON object's text, or empty when it has none.
    public var metadata: String
    /// Whether the response hit the length limit (it has no end-of-sequence token).
    public var truncated: Bool

    /// Creates an item; nothing is checked until the frame is validated.
    public init(promptID: Int64, prompt: String, response: String, answer: String, metadata: String = "", truncated: Bool) {
        self.promptID = promptID
        self.prompt = prompt
        self.response = response
        self.answer = answer
        self.metadata = metadata
        self.truncated = truncated
    }
}

/// Learner -> reward server: score these responses (`fleet.v1.RewardRequest`). A request without
/// items is a ping: the server answers it with no rewards once its workers are ready.
///
/// On the wire each text field is one UTF-8 blob with `[B + 1]` int64 offsets, as ``GroupBatch``'s
/// tokens are. Validation requires at most ``maxItems`` items and at most ``maxTextBytes`` bytes in
/// any one text; decoding also requires every tensor, offsets that start at 0, never decrease and
/// end at their blob's length, and valid UTF-8 in every item.
public struct RewardRequest: Sendable, Hashable {
    /// The responses, in the order their rewards come back.
    public var items: [RewardItem]

    /// The most items one request holds.
    public static let maxItems = 65_536
    /// The most UTF-8 bytes of any one prompt, response, answer or metadata text.
    public static let maxTextBytes = 1 << 20

    /// Creates a request of `items` (none: a ping).
    public init(items: [RewardItem]) { self.items = items }
}

/// Reward server -> learner: the answer to one ``RewardRequest`` (`fleet.v1.RewardReply`), matched
/// to it by the request's envelope sequence: one finite reward per item, or a failure that costs
/// the request.
public struct RewardReply: Sendable, Hashable {
    /// What came of the request.
    public enum Outcome: Sendable, Hashable {
        /// One finite reward per item, in the items' order.
        case rewards([Double])
        /// No rewards: `reason` is a short label (``RewardReply/failureReasons`` are the server's),
        /// `detail` a sentence for people.
        case failure(reason: String, detail: String)
    }

    /// The envelope sequence of the request this answers.
    public var requestSequence: UInt64
    /// Rewards, or why there are none.
    public var outcome: Outcome

    /// The failure labels `python -m fleet_env reward` answers with: the function raised, ran past
    /// the server's timeout, its worker process died, it returned something other than one number
    /// per item, or a number that is NaN or infinite; or the request itself was unusable.
    public static let failureReasons = ["raised", "timeout", "worker_died", "bad_result", "not_finite", "bad_request"]
    /// The longest failure label.
    public static let maxReasonBytes = 64
    /// The longest failure detail, in UTF-8 bytes.
    public static let maxDetailBytes = 4096

    /// Creates a reply; nothing is checked until the frame is validated.
    public init(requestSequence: UInt64, outcome: Outcome) {
        self.requestSequence = requestSequence
        self.outcome = outcome
    }
}
