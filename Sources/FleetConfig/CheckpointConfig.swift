/// The checkpoint settings (`checkpoint_every`, `checkpoint_keep`).
public struct CheckpointConfig: Hashable, Sendable {
    /// Updates between checkpoints; 0: only when the run ends or is stopped.
    public var every: Int
    /// Complete checkpoints kept (at least 2).
    public var keep: Int

    /// Reads `checkpoint_every` and `checkpoint_keep` from a resolved (validated) config.
    public init(_ config: ResolvedConfig) {
        every = config.int("checkpoint_every")
        keep = config.int("checkpoint_keep")
    }
}
