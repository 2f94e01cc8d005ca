/// The checkpoint settings (`checkpoint_every`, `checkpoint_keep`).
public struct CheckpointConfig: Hashable, Sendable {
    /// Updates between checkpoints; 0: only when the run ends or is stopped.
    public var every = 50
    /// Complete checkpoints kept (at least 2).
    public var keep = 2

    /// Every field at its default.
    public init() {}
}
