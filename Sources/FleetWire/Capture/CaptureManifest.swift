import Foundation

/// `captures/manifest.json`: what ties a run's capture files to the run — its resolved config
/// (copied beside it as `config.yaml`), seed and algorithm, the files in the order they were
/// written, and, once the run has ended, its final policy version and `weights_sha256`, which an
/// offline replay must reproduce. Rewritten atomically whenever a file is added and at the end.
public struct CaptureManifest: Codable, Hashable, Sendable {
    /// One capture file.
    public struct File: Codable, Hashable, Sendable {
        /// Its name inside the capture directory.
        public var name: String
        /// `consumed`, `dropped` or `sent` (``CaptureEntry/Kind/name``).
        public var kind: String
        /// Records and bytes written to it so far (the last file's grow until the run ends).
        public var records: Int
        /// Bytes written to it so far.
        public var bytes: Int

        /// A file's entry.
        public init(name: String, kind: String, records: Int, bytes: Int) {
            self.name = name
            self.kind = kind
            self.records = records
            self.bytes = bytes
        }
    }

    /// `fleet-capture`.
    public var format = Self.formatName
    /// The manifest's layout version.
    public var version = 1
    /// The run directory's name, also in every capture file's header.
    public var runID: String
    /// The run's algorithm, as the config names it (`ppo`, `grpo`, ...).
    public var algorithm: String
    /// The environment id or the task's name.
    public var subject: String
    /// The run's seed.
    public var seed: UInt64
    /// The resolved config's file name inside the capture directory, and its
    /// ``ResolvedConfig/learningSHA256`` (which a replay's config must share).
    public var config: String
    /// The resolved config's ``ResolvedConfig/learningSHA256``, in hexadecimal.
    public var learningConfigSHA256: String
    /// The capture files, in the order they were written.
    public var files: [File]
    /// Updates trained when the manifest was last written.
    public var updates: Int
    /// Set when the run ended (interrupted or not): the final weights version and their hash.
    public var policyVersion: Int?
    /// The final weights' hash, set with `policyVersion` when the run ended.
    public var weightsSHA256: String?
    /// Whether the run that wrote the capture ended and closed it; false while it runs or if it died.
    public var complete: Bool
    /// Weights versions a resumed run skipped (``VersionSkip``); nil when it never did.
    public var versionSkips: [VersionSkip]?

    /// Versions `from..<to` that no update produced: a learner resumed from a checkpoint at `from`
    /// went on at `to`, past every version its predecessor may have published.
    public struct VersionSkip: Codable, Hashable, Sendable {
        /// The version the resumed learner's checkpoint held.
        public var from: UInt64
        /// The version the resumed learner went on at.
        public var to: UInt64

        /// The skip of versions `from..<to`.
        public init(from: UInt64, to: UInt64) {
            self.from = from
            self.to = to
        }
    }

    /// A manifest of a capture begun (or resumed) by run `runID`.
    public init(
        runID: String, algorithm: String, subject: String, seed: UInt64, config: String, learningConfigSHA256: String,
        files: [File], updates: Int, policyVersion: Int? = nil, weightsSHA256: String? = nil, complete: Bool,
        versionSkips: [VersionSkip]? = nil
    ) {
        self.runID = runID
        self.algorithm = algorithm
        self.subject = subject
        self.seed = seed
        self.config = config
        self.learningConfigSHA256 = learningConfigSHA256
        self.files = files
        self.updates = updates
        self.policyVersion = policyVersion
        self.weightsSHA256 = weightsSHA256
        self.complete = complete
        self.versionSkips = versionSkips
    }

    /// The value of ``format`` in every manifest.
    public static let formatName = "fleet-capture"
    /// The manifest's name in a capture directory.
    public static let fileName = "manifest.json"

    package enum CodingKeys: String, CodingKey {
        case format, version, algorithm, subject, seed, config, files, updates, complete
        case runID = "run_id", learningConfigSHA256 = "learning_config_sha256", policyVersion = "policy_version"
        case weightsSHA256 = "weights_sha256"
        case versionSkips = "version_skips"
    }

    /// The consumed files' names, in order: what an offline replay trains on.
    public var consumedFiles: [String] { files.filter { $0.kind == CaptureEntry.Kind.consumed.name }.map(\.name) }

    /// Reads the manifest of the capture directory `directory`.
    public static func read(directory: URL) throws -> CaptureManifest {
        let url = directory.appendingPathComponent(fileName)
        let manifest: CaptureManifest
        do {
            manifest = try JSONDecoder().decode(CaptureManifest.self, from: Data(contentsOf: url))
        } catch {
            throw CaptureError.badManifest(path: url.path, reason: "\(error)")
        }
        guard manifest.format == formatName, manifest.version == 1 else {
            throw CaptureError.badManifest(
                path: url.path, reason: "format \(manifest.format) version \(manifest.version), expected \(formatName) 1")
        }
        return manifest
    }

    /// Writes the manifest into `directory`, atomically.
    package func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(self), to: directory.appendingPathComponent(Self.fileName))
    }
}
