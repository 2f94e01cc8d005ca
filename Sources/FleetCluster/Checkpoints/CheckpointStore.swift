import FleetDigest
import FleetWire
import Foundation

/// A run's `checkpoints/` folder: one directory per checkpoint, `version-NNNNNN/` (its weights
/// version; `version-NNNNNN.G/` for a later checkpoint of the same version, such as the one
/// written when a run stops right after a periodic one), holding the checkpoint's files and,
/// written last, `manifest.json`. A checkpoint, once complete, is never written over.
///
/// Writing: a new directory (a torn one of the same name, left by a learner that died, is
/// removed first); each file goes to a temporary file, is fsynced and renamed into place; the
/// directory is fsynced; then the manifest likewise, and the directory and `checkpoints/` are
/// fsynced. Then every checkpoint but the newest `keep` complete ones (with a manifest, none newer
/// than the one written) is removed, so there are always `keep` to fall back on.
///
/// Loading: newest first, a checkpoint is used when its manifest reads and every file it lists
/// has the listed size and SHA-256; the others are passed over, each with its reason.
public struct CheckpointStore: Sendable {
    /// The `checkpoints/` folder.
    public let directory: URL
    /// How many complete checkpoints are kept (at least 2).
    public let keep: Int

    /// A checkpoint read back and checked.
    public struct Loaded: Sendable {
        /// The checkpoint's directory.
        public var url: URL
        /// Its manifest, whose files all matched.
        public var manifest: CheckpointManifest
        /// The files the manifest lists, by name.
        public var files: [String: Data]
        /// Newer checkpoints passed over, newest first, with the reasons.
        public var skipped: [CheckpointError.Skipped]
        /// The manifests of newer checkpoints that were complete but are damaged now: the learner
        /// that wrote them may have published versions up to their ``CheckpointManifest/resumeVersion``.
        public var damagedManifests: [CheckpointManifest]
    }

    /// A store in `directory` (the run's `checkpoints/` folder); traps when `keep` is below 2.
    public init(directory: URL, keep: Int) {
        precondition(keep >= 2, "keep at least two checkpoints")
        self.directory = directory
        self.keep = keep
    }

    package static let prefix = "version-"

    /// The directory name of checkpoint `generation` of weights version `version`: `version-000120`,
    /// then `version-000120.1`, ….
    public static func name(version: UInt64, generation: Int = 0) -> String {
        let digits = String(version)
        let name = prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        return generation == 0 ? name : name + ".\(generation)"
    }

    /// The version and generation a directory name stands for, or nil for another name.
    package static func parse(_ name: String) -> (version: UInt64, generation: Int)? {
        guard name.hasPrefix(prefix) else { return nil }
        let parts = name.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard let version = UInt64(parts[0]), parts.count <= 2 else { return nil }
        guard parts.count == 2 else { return (version, 0) }
        guard let generation = Int(parts[1]), generation > 0 else { return nil }
        return (version, generation)
    }

    /// The checkpoint directories present, newest (highest version, then generation) first.
    public func checkpoints() -> [(version: UInt64, generation: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (UInt64, Int, URL)? in
            guard let (version, generation) = Self.parse(name) else { return nil }
            return (version, generation, directory.appendingPathComponent(name, isDirectory: true))
        }.sorted { ($0.0, $0.1) > ($1.0, $1.1) }
    }

    private func isComplete(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent(CheckpointManifest.fileName).path)
    }

    // MARK: Writing

    /// Writes a checkpoint of weights version `version` made of `files` (names without `/`, not
    /// `manifest.json`), then removes the checkpoints beyond `keep`. Returns its directory.
    @discardableResult
    public func write(
        _ files: [(name: String, data: Data)], version: UInt64, updates: Int, resumeVersion: UInt64,
        now: Date = Date()
    ) throws -> URL {
        // After the newest complete checkpoint of this version, if there is one; torn ones are replaced.
        let generation = checkpoints().filter { $0.version == version && isComplete($0.url) }.map { $0.generation + 1 }.max() ?? 0
        let url = directory.appendingPathComponent(Self.name(version: version, generation: generation), isDirectory: true)
        do {
            try makeDirectory()
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            var listed: [CheckpointManifest.File] = []
            for file in files {
                precondition(file.name != CheckpointManifest.fileName && !file.name.contains("/"), "bad file name \(file.name)")
                try AtomicFile.write(file.data, to: url.appendingPathComponent(file.name))
                let hash = file.data.withUnsafeBytes { SHA256.hash($0) }.description
                listed.append(CheckpointManifest.File(name: file.name, bytes: file.data.count, sha256: hash))
            }
            // The files' entries are durable before the manifest that vouches for them exists.
            try AtomicFile.syncDirectory(url)
            let manifest = CheckpointManifest(
                version: version, updates: updates, resumeVersion: resumeVersion,
                createdUnixSeconds: now.timeIntervalSince1970, files: listed)
            try AtomicFile.write(manifest.jsonData(), to: url.appendingPathComponent(CheckpointManifest.fileName))
            try AtomicFile.syncDirectory(url)
            try AtomicFile.syncDirectory(directory)
        } catch {
            throw CheckpointError.writeFailed(path: url.path, reason: "\(error)")
        }
        prune(newest: (version, generation))
        return url
    }

    /// Creates `checkpoints/` if needed, durably.
    private func makeDirectory() throws {
        guard !FileManager.default.fileExists(atPath: directory.path) else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try AtomicFile.syncDirectory(directory.deletingLastPathComponent())
    }

    /// Keeps the newest `keep` complete checkpoints up to `newest`; removes the others (older ones,
    /// torn ones, and any newer one: a timeline a resume left behind).
    private func prune(newest: (version: UInt64, generation: Int)) {
        var kept = 0
        for (version, generation, url) in checkpoints() {
            if (version, generation) <= newest, isComplete(url), kept < keep {
                kept += 1
            } else {
                try? FileManager.default.removeItem(at: url)
            }
        }
    }

    // MARK: Loading

    /// The newest checkpoint whose manifest reads and whose files all match it, and that `accept`
    /// takes. `accept` decodes the files: a `CheckpointError` it throws (the checkpoint does not
    /// fit this run) ends the search; any other error passes over the checkpoint as damaged.
    /// Throws ``CheckpointError/noValidCheckpoint(directory:skipped:)`` when none is left.
    public func loadNewest<Value>(_ accept: (Loaded) throws -> Value) throws -> (value: Value, loaded: Loaded) {
        var skipped: [CheckpointError.Skipped] = []
        var damaged: [CheckpointManifest] = []
        for (_, _, url) in checkpoints() {
            let name = url.lastPathComponent
            let manifest: CheckpointManifest
            switch readManifest(url) {
            case .success(let read): manifest = read
            case .failure(let reason):
                skipped.append(.init(name: name, reason: reason.description))
                continue
            }
            let loaded: Loaded
            switch readFiles(url, listedIn: manifest) {
            case .success(let files):
                loaded = Loaded(url: url, manifest: manifest, files: files, skipped: skipped, damagedManifests: damaged)
            case .failure(let reason):
                skipped.append(.init(name: name, reason: reason.description))
                damaged.append(manifest)
                continue
            }
            do {
                return (try accept(loaded), loaded)
            } catch let error as CheckpointError {
                throw error
            } catch {
                skipped.append(.init(name: name, reason: "its contents do not decode: \(error)"))
                damaged.append(manifest)
            }
        }
        throw CheckpointError.noValidCheckpoint(directory: directory.path, skipped: skipped)
    }

    private func readManifest(_ url: URL) -> Result<CheckpointManifest, CheckpointRestoreError> {
        let file = url.appendingPathComponent(CheckpointManifest.fileName)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            return .failure(.init("no \(CheckpointManifest.fileName) (a write that did not finish)"))
        }
        do {
            return .success(try CheckpointManifest.read(data))
        } catch {
            return .failure(.init("\(CheckpointManifest.fileName) is unreadable: \(error)"))
        }
    }

    private func readFiles(_ url: URL, listedIn manifest: CheckpointManifest) -> Result<[String: Data], CheckpointRestoreError> {
        var files: [String: Data] = [:]
        for file in manifest.files {
            guard let data = FileManager.default.contents(atPath: url.appendingPathComponent(file.name).path) else {
                return .failure(.init("\(file.name) is missing"))
            }
            guard data.count == file.bytes else {
                return .failure(.init("\(file.name) has \(data.count) bytes, the manifest says \(file.bytes)"))
            }
            let hash = data.withUnsafeBytes { SHA256.hash($0) }.description
            guard hash == file.sha256 else {
                return .failure(.init("\(file.name) has SHA-256 \(hash.prefix(12))…, the manifest says \(file.sha256.prefix(12))…"))
            }
            files[file.name] = data
        }
        return .success(files)
    }
}
