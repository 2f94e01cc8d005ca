import FleetCluster

/// What a learning curve's x axis counts: the logged step, or seconds since the run's first line.
public enum PlotXAxis: String, CaseIterable, Sendable {
    /// The logged step.
    case step
    /// Seconds since the first logged wall time of the run.
    case wall

    /// The axis title: `step` or `wall time (s)`.
    public var label: String {
        switch self {
        case .step: return "step"
        case .wall: return "wall time (s)"
        }
    }
}

/// One run's curve of one tag: (x, value) in logged order.
public struct MetricsSeries: Sendable, Equatable {
    /// The run's name (its directory's last path component).
    public let name: String
    /// The metric's tag.
    public let tag: String
    /// The points, in logged order.
    public let points: [(x: Double, y: Double)]

    /// Creates a series from points as given.
    public init(name: String, tag: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.tag = tag
        self.points = points
    }

    /// `log`'s steps that have `tag`; with `.wall`, steps without a wall time are left out.
    public init(_ log: MetricsLog, tag: String, x: PlotXAxis = .step) {
        let start = log.rows.lazy.compactMap(\.wallTime).first ?? 0
        var points: [(x: Double, y: Double)] = []
        for row in log.rows {
            guard let value = row.scalars[tag] else { continue }
            switch x {
            case .step: points.append((row.step, value))
            case .wall:
                guard let wall = row.wallTime else { continue }
                points.append((wall - start, value))
            }
        }
        self.init(name: log.name, tag: tag, points: points)
    }

    /// Equal when name, tag and every point are equal (tuples are not `Equatable`, hence this).
    public static func == (lhs: MetricsSeries, rhs: MetricsSeries) -> Bool {
        lhs.name == rhs.name && lhs.tag == rhs.tag && lhs.points.elementsEqual(rhs.points) { $0 == $1 }
    }
}

extension MetricsLog {
    /// The tags plotted when none is asked for: the first of these any run logged.
    public static let defaultMetrics = [MetricTag.episodicReturn, MetricTag.evalAccuracy]

    /// `tags` checked against `logs` (each must be logged by some run), or, when empty, the first of
    /// `defaultMetrics` some run logged.
    public static func metricsToPlot(_ tags: [String], in logs: [MetricsLog]) throws -> [String] {
        var available: [String] = []
        for tag in logs.flatMap(\.tags) where !available.contains(tag) { available.append(tag) }
        if tags.isEmpty {
            guard let tag = defaultMetrics.first(where: available.contains) else {
                throw PlotError.noDefaultMetric(tried: defaultMetrics, available: available.sorted())
            }
            return [tag]
        }
        for tag in tags where !available.contains(tag) {
            throw PlotError.noSuchMetric(tag, available: available.sorted())
        }
        return tags
    }
}
