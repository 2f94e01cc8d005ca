import Foundation

/// Fans each logged step out to the run's TensorBoard event file, its `metrics.jsonl`, and the
/// progress line. Use one logger from one task at a time.
public final class MetricsLogger {
    /// The TensorBoard event file writer.
    public let events: TensorBoardEventWriter
    /// The `metrics.jsonl` writer.
    public let jsonl: MetricsJSONLWriter
    /// The console progress line, when one is shown.
    public let progress: ProgressLine?
    private let clock: () -> Double
    private var closed = false

    /// Logs into `directory`'s event file and `metrics.jsonl`; `progress` also shows each step.
    /// `clock` gives the wall time in seconds since 1970.
    public convenience init(
        directory: RunDirectory, progress: ProgressLine? = nil, flushInterval: Double = 5,
        clock: @escaping () -> Double = { Date().timeIntervalSince1970 }
    ) throws {
        self.init(
            events: try TensorBoardEventWriter(directory: directory.url, flushInterval: flushInterval, clock: clock),
            jsonl: try MetricsJSONLWriter(url: directory.metricsFile), progress: progress, clock: clock)
    }

    /// Logs to the given writers.
    public init(
        events: TensorBoardEventWriter, jsonl: MetricsJSONLWriter, progress: ProgressLine? = nil,
        clock: @escaping () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.events = events
        self.jsonl = jsonl
        self.progress = progress
        self.clock = clock
    }

    /// Logs every scalar of env step `step` (tags distinct, in the order given).
    public func log(step: Int, _ scalars: [MetricScalar]) throws {
        let wallTime = clock()
        try events.write(step: step, scalars: scalars, wallTime: wallTime)
        try jsonl.write(step: step, wallTime: wallTime, scalars: scalars)
        progress?.observe(step: step, scalars: scalars)
    }

    /// Logs every scalar of env step `step`: `try logger.log(step: 512, ["charts/SPS": 5120])`.
    public func log(step: Int, _ scalars: KeyValuePairs<String, Double>) throws {
        try log(step: step, scalars.map { MetricScalar($0.key, $0.value) })
    }

    /// Writes the buffered events to the file.
    public func flush() throws { try events.flush() }

    /// Flushes and closes both files and ends the progress line.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try events.close()
        try jsonl.close()
        progress?.finish()
    }
}
