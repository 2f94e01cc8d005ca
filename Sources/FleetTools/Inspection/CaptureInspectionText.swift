import FleetCluster
import FleetWire
import Foundation

extension CaptureInspection {
    /// The inspection for people: a few aligned lines per section (files, records, batch kinds,
    /// senders, versions, policy lag, what each kind of entry carries, time, damage with offsets)
    /// and a last line that sums the damage, e.g. `damage: 1 torn tail, 2 corrupt records (see above)`.
    public var textReport: String {
        let ending = "damage: " + damageSummary + (damage.isEmpty ? "" : " (see above)")
        return (Self.labelled(sections) + [ending]).joined(separator: "\n")
    }

    /// `none`, or the damage by kind: `1 torn tail, 2 corrupt records`.
    public var damageSummary: String {
        func count(_ kind: String) -> Int { damage.filter { $0.kind == kind }.count }
        let known = ["torn_tail", "corrupt_record", "bad_entry"]
        let parts = [
            (count("torn_tail"), "torn tail", nil), (count("corrupt_record"), "corrupt record", nil),
            (count("bad_entry"), "bad entry", "bad entries"),
            (damage.filter { !known.contains($0.kind) }.count, "other damage", "other damage"),
        ].filter { $0.0 > 0 }.map { ReportFormat.count($0.0, $0.1, plural: $0.2) }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// The report's sections in order, each a label and its lines (a section without lines is left out).
    private var sections: [(label: String, lines: [String])] {
        let contents = CaptureEntry.Kind.allCases.filter { recordsByKind[$0] > 0 }.map { ($0.name, contentLines($0)) }
        return [
            ("capture", manifestLines), ("files", fileLines), ("records", recordLines), ("batches", [batchKindLine]),
            ("senders", senderLines), ("versions", versionLines), ("policy lag", policyLagLines),
        ] + contents + [("time", timeLines), ("damage", damageLines)]
    }

    /// Each section's first line after its label, the others under it, all lines aligned.
    private static func labelled(_ sections: [(label: String, lines: [String])]) -> [String] {
        let width = (sections.map(\.label.count).max() ?? 0) + 2
        return sections.flatMap { section in
            section.lines.enumerated().map { index, line in
                let label = index == 0 ? section.label : ""
                return label + String(repeating: " ", count: width - label.count) + line
            }
        }
    }

    private var manifestLines: [String] {
        guard let manifest else { return [] }
        let state = manifest.complete ? "complete" : "incomplete (the run did not close it)"
        return ["run \(manifest.runID): \(manifest.algorithm) on \(manifest.subject), seed \(manifest.seed), \(state)"]
            + (manifest.weightsSHA256.map { ["weights_sha256 \($0)"] } ?? [])
    }

    /// The files by name under their common directory, or by path when they have none.
    private var fileLines: [String] {
        let directories = Set(files.map { URL(fileURLWithPath: $0.path).deletingLastPathComponent().path })
        let byName = directories.count == 1
        let rows = files.map { file in
            [byName ? URL(fileURLWithPath: file.path).lastPathComponent : file.path,
             ReportFormat.count(file.records, "record"), ReportFormat.bytes(file.bytes)]
        }
        let table = ReportFormat.columns(rows, rightAligned: [1, 2])
        guard byName, let directory = directories.first else { return table }
        return [directory + "/"] + table.map { "  " + $0 }
    }

    private var recordLines: [String] {
        let byKind = CaptureEntry.Kind.allCases.map { "\(ReportFormat.count(recordsByKind[$0])) \($0.name)" }
        let reasons = droppedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \(ReportFormat.count($0.value))" }
        return ["\(ReportFormat.count(records)) (\(byKind.joined(separator: ", ")))"]
            + (reasons.isEmpty ? [] : ["dropped: " + reasons.joined(separator: ", ")])
    }

    private var batchKindLine: String {
        let counts = [
            ("trajectory_batch", batchKinds.trajectoryBatch), ("group_batch", batchKinds.groupBatch),
            ("other", batchKinds.other), ("undecodable", batchKinds.undecodable),
        ]
        let present = counts.filter { $0.1 > 0 }.map { "\(ReportFormat.count($0.1)) \($0.0)" }
        return present.isEmpty ? "none" : present.joined(separator: ", ")
    }

    /// Senders by id, a few to a line.
    private var senderLines: [String] {
        let entries = senders.sorted { $0.key < $1.key }.map { "\($0.key) \(ReportFormat.count($0.value))" }
        return stride(from: 0, to: entries.count, by: 6).map { entries[$0..<min($0 + 6, entries.count)].joined(separator: ", ") }
    }

    private var versionLines: [String] {
        func range(_ range: VersionRange?) -> String { range.map { "\($0.min)..\($0.max)" } ?? "none" }
        return [
            "learner \(range(learnerVersions)), policy \(range(policyVersions))",
            ReportFormat.count(updates, "update")
                + (consumedTwice > 0 ? "; \(ReportFormat.count(consumedTwice, "batch", plural: "batches")) consumed twice" : ""),
        ]
    }

    /// A table of batches by lag, consumed and dropped.
    private var policyLagLines: [String] {
        let consumed = Dictionary(uniqueKeysWithValues: policyLagHistogram.byLag(.consumed).map { ($0.lag, $0.batches) })
        let dropped = Dictionary(uniqueKeysWithValues: policyLagHistogram.byLag(.dropped).map { ($0.lag, $0.batches) })
        let lags = Set(consumed.keys).union(dropped.keys).sorted()
        guard !lags.isEmpty else { return [] }
        let rows = [["lag", "consumed", "dropped"]]
            + lags.map { [String($0), ReportFormat.count(consumed[$0] ?? 0), ReportFormat.count(dropped[$0] ?? 0)] }
        return ReportFormat.columns(rows, rightAligned: [0, 1, 2])
    }

    /// Steps or responses, rewards and episodes of the entries of `kind`.
    private func contentLines(_ kind: CaptureEntry.Kind) -> [String] {
        let content = contentByKind[kind]
        var lines: [String] = []
        var volume: [String] = []
        if content.envSteps > 0 { volume.append(ReportFormat.count(content.envSteps, "env step")) }
        if content.responses > 0 { volume.append(ReportFormat.count(content.responses, "response")) }
        if !volume.isEmpty { lines.append(volume.joined(separator: ", ")) }
        if let summary = Self.summary(content.rewards.mean, content.rewards.min, content.rewards.max) {
            lines.append("rewards: \(ReportFormat.count(content.rewards.count, "value")), \(summary)")
        }
        let episodes = content.episodes
        if episodes.count > 0, let returns = Self.summary(episodes.returnMean, episodes.returnMin, episodes.returnMax) {
            let length = episodes.lengthMean.map { ", length mean \(ReportFormat.number($0))" } ?? ""
            lines.append("episodes: \(ReportFormat.count(episodes.count)), return \(returns)\(length)")
        }
        return lines
    }

    /// `mean 1.5 (min 0, max 3)`, or nil without values.
    private static func summary(_ mean: Double?, _ min: Double?, _ max: Double?) -> String? {
        guard let mean, let min, let max else { return nil }
        return "mean \(ReportFormat.number(mean)) (min \(ReportFormat.number(min)), max \(ReportFormat.number(max)))"
    }

    /// From the first arrival to the last event, and how long that is.
    private var timeLines: [String] {
        guard let timeSpan else { return [] }
        let from = ReportFormat.seconds(timeSpan.firstArrivalSeconds), to = ReportFormat.seconds(timeSpan.lastEventSeconds)
        return ["\(from) to \(to) (\(ReportFormat.seconds(timeSpan.seconds)))"]
    }

    /// One line per damaged stretch: kind, file, offset, bytes skipped, what was found.
    private var damageLines: [String] {
        let rows = damage.map { damage in
            [damage.kind, damage.file, "offset \(damage.offset)", ReportFormat.count(damage.skippedBytes, "byte") + " skipped",
             damage.detail]
        }
        return ReportFormat.columns(rows)
    }
}
