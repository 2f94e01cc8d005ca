import Foundation

/// One measured figure, set beside the baseline it is judged against.
///
/// Every figure of `fleet bench` is measured in the same run as its baseline (memcpy, raw
/// libzmq, ...), because these machines are shared and noisy: only the ratio means much.
public struct BenchFigure: Encodable, Sendable, Equatable {
    /// The sub-suite: `wire`, `transport`, ...
    public var suite: String
    /// What was measured, e.g. `decode+validate trajectory 1 MiB`.
    public var name: String
    /// The measured rate, in `unit`.
    public var value: Double
    /// The unit of `value` and `baselineValue`, e.g. `MB/s` or `msg/s`.
    public var unit: String
    /// What the figure is compared with, e.g. `memcpy 1 MiB`.
    public var baseline: String
    /// The baseline's rate in the same run, in `unit`.
    public var baselineValue: Double
    /// The ratio the project aims for (value / baselineValue), if it has one: a floor when
    /// higher values are better, a ceiling when lower ones are (latencies).
    public var goal: Double?
    /// Whether a higher value is the better one: true for rates, false for latencies.
    public var higherIsBetter: Bool
    /// A figure's other facts worth printing beside it, e.g. the time one update takes.
    public var detail: String?

    /// value / baselineValue.
    public var ratio: Double { baselineValue > 0 ? value / baselineValue : 0 }

    /// Whether the figure reaches its goal (true when there is none): a ratio at least the goal,
    /// or at most the goal when lower is better.
    public var meetsGoal: Bool { goal.map { higherIsBetter ? ratio >= $0 : ratio <= $0 } ?? true }

    public init(
        suite: String, name: String, value: Double, unit: String,
        baseline: String, baselineValue: Double, goal: Double? = nil, higherIsBetter: Bool = true,
        detail: String? = nil
    ) {
        self.suite = suite
        self.name = name
        self.value = value
        self.unit = unit
        self.baseline = baseline
        self.baselineValue = baselineValue
        self.goal = goal
        self.higherIsBetter = higherIsBetter
        self.detail = detail
    }

    private enum CodingKeys: String, CodingKey {
        case suite, name, value, unit, baseline, baselineValue = "baseline_value", goal, ratio, detail
        case higherIsBetter = "higher_is_better"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(suite, forKey: .suite)
        try c.encode(name, forKey: .name)
        try c.encode(value, forKey: .value)
        try c.encode(unit, forKey: .unit)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(baselineValue, forKey: .baselineValue)
        try c.encodeIfPresent(goal, forKey: .goal)
        try c.encode(higherIsBetter, forKey: .higherIsBetter)
        try c.encode(ratio, forKey: .ratio)
        try c.encodeIfPresent(detail, forKey: .detail)
    }
}

/// The figures of one `fleet bench` run, as a table for people and JSON for scripts.
public struct BenchReport: Encodable, Sendable {
    public var machine: String
    public var date: String
    /// What the machine could do when the run started (``CapacityProbe``), if it was probed.
    public var capacity: MachineCapacity?
    public var figures: [BenchFigure]

    public init(figures: [BenchFigure], capacity: MachineCapacity? = nil, date: Date = Date()) {
        self.machine = BenchReport.describeMachine()
        self.date = ISO8601DateFormatter().string(from: date)
        self.capacity = capacity
        self.figures = figures
    }

    /// The capacity block (when probed and `includingCapacity`), then a fixed-width table:
    /// figure, value, baseline, ratio and goal.
    public func table(includingCapacity: Bool = true) -> String {
        let block = includingCapacity ? capacity.map { $0.block + "\n" } ?? "" : ""
        return block + figureTable()
    }

    private func figureTable() -> String {
        let header = ["suite", "figure", "value", "baseline", "baseline value", "ratio", "goal", "detail"]
        let rows = figures.map { f in
            [
                f.suite, f.name, Self.format(f.value) + " " + f.unit, f.baseline,
                Self.format(f.baselineValue) + " " + f.unit, String(format: "%.3f", f.ratio),
                f.goal.map {
                    String(format: "%@ %.2f %@", f.higherIsBetter ? ">=" : "<=", $0, f.meetsGoal ? "met" : "MISSED")
                } ?? "",
                f.detail ?? "",
            ]
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header), line(widths.map { String(repeating: "-", count: $0) })]
            + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value)
    }

    static func describeMachine() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let gib = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        return String(format: "%d cores, %.0f GiB", cores, gib)
    }
}
