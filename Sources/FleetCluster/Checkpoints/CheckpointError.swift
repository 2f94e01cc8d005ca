/// Why a checkpoint cannot be written, found or resumed from.
public enum CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A checkpoint directory passed over while loading, and why (torn, damaged, unreadable).
    public struct Skipped: Hashable, Sendable, CustomStringConvertible {
        /// The directory's name (`version-000120`).
        public var name: String
        /// Why it was passed over, for people.
        public var reason: String
        /// `<name>: <reason>`.
        public var description: String { "\(name): \(reason)" }
    }

    /// Resuming needs a run directory (and a learner without one cannot checkpoint).
    case noRunDirectory
    /// No checkpoint in `directory` is complete and intact; `skipped` says what was found.
    case noValidCheckpoint(directory: String, skipped: [Skipped])
    /// The checkpoint was written by a run with another learning config: the keys that differ.
    case configMismatch(path: String, keys: [String])
    /// The checkpoint is intact but does not fit the learner (another algorithm or architecture).
    case doesNotFit(path: String, reason: String)
    /// Writing failed (the previous checkpoints are untouched).
    case writeFailed(path: String, reason: String)

    /// A sentence naming the path or directory and, for a config mismatch, the keys that differ.
    public var description: String {
        switch self {
        case .noRunDirectory:
            "checkpoints need a run directory"
        case .noValidCheckpoint(let directory, let skipped):
            "no valid checkpoint to resume from in \(directory)"
                + (skipped.isEmpty ? " (none written yet)" : "; skipped: " + skipped.map(\.description).joined(separator: "; "))
        case .configMismatch(let path, let keys):
            "\(path) was written with another config: \(keys.joined(separator: ", ")) "
                + "\(keys.count == 1 ? "differs" : "differ"); resume with the run's own config (its config.yaml)"
        case .doesNotFit(let path, let reason):
            "\(path) does not fit this learner: \(reason)"
        case .writeFailed(let path, let reason):
            "cannot write checkpoint \(path): \(reason)"
        }
    }
}

/// Why an algorithm refused a checkpoint's state (``LearnerAlgorithm/restore(_:)``).
package struct CheckpointRestoreError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
