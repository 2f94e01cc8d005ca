/// Where a learner's capture stood at a checkpoint: its consumed files, the last one's records and
/// bytes then. A resume cuts the capture back to it (the updates after it were lost).
public struct CapturePosition: Codable, Equatable, Sendable {
    /// The consumed files, in order, as the manifest listed them then.
    public var consumed: [CaptureManifest.File]

    /// The position after `consumed`.
    public init(consumed: [CaptureManifest.File]) { self.consumed = consumed }
}
