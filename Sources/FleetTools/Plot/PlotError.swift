/// Why `fleet plot` cannot draw what it was asked to.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// A run directory without `metrics.jsonl` (or one that cannot be read).
    case noMetricsFile(run: String)
    /// A `--metric` no run logged; `available` lists the tags the runs have.
    case noSuchMetric(String, available: [String])
    /// No `--metric` given and none of the default tags is logged.
    case noDefaultMetric(tried: [String], available: [String])

    /// A sentence saying what is missing and what the runs have.
    public var description: String {
        switch self {
        case .noMetricsFile(let run):
            return "\(run): no metrics.jsonl (is it a run directory? fleet train writes one with --run-dir)"
        case .noSuchMetric(let tag, let available):
            return "no run has the metric \(tag); the runs have: \(Self.list(available))"
        case .noDefaultMetric(let tried, let available):
            return "no run has \(tried.joined(separator: " or ")); pass --metric, one of: \(Self.list(available))"
        }
    }

    private static func list(_ tags: [String]) -> String {
        tags.isEmpty ? "(no metrics at all)" : tags.joined(separator: ", ")
    }
}
