/// What the progress line shows: steps, SPS, return mean100, policy version, lag, queue depth.
/// Unknown values show as `-`.
public struct ProgressSnapshot: Hashable, Sendable {
    public var envSteps: Int
    /// The run's planned steps, shown as a percentage when known.
    public var totalSteps: Int?
    public var stepsPerSecond: Double?
    public var returnMean100: Double?
    public var policyVersion: Int?
    public var policyLag: Double?
    public var queueDepth: Int?

    public init(
        envSteps: Int = 0, totalSteps: Int? = nil, stepsPerSecond: Double? = nil, returnMean100: Double? = nil,
        policyVersion: Int? = nil, policyLag: Double? = nil, queueDepth: Int? = nil
    ) {
        self.envSteps = envSteps
        self.totalSteps = totalSteps
        self.stepsPerSecond = stepsPerSecond
        self.returnMean100 = returnMean100
        self.policyVersion = policyVersion
        self.policyLag = policyLag
        self.queueDepth = queueDepth
    }

    /// Takes the values of the known tags among `scalars` (``MetricTag``) at env step `step`.
    public mutating func observe(step: Int, scalars: [MetricScalar]) {
        envSteps = step
        for scalar in scalars where scalar.value.isFinite {
            switch scalar.tag {
            case MetricTag.stepsPerSecond: stepsPerSecond = scalar.value
            case MetricTag.returnMean100: returnMean100 = scalar.value
            case MetricTag.policyVersion: policyVersion = Int(scalar.value)
            case MetricTag.policyLag: policyLag = scalar.value
            case MetricTag.queueDepth: queueDepth = Int(scalar.value)
            default: break
            }
        }
    }

    /// The line: `steps 51200/500000 (10.2%) | SPS 5120 | return100 212.40 | policy v12 | lag 1.0 | queue 3`.
    public var line: String {
        var steps = "steps \(envSteps)"
        if let totalSteps, totalSteps > 0 {
            steps += "/\(totalSteps) (\(fixed(100 * Double(envSteps) / Double(totalSteps), 1))%)"
        }
        return [
            steps,
            "SPS " + (stepsPerSecond.map { fixed($0, 0) } ?? "-"),
            "return100 " + (returnMean100.map { fixed($0, 2) } ?? "-"),
            "policy " + (policyVersion.map { "v\($0)" } ?? "-"),
            "lag " + (policyLag.map { fixed($0, 1) } ?? "-"),
            "queue " + (queueDepth.map(String.init) ?? "-"),
        ].joined(separator: " | ")
    }
}

/// `value` with `digits` decimals, without Foundation's locale-dependent formatting.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    guard scaled < 9e18 else { return "\(value)" }
    let units = Int64(scaled)
    let whole = units / Int64(scale), fraction = units % Int64(scale)
    var text = (value < 0 && units != 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let decimals = String(fraction)
        text += "." + String(repeating: "0", count: digits - decimals.count) + decimals
    }
    return text
}
