import FleetCluster
import FleetWire
import Foundation

/// What a capture holds, as `fleet inspect` reports it: its files, its entries by kind and by
/// sender, the batch kinds, version ranges and policy lag, what the batches carry (steps,
/// responses, rewards, episodes), the time it spans, its manifest, and its damage. Keys are
/// snake_case; unknown values are left out.
///
/// Read in ``CaptureReader/Mode/lenient`` mode, damage is listed, not fatal, and every intact
/// record is counted; a frame that does not decode is counted as `undecodable`.
public struct CaptureInspection: Codable, Hashable, Sendable {
    /// The files read, in order.
    public var files: [FileSummary]
    /// Intact entries read.
    public var records: Int
    /// Intact entries by kind: consumed, dropped, sent.
    public var recordsByKind: ByEntryKind<Int>
    /// Dropped entries by their reason (`stale`, …).
    public var droppedByReason: [String: Int]
    /// Entries by the payload kind of their frame.
    public var batchKinds: BatchKindCounts
    /// Entries by their frame's sender id (decodable frames only).
    public var senders: [String: Int]
    /// The entries' learner versions (for `sent` entries, the version the actor held).
    public var learnerVersions: VersionRange?
    /// The batches' policy versions.
    public var policyVersions: VersionRange?
    /// Distinct learner versions among consumed entries: the updates the capture holds.
    public var updates: Int
    /// Consumed entries whose batch (sender, incarnation, sequence) was consumed before: trained
    /// twice. 0 for a learner's capture, resumed runs' included.
    public var consumedTwice: Int
    /// Consumed and dropped entries by policy lag.
    public var policyLagHistogram: PolicyLagHistograms
    /// What the batches of each entry kind carry.
    public var contentByKind: ByEntryKind<BatchContent>
    /// From the first arrival to the last event; nil without entries.
    public var timeSpan: TimeSpan?
    /// From the capture directory's manifest, when one was given.
    public var manifest: ManifestSummary?
    /// Torn tails, corrupt records and bad entries, in the order met.
    public var damage: [CaptureReader.Damage]

    enum CodingKeys: String, CodingKey {
        case files, records, senders, updates, manifest, damage
        case recordsByKind = "records_by_kind"
        case droppedByReason = "dropped_by_reason"
        case batchKinds = "batch_kinds"
        case learnerVersions = "learner_versions"
        case policyVersions = "policy_versions"
        case policyLagHistogram = "policy_lag_histogram"
        case contentByKind = "content_by_kind"
        case timeSpan = "time_span"
        case consumedTwice = "consumed_twice"
    }
}

extension CaptureInspection {
    /// Reads every entry `reader` yields. In strict mode the first damage is thrown
    /// (``CaptureError``), as is a file that is not a record file in either mode.
    public init(reading reader: CaptureReader, manifest: CaptureManifest? = nil) throws {
        var tally = CaptureTally()
        while let located = try reader.next() { tally.add(located) }
        self = tally.inspection(files: reader.files, damage: reader.damage, manifest: manifest)
    }

    /// Reads the files of `selection`, with its manifest.
    public init(_ selection: CaptureSelection, mode: CaptureReader.Mode = .lenient) throws {
        try self.init(reading: CaptureReader(files: selection.files, mode: mode), manifest: selection.manifest)
    }

    /// The inspection as JSON with sorted keys; `pretty` indents it.
    public func json(pretty: Bool = true) throws -> String {
        try ReportJSON.encode(self, pretty: pretty)
    }

    /// Reads an inspection's JSON.
    public init(json: String) throws {
        self = try ReportJSON.decode(Self.self, from: json)
    }
}
