import Foundation

/// `manifest.json` of one checkpoint directory, written last: each file's size and SHA-256, and
/// which weights version the checkpoint holds. A directory without one is a torn write; a file
/// whose size or hash differs is damage. Either way loading passes over the directory.
public struct CheckpointManifest: Codable, Hashable, Sendable {
    /// One file of the checkpoint.
    public struct File: Codable, Hashable, Sendable {
        /// Its name inside the checkpoint directory.
        public var name: String
        /// Its size in bytes.
        public var bytes: Int
        /// SHA-256 of the file's bytes, hex.
        public var sha256: String
    }

    /// `fleet-checkpoint`.
    public var format = Self.formatName
    /// The layout's version.
    public var layout = 1
    /// The weights version the checkpoint holds, and the learner's updates then.
    public var version: UInt64
    /// The learner's updates when the checkpoint was written.
    public var updates: Int
    /// The version a learner resuming from this checkpoint starts at: past every version the
    /// learner that wrote it may have published before its next checkpoint (equal to ``version``
    /// with `checkpoint_every` 1, and for the checkpoint written when a run ends).
    public var resumeVersion: UInt64
    /// Seconds since 1970 when it was written.
    public var createdUnixSeconds: Double
    /// Every file of the checkpoint but the manifest.
    public var files: [File]

    /// The value of ``format`` in every manifest.
    public static let formatName = "fleet-checkpoint"
    /// The manifest's name in a checkpoint directory.
    public static let fileName = "manifest.json"

    package enum CodingKeys: String, CodingKey {
        case format, layout, version, updates, files
        case resumeVersion = "resume_version"
        case createdUnixSeconds = "created_unix_seconds"
    }

    /// The manifest as pretty JSON with sorted keys.
    package func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Reads a manifest, checking its format and layout.
    package static func read(_ data: Data) throws -> CheckpointManifest {
        let manifest = try JSONDecoder().decode(CheckpointManifest.self, from: data)
        guard manifest.format == formatName, manifest.layout == 1 else {
            throw CheckpointRestoreError("format \(manifest.format) layout \(manifest.layout), expected \(formatName) 1")
        }
        return manifest
    }
}
