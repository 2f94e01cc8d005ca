import FleetWire
import Foundation

/// Counts the entries of a capture one at a time, for a ``CaptureInspection``.
struct CaptureTally {
    private var recordsByFile: [String: Int] = [:]
    private var recordsByKind = CaptureInspection.ByEntryKind(repeating: 0)
    private var droppedByReason: [String: Int] = [:]
    private var batchKinds = CaptureInspection.BatchKindCounts()
    private var senders: [String: Int] = [:]
    private var learnerVersions: CaptureInspection.VersionRange?
    private var policyVersions: CaptureInspection.VersionRange?
    private var consumedVersions: Set<UInt64> = []
    /// Every consumed batch by "sender incarnation sequence", and the repeats among them.
    private var consumedBatches: Set<String> = []
    private var consumedTwice = 0
    /// The last consumed batch and the update (learner version) it was in.
    private var lastConsumed: (id: String, version: UInt64)?
    private var policyLag = CaptureInspection.PolicyLagHistograms()
    private var content = CaptureInspection.ByEntryKind(repeating: BatchContentTally())
    private var firstArrivalSeconds: Double?
    private var lastEventSeconds: Double?

    /// Counts one entry and, when its frame decodes, its batch.
    mutating func add(_ located: CaptureReader.Located) {
        let entry = located.entry
        recordsByFile[located.file, default: 0] += 1
        countEntry(entry)
        guard let frame = try? Frame(decoding: entry.frame) else {
            batchKinds.undecodable += 1
            return
        }
        senders[frame.envelope.senderID, default: 0] += 1
        if entry.kind == .consumed {
            let id = "\(frame.envelope.senderID) \(frame.envelope.incarnation) \(frame.envelope.sequence)"
            // A group batch split between two updates ends one update's entries and opens the next's.
            let continuesSplit = id == lastConsumed?.id && entry.learnerVersion != lastConsumed?.version
            if !consumedBatches.insert(id).inserted, !continuesSplit { consumedTwice += 1 }
            lastConsumed = (id, entry.learnerVersion)
        }
        switch frame.payload {
        case .trajectoryBatch(let batch):
            batchKinds.trajectoryBatch += 1
            content[entry.kind].add(batch)
            countPolicyVersion(batch.policyVersion, of: entry)
        case .groupBatch(let batch):
            batchKinds.groupBatch += 1
            content[entry.kind].add(batch)
            countPolicyVersion(batch.policyVersion, of: entry)
        default:
            batchKinds.other += 1
        }
    }

    /// What the entry's fixed fields say: its kind, reason, learner version and times.
    private mutating func countEntry(_ entry: CaptureEntry) {
        recordsByKind[entry.kind] += 1
        if entry.kind == .dropped { droppedByReason[entry.reason.isEmpty ? "unknown" : entry.reason, default: 0] += 1 }
        if entry.kind == .consumed { consumedVersions.insert(entry.learnerVersion) }
        learnerVersions = learnerVersions?.including(entry.learnerVersion) ?? .init(entry.learnerVersion)
        firstArrivalSeconds = min(firstArrivalSeconds ?? entry.arrivalSeconds, entry.arrivalSeconds)
        lastEventSeconds = max(lastEventSeconds ?? entry.eventSeconds, entry.eventSeconds)
    }

    /// A batch's policy version, and its lag behind the learner when the learner consumed or dropped it.
    private mutating func countPolicyVersion(_ version: UInt64, of entry: CaptureEntry) {
        policyVersions = policyVersions?.including(version) ?? .init(version)
        let lag = String(Int(clamping: entry.learnerVersion) - Int(clamping: version))
        switch entry.kind {
        case .consumed: policyLag.consumed[lag, default: 0] += 1
        case .dropped: policyLag.dropped[lag, default: 0] += 1
        case .sent: break
        }
    }

    /// The inspection of the entries counted, read from `files`.
    func inspection(files: [String], damage: [CaptureReader.Damage], manifest: CaptureManifest?) -> CaptureInspection {
        let timeSpan = firstArrivalSeconds.flatMap { first in
            lastEventSeconds.map { CaptureInspection.TimeSpan(firstArrivalSeconds: first, lastEventSeconds: $0) }
        }
        return CaptureInspection(
            files: files.map { fileSummary($0) }, records: recordsByFile.values.reduce(0, +), recordsByKind: recordsByKind,
            droppedByReason: droppedByReason, batchKinds: batchKinds, senders: senders, learnerVersions: learnerVersions,
            policyVersions: policyVersions, updates: consumedVersions.count, consumedTwice: consumedTwice,
            policyLagHistogram: policyLag,
            contentByKind: content.map(\.content),
            timeSpan: timeSpan, manifest: manifest.map(CaptureInspection.ManifestSummary.init), damage: damage)
    }

    private func fileSummary(_ path: String) -> CaptureInspection.FileSummary {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return CaptureInspection.FileSummary(path: path, records: recordsByFile[path] ?? 0, bytes: bytes)
    }
}
