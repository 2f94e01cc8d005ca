import FleetConfig
import FleetWire
import Foundation
import Logging

/// The learner's capture (config `capture`): every batch it trains on, in the order its updates
/// took them, with its version at the update, into `captures/consumed-NNNNN.fleetrec`; with
/// `capture_dropped`, every batch it drops and why into `captures/dropped-NNNNN.fleetrec`. Files
/// rotate past `capture_file_bytes`. `manifest.json` and a copy of the resolved config tie the files
/// to the run; ``finish(policyVersion:weightsSHA256:)`` records the final weights' hash there.
///
/// Records reach the file system after every update (a learner killed mid-run leaves at most a
/// torn last record, which readers report and replays skip); ``finish(policyVersion:weightsSHA256:)``
/// syncs them.
package final class BatchCapture {
    package let directory: URL
    private var manifest: CaptureManifest
    private let consumed: CaptureFileSeries
    private let dropped: CaptureFileSeries?
    /// The learner's start, from which entries' times are counted.
    package var start: ContinuousClock.Instant

    /// Starts the capture of a run of `config` (its subject `subject`) in `runDirectory`'s
    /// `captures/`; times are counted from `start`, the learner's start.
    convenience init(config: RunConfig, subject: String, runDirectory: RunDirectory, start: ContinuousClock.Instant) throws {
        try self.init(
            config: config, subject: subject, runDirectory: runDirectory, start: start, consumed: [], dropped: [], updates: 0,
            versionSkips: [])
    }

    private init(
        config: RunConfig, subject: String, runDirectory: RunDirectory, start: ContinuousClock.Instant,
        consumed consumedFiles: [CaptureManifest.File], dropped droppedFiles: [CaptureManifest.File], updates: Int,
        versionSkips: [CaptureManifest.VersionSkip]
    ) throws {
        directory = runDirectory.capturesDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let runID = runDirectory.url.lastPathComponent
        let configText = config.resolved.yaml
        let configName = "config.yaml"
        try AtomicFile.write(Data(configText.utf8), to: directory.appendingPathComponent(configName))
        manifest = CaptureManifest(
            runID: runID, algorithm: config.algorithm, subject: subject, seed: config.seed, config: configName,
            learningConfigSHA256: config.resolved.learningSHA256, files: [], updates: updates, complete: false)
        manifest.versionSkips = versionSkips.isEmpty ? nil : versionSkips
        consumed = CaptureFileSeries(
            directory: directory, prefix: "consumed", kind: .consumed, runID: runID, maxFileBytes: config.capture.fileBytes,
            existing: consumedFiles)
        dropped =
            config.capture.dropped || !droppedFiles.isEmpty
            ? CaptureFileSeries(
                directory: directory, prefix: "dropped", kind: .dropped, runID: runID,
                maxFileBytes: config.capture.fileBytes, existing: droppedFiles)
            : nil
        self.start = start
        captureDropped = config.capture.dropped
        try writeManifest()
    }

    /// Continues the capture of a resumed run from `position`, its checkpoint's: the consumed files
    /// are cut back to it (the records of updates after the checkpoint go: the learner that trained
    /// them died and the resumed run does not have them), every dropped file is kept (its torn tail
    /// cut), and new records go to new files. `versionSkip`, when the resume skipped weights
    /// versions, is recorded in the manifest so that a replay does not take it for missing updates.
    /// Problems with old files are logged, not fatal.
    convenience init(
        resuming position: CapturePosition, updates: Int, versionSkip: Range<UInt64>?, config: RunConfig,
        subject: String, runDirectory: RunDirectory, start: ContinuousClock.Instant, log: Logger
    ) throws {
        let directory = runDirectory.capturesDirectory
        let earlier = try? CaptureManifest.read(directory: directory)
        try self.init(
            config: config, subject: subject, runDirectory: runDirectory, start: start,
            consumed: Self.cutBack(directory, to: position, log: log), dropped: Self.droppedFiles(in: directory, log: log),
            updates: updates,
            versionSkips: (earlier?.versionSkips ?? []) + (versionSkip.map { [.init(from: $0.lowerBound, to: $0.upperBound)] } ?? []))
    }

    /// Deletes the consumed files past `position` and truncates its last one to its length then.
    private static func cutBack(_ directory: URL, to position: CapturePosition, log: Logger) -> [CaptureManifest.File] {
        let kept = Set(position.consumed.map(\.name))
        for name in CaptureSelection.files(in: directory, ofKinds: [.consumed]) where !kept.contains(name)
            && CaptureFileSeries.index(ofFile: name, prefix: "consumed") != nil
        {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            log.warning("capture: removed \(name) (updates after the checkpoint)")
        }
        var files: [CaptureManifest.File] = []
        for file in position.consumed {
            let path = directory.appendingPathComponent(file.name).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard let size else {
                log.warning("capture: \(file.name) is gone; the capture lacks its updates")
                continue
            }
            if size > file.bytes {
                if truncate(path, off_t(file.bytes)) == 0 {
                    log.warning("capture: cut \(file.name) back to the checkpoint (\(size - file.bytes) bytes of later updates)")
                } else {
                    log.warning("capture: cannot cut \(file.name) back (errno \(errno)); a replay will see its extra updates")
                }
            } else if size < file.bytes {
                log.warning("capture: \(file.name) has \(size) bytes, \(file.bytes) at the checkpoint; records are missing")
            }
            files.append(file)
        }
        return files
    }

    /// The dropped files already in `directory`, each checked (a torn tail cut) and counted.
    private static func droppedFiles(in directory: URL, log: Logger) -> [CaptureManifest.File] {
        CaptureSelection.files(in: directory, ofKinds: [.dropped]).compactMap { name in
            guard CaptureFileSeries.index(ofFile: name, prefix: "dropped") != nil else { return nil }
            let path = directory.appendingPathComponent(name).path
            do {
                let writer = try RecordWriter.openForAppend(path: path, maxRecordLength: CaptureEntry.maxRecordLength)
                defer { try? writer.close() }
                return CaptureManifest.File(
                    name: name, kind: CaptureEntry.Kind.dropped.name, records: writer.existingRecords, bytes: writer.offset)
            } catch {
                log.warning("capture: \(name) is damaged (\(error)); left as it is")
                return nil
            }
        }
    }

    /// Where the consumed files stand: what a checkpoint records.
    package var position: CapturePosition { CapturePosition(consumed: consumed.files) }

    /// Records the batches of update `update` (1-based), taken at learner version `learnerVersion`, in order.
    package func consumed(
        _ batches: [(frame: [UInt8], arrival: ContinuousClock.Instant)], learnerVersion: UInt64, update: Int,
        at now: ContinuousClock.Instant
    ) throws {
        var began = false
        for batch in batches {
            let entry = CaptureEntry(
                kind: .consumed, learnerVersion: learnerVersion, arrivalSeconds: seconds(batch.arrival),
                eventSeconds: seconds(now), frame: batch.frame)
            if try consumed.append(entry) { began = true }
        }
        try consumed.flush()
        try dropped?.flush()
        manifest.updates = update
        if began { try writeManifest() }
    }

    /// Records a batch dropped for `reason` (a rejection reason) at learner version `learnerVersion`,
    /// when dropped batches are captured.
    package func dropped(
        _ frame: [UInt8], reason: BatchRejection.Reason, learnerVersion: UInt64, arrival: ContinuousClock.Instant,
        at now: ContinuousClock.Instant
    ) throws {
        guard captureDropped, let dropped else { return }
        let entry = CaptureEntry(
            kind: .dropped, learnerVersion: learnerVersion, arrivalSeconds: seconds(arrival), eventSeconds: seconds(now),
            reason: reason.rawValue, frame: frame)
        if try dropped.append(entry) { try writeManifest() }
    }

    /// Whether dropped batches are captured now (`capture_dropped`; a resumed run may have dropped
    /// files from before without it).
    private let captureDropped: Bool

    /// Closes the files (synced) and writes the manifest with the run's final weights.
    package func finish(policyVersion: Int, weightsSHA256: String) throws {
        try consumed.close()
        try dropped?.close()
        manifest.policyVersion = policyVersion
        manifest.weightsSHA256 = weightsSHA256
        manifest.complete = true
        try writeManifest()
    }

    private func writeManifest() throws {
        manifest.files = (consumed.files + (dropped?.files ?? [])).sorted { $0.name < $1.name }
        try manifest.write(to: directory)
    }

    private func seconds(_ instant: ContinuousClock.Instant) -> Double { (instant - start).seconds }
}
