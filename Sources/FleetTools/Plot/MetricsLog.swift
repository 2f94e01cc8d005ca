import Foundation

/// A run's `metrics.jsonl` as read back: each step's scalars (see `MetricsJSONLWriter` for the line
/// format). A line that is not a JSON object with a numeric `step` is skipped and counted, so a run
/// killed mid-write still plots; a `null` value (not finite when logged) is left out of its step.
public struct MetricsLog: Sendable {
    /// One logged step.
    public struct Row: Sendable, Equatable {
        /// The step the scalars were logged at: environment steps trained (responses for GRPO/DAPO,
        /// demonstrations for `fleet sft`).
        public let step: Double
        /// Seconds since 1970 when the step was logged; nil when the line has none.
        public let wallTime: Double?
        /// The step's finite values by tag.
        public let scalars: [String: Double]
    }

    /// The run's name: the directory's last path component.
    public let name: String
    /// The steps, in file order.
    public let rows: [Row]
    /// The lines skipped because they do not parse.
    public let malformedLines: Int
    /// Every tag logged, in the order first seen (`step` and `wall_time` are not tags).
    public let tags: [String]

    /// Reads `directory/metrics.jsonl`.
    public init(runDirectory directory: URL) throws {
        let file = directory.appendingPathComponent("metrics.jsonl")
        guard let data = try? Data(contentsOf: file) else {
            throw PlotError.noMetricsFile(run: directory.path)
        }
        self.init(name: directory.standardizedFileURL.lastPathComponent, jsonl: data)
    }

    /// Parses the contents of a `metrics.jsonl`; blank lines are ignored.
    public init(name: String, jsonl data: Data) {
        self.name = name
        var rows: [Row] = []
        var malformed = 0
        var tags: [String] = []
        var seen: Set<String> = []
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) {
                continue
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let step = Self.number(object["step"])
            else {
                malformed += 1
                continue
            }
            var scalars: [String: Double] = [:]
            for (key, value) in object where key != "step" && key != "wall_time" {
                guard let number = Self.number(value) else { continue }
                scalars[key] = number
            }
            // Keys in the order logged: JSONSerialization's dictionary forgets it, so sort a
            // new step's tags for a stable listing.
            for tag in scalars.keys.sorted() where !seen.contains(tag) {
                seen.insert(tag)
                tags.append(tag)
            }
            rows.append(Row(step: step, wallTime: Self.number(object["wall_time"]), scalars: scalars))
        }
        self.rows = rows
        self.malformedLines = malformed
        self.tags = tags
    }

    /// A JSON number (`null`, strings and non-finite values are not).
    private static func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, !(value is String) else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }
}
