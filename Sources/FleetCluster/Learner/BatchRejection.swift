import FleetWire

/// Why the learner refused a batch frame (or, for the authentication checks, a control message):
/// a `WireError`'s reason label, or one of the learner's own checks below. Rejections are counted
/// by `reason`.
public struct BatchRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// The counter label, e.g. `malformed`, `stale`.
    public var reason: String
    /// The envelope's sender id, when the frame got as far as having one.
    public var sender: String?
    /// A sentence for people.
    public var detail: String

    public init(_ reason: String, sender: String? = nil, _ detail: String) {
        self.reason = reason
        self.sender = sender
        self.detail = detail
    }

    /// A frame that decoded to something other than a trajectory batch.
    public static let unexpectedPayload = "unexpected_payload"
    /// A sender id that is not one of the run's actors.
    public static let unknownSender = "unknown_sender"
    /// An envelope whose sender id is not the actor id its connection's CURVE key was admitted as
    /// (or, on a CURVE socket, a connection without one). Counted under the authenticated id.
    public static let senderMismatch = "sender_mismatch"
    /// A message on a connection whose key was taken off the allow-list after it was admitted.
    public static let revokedKey = "revoked_key"
    /// Steps, environments, observation size or action type other than the run's.
    public static let specMismatch = "spec_mismatch"
    /// A discrete action outside the action space.
    public static let actionOutOfRange = "action_out_of_range"
    /// A token id outside the vocabulary, or a response longer than the run's budget.
    public static let tokenOutOfRange = "token_out_of_range"
    /// A reward other than the task's verifier gives the response.
    public static let rewardMismatch = "reward_mismatch"
    /// A policy version the learner has not published yet.
    public static let futurePolicyVersion = "future_policy_version"
    /// A policy more than `max_policy_lag` versions older than the learner's.
    public static let stale = "stale"
    /// A (sender, incarnation, sequence) at or before one already taken.
    public static let replayed = "replayed"
    /// The sender already has as many batches waiting as a paced actor can have.
    public static let queueFull = "queue_full"
    /// A language batch none of whose groups dynamic sampling kept (captured, not counted here:
    /// the groups are counted as dropped by dynamic sampling).
    public static let noGroupKept = "no_group_kept"
    /// A batch of an update whose loss or gradient was not finite: the update was undone.
    public static let nonFiniteUpdate = "non_finite_update"
    /// A batch from an actor quarantined for sending too many bad ones.
    public static let quarantined = "quarantined"
    /// A batch still queued when the run ended (captured as dropped, not counted as refused).
    public static let unconsumed = "unconsumed"

    /// Whether the rejection says the sender misbehaved (a malformed, invalid, foreign or replayed
    /// batch), as opposed to what a healthy actor meets (a stale batch, a full queue, an undone
    /// update): only these count toward quarantine.
    public var isMisbehaviour: Bool {
        ![Self.stale, Self.queueFull, Self.nonFiniteUpdate, Self.unconsumed, Self.quarantined, Self.noGroupKept]
            .contains(reason)
    }

    public var description: String { "\(sender ?? "unknown sender"): \(reason): \(detail)" }
}
