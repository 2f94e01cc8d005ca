/// The capture settings (`capture`, `capture_dropped`, `capture_file_bytes`).
public struct CaptureConfig: Hashable, Sendable {
    /// Whether the learner captures the batches it trains on.
    public var enabled = false
    /// Whether it also captures the batches it drops.
    public var dropped = false
    /// The size past which a capture file is closed and the next begun.
    public var fileBytes = 1_073_741_824

    /// Every field at its default.
    public init() {}
}
