import FleetConfig
import FleetWire
import Foundation

/// The directory one run writes: `config.yaml`, the TensorBoard event file(s), `metrics.jsonl`,
/// `summary.json`, and `checkpoints/` and `captures/` for those who write them.
public struct RunDirectory: Hashable, Sendable {
    /// The directory itself.
    public let url: URL

    /// The resolved configuration.
    public var configFile: URL { url.appendingPathComponent("config.yaml") }
    /// Every logged step's scalars, one JSON object a line.
    public var metricsFile: URL { url.appendingPathComponent("metrics.jsonl") }
    /// The run's outcome, written at the end.
    public var summaryFile: URL { url.appendingPathComponent("summary.json") }
    /// Checkpoints (created by the checkpoint writer when it first writes).
    public var checkpointsDirectory: URL { url.appendingPathComponent("checkpoints", isDirectory: true) }

    /// Whether the run directory at `path` holds a checkpoint (complete or not: a damaged one is
    /// for a resume to judge, not a reason to start the run over).
    public static func holdsCheckpoint(_ path: String) -> Bool {
        let directory = URL(fileURLWithPath: path, isDirectory: true).appendingPathComponent("checkpoints", isDirectory: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.contains { CheckpointStore.parse($0) != nil }
    }
    /// Captured batches (created when capture is on).
    public var capturesDirectory: URL { url.appendingPathComponent("captures", isDirectory: true) }

    /// The default name, `<env-or-task>__<algo>__<seed>__<unix-time>` (CleanRL's `run_name`);
    /// characters that do not belong in a file name become `_`.
    public static func defaultName(envID: String, algorithm: String, seed: UInt64, unixTime: Int) -> String {
        func safe(_ part: String) -> String {
            String(part.map { $0.isLetter || $0.isNumber || "-._".contains($0) ? $0 : "_" })
        }
        return "\(safe(envID))__\(safe(algorithm))__\(seed)__\(unixTime)"
    }

    /// The path a run of `config` writes: its `run_dir` if set, else `<root>/<default name>` (the
    /// task's name for a language run; `algorithm`, when given, in place of the config's: `sft`).
    public static func path(
        for config: RunConfig, algorithm: String? = nil, now: Date = Date(), root: String = "runs"
    ) -> String {
        if let chosen = config.runDirectory { return chosen }
        let name = defaultName(
            envID: config.isLanguage || algorithm == "sft" ? config.language.task : config.envID,
            algorithm: algorithm ?? config.algorithm, seed: config.seed, unixTime: Int(now.timeIntervalSince1970))
        return (root as NSString).appendingPathComponent(name)
    }

    /// Creates the run directory of `config` (``claim(for:algorithm:now:root:reuse:)``) and writes
    /// its `config.yaml`.
    public static func create(
        for config: RunConfig, algorithm: String? = nil, now: Date = Date(), root: String = "runs", reuse: Bool = false
    ) throws -> RunDirectory {
        let directory = try claim(for: config, algorithm: algorithm, now: now, root: root, reuse: reuse)
        try config.resolved.write(to: directory.configFile)
        return directory
    }

    /// Creates the directory a run of `config` writes, empty: its `run_dir` (new or empty; with
    /// `reuse`, an earlier run's), or the default name under `root`. Runs started within the same
    /// second do not share a default name: the second gets `-2` appended, the third `-3`, and so
    /// on (each name is taken by an atomic mkdir, so separate processes never collide either).
    public static func claim(
        for config: RunConfig, algorithm: String? = nil, now: Date = Date(), root: String = "runs", reuse: Bool = false
    ) throws -> RunDirectory {
        if config.runDirectory != nil {
            return try RunDirectory(creating: path(for: config, algorithm: algorithm, now: now, root: root), reuse: reuse)
        }
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw RunDirectoryError.cannotCreate(path: root, reason: "\(error.localizedDescription)")
        }
        let base = path(for: config, algorithm: algorithm, now: now, root: root)
        for attempt in 1...1000 {
            let candidate = attempt == 1 ? base : "\(base)-\(attempt)"
            if mkdir(candidate, 0o755) == 0 { return RunDirectory(url: URL(fileURLWithPath: candidate, isDirectory: true)) }
            guard errno == EEXIST else {
                throw RunDirectoryError.cannotCreate(path: candidate, reason: String(cString: strerror(errno)))
            }
        }
        throw RunDirectoryError.cannotCreate(path: base, reason: "1000 runs of this name already exist")
    }

    private init(url: URL) { self.url = url }

    /// Removes the directory and everything in it: a run that failed to start leaves nothing that
    /// would stop its retry.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    /// Creates the directory at `path` (and its parents). An existing empty directory is used;
    /// a non-empty one only when `reuse` is true, else this throws ``RunDirectoryError/notEmpty(path:)``.
    public init(creating path: String, reuse: Bool = false) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RunDirectoryError.notADirectory(path: path) }
            let contents = (try? manager.contentsOfDirectory(atPath: path)) ?? []
            if !contents.isEmpty && !reuse { throw RunDirectoryError.notEmpty(path: path) }
        } else {
            do {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw RunDirectoryError.cannotCreate(path: path, reason: "\(error.localizedDescription)")
            }
        }
        url = URL(fileURLWithPath: path, isDirectory: true)
    }

    /// Writes `summary` to `summary.json`, atomically.
    public func writeSummary(_ summary: RunSummary) throws {
        try AtomicFile.write(summary.jsonData(), to: summaryFile)
    }
}
