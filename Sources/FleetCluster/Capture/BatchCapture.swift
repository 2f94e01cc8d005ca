import FleetWire
import Foundation

/// The learner's capture (config `capture`): every batch it trains on, in the order its updates
/// took them, with its version at the update, into `captures/consumed-NNNNN.fleetrec`; with
/// `capture_dropped`, every batch it drops and why into `captures/dropped-NNNNN.fleetrec`. Files
/// rotate past `capture_file_bytes`. `manifest.json` and a copy of the resolved config tie the files
/// to the run; ``finish(policyVersion:weightsSHA256:)`` records the final weights' hash there.
///
/// Records reach the file system after every update (a learner killed mid-run leaves at most a
/// torn last record, which readers report and replays skip); ``finish(policyVersion:weightsSHA256:)``
/// syncs them.
final class BatchCapture {
    let directory: URL
    private var manifest: CaptureManifest
    private let consumed: CaptureFileSeries
    private let dropped: CaptureFileSeries?
    /// The learner's start, from which entries' times are counted.
    var start: ContinuousClock.Instant

    /// Starts the capture of a run of `config` (its subject `subject`) in `runDirectory`'s
    /// `captures/`; times are counted from `start`, the learner's start.
    init(config: RunConfig, subject: String, runDirectory: RunDirectory, start: ContinuousClock.Instant) throws {
        directory = runDirectory.capturesDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let runID = runDirectory.url.lastPathComponent
        let configText = config.resolved.yaml
        let configName = "config.yaml"
        try AtomicFile.write(Data(configText.utf8), to: directory.appendingPathComponent(configName))
        manifest = CaptureManifest(
            runID: runID, algorithm: config.algorithm, subject: subject, seed: config.seed, config: configName,
            learningConfigSHA256: config.resolved.learningSHA256, files: [], updates: 0, complete: false)
        consumed = CaptureFileSeries(
            directory: directory, prefix: "consumed", kind: .consumed, runID: runID, maxFileBytes: config.capture.fileBytes)
        dropped =
            config.capture.dropped
            ? CaptureFileSeries(
                directory: directory, prefix: "dropped", kind: .dropped, runID: runID,
                maxFileBytes: config.capture.fileBytes)
            : nil
        self.start = start
        try manifest.write(to: directory)
    }

    /// Records the batches of update `update` (1-based), taken at learner version `learnerVersion`, in order.
    func consumed(
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
    func dropped(
        _ frame: [UInt8], reason: String, learnerVersion: UInt64, arrival: ContinuousClock.Instant,
        at now: ContinuousClock.Instant
    ) throws {
        guard let dropped else { return }
        let entry = CaptureEntry(
            kind: .dropped, learnerVersion: learnerVersion, arrivalSeconds: seconds(arrival), eventSeconds: seconds(now),
            reason: reason, frame: frame)
        if try dropped.append(entry) { try writeManifest() }
    }

    /// Whether dropped batches are captured (so their frames are worth keeping until they are).
    var capturesDropped: Bool { dropped != nil }

    /// Closes the files (synced) and writes the manifest with the run's final weights.
    func finish(policyVersion: Int, weightsSHA256: String) throws {
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
