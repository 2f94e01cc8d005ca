/// What ``RecordReader/skipDamage()`` skipped: a corrupt record and the bytes up to where reading
/// resumes.
public struct RecordDamageSkip: Hashable, Sendable {
    /// Offset of the corrupt record, the one in the error that was thrown.
    public let damagedOffset: Int
    /// Offset reading resumes at: the next record, or the end of the file when none was found.
    public let resumeOffset: Int

    /// Bytes skipped: the corrupt record and anything up to ``resumeOffset``.
    public var skippedBytes: Int { resumeOffset - damagedOffset }

    /// Creates a skip from two byte offsets into the file.
    public init(damagedOffset: Int, resumeOffset: Int) {
        self.damagedOffset = damagedOffset
        self.resumeOffset = resumeOffset
    }
}
