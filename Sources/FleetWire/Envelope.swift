/// Who sent a frame and where it stands in that sender's stream (`fleet.v1.Envelope`).
///
/// (senderID, incarnation, sequence) makes loss, duplication and replay countable exactly.
public struct Envelope: Sendable, Hashable {
    /// The schema version this build writes and reads.
    public static let currentSchemaVersion: UInt32 = 1

    /// The wire schema version; 1 for this schema.
    public var schemaVersion: UInt32
    /// The actor or learner id, e.g. `actor-3`.
    public var senderID: String
    /// Grows each time the sender process restarts.
    public var incarnation: UInt64
    /// Grows by one per frame within an incarnation.
    public var sequence: UInt64

    /// Creates an envelope, by default of the schema version this build writes.
    public init(
        schemaVersion: UInt32 = Envelope.currentSchemaVersion, senderID: String,
        incarnation: UInt64, sequence: UInt64
    ) {
        self.schemaVersion = schemaVersion
        self.senderID = senderID
        self.incarnation = incarnation
        self.sequence = sequence
    }
}
