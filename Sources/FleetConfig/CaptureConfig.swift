/// The capture settings (`capture`, `capture_dropped`, `capture_file_bytes`).
public struct CaptureConfig: Hashable, Sendable {
    /// Whether the learner captures the batches it trains on.
    public var enabled: Bool
    /// Whether it also captures the batches it drops.
    public var dropped: Bool
    /// The size past which a capture file is closed and the next begun.
    public var fileBytes: Int

    /// Reads `capture`, `capture_dropped` and `capture_file_bytes` from a resolved (validated) config.
    public init(_ config: ResolvedConfig) {
        enabled = config.bool("capture")
        dropped = config.bool("capture_dropped")
        fileBytes = config.int("capture_file_bytes")
    }
}
