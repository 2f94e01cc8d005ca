import FleetWire

/// Why the learner refused a batch frame (or, for the authentication checks, a control message):
/// a ``Reason`` (a wire error's, or one of the learner's own checks), the sender when known, and a
/// sentence for people. Rejections are counted by the reason's label.
public struct BatchRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why, as a stable short label for counters (`malformed`, `stale`): the labels of
    /// `WireError.Reason` for frames that do not decode or validate, and the learner's own below.
    public struct Reason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The label, e.g. `stale`.
        public let rawValue: String
        /// A reason from a label; prefer the static members and ``init(_:)``.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The reason of a frame that failed to decode or validate: the wire error's own label.
        public init(_ wire: WireError.Reason) { rawValue = wire.rawValue }
        public var description: String { rawValue }

        /// A frame that decoded to something other than a trajectory batch.
        public static let unexpectedPayload = Reason(rawValue: "unexpected_payload")
        /// A sender id that is not one of the run's actors.
        public static let unknownSender = Reason(rawValue: "unknown_sender")
        /// An envelope whose sender id is not the actor id its connection's CURVE key was admitted
        /// as (or, on a CURVE socket, a connection without one). Counted under the authenticated id.
        public static let senderMismatch = Reason(rawValue: "sender_mismatch")
        /// A message on a connection whose key was taken off the allow-list after it was admitted.
        public static let revokedKey = Reason(rawValue: "revoked_key")
        /// Steps, environments, observation size or action type other than the run's.
        public static let specMismatch = Reason(rawValue: "spec_mismatch")
        /// A discrete action outside the action space.
        public static let actionOutOfRange = Reason(rawValue: "action_out_of_range")
        /// A token id outside the vocabulary, or a response longer than the run's budget.
        public static let tokenOutOfRange = Reason(rawValue: "token_out_of_range")
        /// A reward other than the task's verifier gives the response.
        public static let rewardMismatch = Reason(rawValue: "reward_mismatch")
        /// The remote reward function (`reward_function`) ran past `reward_timeout`, or its server
        /// did not answer at all within that plus a margin.
        public static let rewardTimeout = Reason(rawValue: "reward_timeout")
        /// The remote reward function raised, its worker died mid-call, or it returned something
        /// other than one number per response.
        public static let rewardFailed = Reason(rawValue: "reward_failed")
        /// The remote reward function returned NaN or an infinite number.
        public static let rewardNotFinite = Reason(rawValue: "reward_not_finite")
        /// The reward server is gone (it exited, and restarting it failed or is no longer allowed).
        public static let rewardUnavailable = Reason(rawValue: "reward_unavailable")
        /// A policy version the learner has not published yet.
        public static let futurePolicyVersion = Reason(rawValue: "future_policy_version")
        /// A policy more than `max_policy_lag` versions older than the learner's.
        public static let stale = Reason(rawValue: "stale")
        /// A (sender, incarnation, sequence) at or before one already taken.
        public static let replayed = Reason(rawValue: "replayed")
        /// A batch of an incarnation other than the sender's latest Hello's (and than that of its
        /// batches taken last): a forged envelope, or a batch of a process that has since restarted.
        /// Not the sender's misbehaviour: a frame that does not carry the actor's incarnation may not
        /// be its own.
        public static let wrongIncarnation = Reason(rawValue: "wrong_incarnation")
        /// A sequence more than ``BatchIngress/maxSequenceJump`` past the sender's last batch taken
        /// (or its Hello): adopting it would make every honest batch after it a replay.
        public static let sequenceJump = Reason(rawValue: "sequence_jump")
        /// The sender already has as many batches waiting as a paced actor can have.
        public static let queueFull = Reason(rawValue: "queue_full")
        /// A language batch none of whose groups dynamic sampling kept (captured, not counted here:
        /// the groups are counted as dropped by dynamic sampling).
        public static let noGroupKept = Reason(rawValue: "no_group_kept")
        /// A batch of an update whose loss or gradient was not finite: the update was undone.
        public static let nonFiniteUpdate = Reason(rawValue: "non_finite_update")
        /// A batch from an actor quarantined for sending too many bad ones.
        public static let quarantined = Reason(rawValue: "quarantined")
        /// A batch still queued when the run ended (captured as dropped, not counted as refused).
        public static let unconsumed = Reason(rawValue: "unconsumed")

        /// Whether the reason says the sender misbehaved (a malformed, invalid, foreign or replayed
        /// batch), as opposed to what a healthy actor meets (a stale batch, a full queue, an
        /// undone update, a reward function that failed): only these count toward quarantine.
        public var isMisbehaviour: Bool {
            ![Self.stale, .queueFull, .nonFiniteUpdate, .unconsumed, .quarantined, .noGroupKept, .wrongIncarnation]
                .contains(self)
                && !Self.rewardFailures.contains(self)
        }

        /// The reasons of a batch whose remote rewards failed: the learner's side, not the sender's.
        public static let rewardFailures: [Reason] = [.rewardTimeout, .rewardFailed, .rewardNotFinite, .rewardUnavailable]
    }

    /// Why.
    public var reason: Reason
    /// The envelope's sender id, when the frame got as far as having one.
    public var sender: String?
    /// A sentence for people.
    public var detail: String
    /// The refused frame's envelope sequence, when it decoded.
    public var sequence: UInt64?
    /// The environment steps or responses the refused batch held, when it decoded (or, for a
    /// batch refused before decoding, what its header claims).
    public var steps: Int?
    /// Whether the frame is known to be the sender's own: its connection was authenticated as the
    /// sender (CURVE), or its envelope carries the sender's current incarnation. Only then may the
    /// rejection count toward the sender's quarantine: an impostor that does not know an actor's
    /// incarnation cannot have it quarantined.
    public var isAttributable: Bool

    public init(
        _ reason: Reason, sender: String? = nil, _ detail: String, sequence: UInt64? = nil, isAttributable: Bool = true
    ) {
        self.reason = reason
        self.sender = sender
        self.detail = detail
        self.sequence = sequence
        self.isAttributable = isAttributable
    }

    /// Whether the sender misbehaved (``Reason/isMisbehaviour``) in a frame known to be its own
    /// (``isAttributable``): what counts toward quarantine.
    public var isMisbehaviour: Bool { reason.isMisbehaviour && isAttributable }

    public var description: String { "\(sender ?? "unknown sender"): \(reason): \(detail)" }
}
