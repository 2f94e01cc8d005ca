import FleetConfig

/// What the progress line shows. An environment run (PPO): steps, SPS, return mean100, policy
/// version, lag, queue depth. A language run (GRPO, DAPO): updates, responses, responses/s,
/// reward mean, held-out accuracy, policy version, lag, queue depth. Unknown values show as `-`.
public struct ProgressSnapshot: Hashable, Sendable {
    /// What a run's progress is counted in.
    public enum Shape: Hashable, Sendable {
        /// Env steps (of ``ProgressSnapshot/totalSteps`` when known) and the mean return of the
        /// last 100 episodes.
        case environmentSteps
        /// Updates (the policy version, of `totalUpdates` when known), responses trained on (the
        /// logged step), the reward mean of the last update and the held-out accuracy.
        case languageUpdates(totalUpdates: Int?)

        /// The shape of `config`'s runs: language updates for GRPO and DAPO, env steps for PPO.
        public init(_ config: RunConfig) {
            self = config.isLanguage ? .languageUpdates(totalUpdates: config.language.totalTrainingSteps) : .environmentSteps
        }
    }

    public var shape: Shape
    /// Env steps, or responses in a language run: the step metrics are logged at.
    public var envSteps: Int
    /// The run's planned steps, shown as a percentage when known (environment runs).
    public var totalSteps: Int?
    /// Env steps a second, or responses a second in a language run.
    public var stepsPerSecond: Double?
    public var returnMean100: Double?
    /// The mean reward of the last update's responses (`critic/score/mean`).
    public var scoreMean: Double?
    /// The latest held-out greedy accuracy, a fraction (`eval/accuracy`).
    public var evalAccuracy: Double?
    public var policyVersion: Int?
    public var policyLag: Double?
    public var queueDepth: Int?

    public init(
        shape: Shape = .environmentSteps, envSteps: Int = 0, totalSteps: Int? = nil, stepsPerSecond: Double? = nil,
        returnMean100: Double? = nil, scoreMean: Double? = nil, evalAccuracy: Double? = nil,
        policyVersion: Int? = nil, policyLag: Double? = nil, queueDepth: Int? = nil
    ) {
        self.shape = shape
        self.envSteps = envSteps
        self.totalSteps = totalSteps
        self.stepsPerSecond = stepsPerSecond
        self.returnMean100 = returnMean100
        self.scoreMean = scoreMean
        self.evalAccuracy = evalAccuracy
        self.policyVersion = policyVersion
        self.policyLag = policyLag
        self.queueDepth = queueDepth
    }

    /// Takes the values of the known tags among `scalars` (``MetricTag``) at step `step`.
    public mutating func observe(step: Int, scalars: [MetricScalar]) {
        envSteps = step
        for scalar in scalars where scalar.value.isFinite {
            switch scalar.tag {
            case MetricTag.stepsPerSecond: stepsPerSecond = scalar.value
            case MetricTag.returnMean100: returnMean100 = scalar.value
            case MetricTag.scoreMean: scoreMean = scalar.value
            case MetricTag.evalAccuracy: evalAccuracy = scalar.value
            case MetricTag.policyVersion: policyVersion = Int(scalar.value)
            case MetricTag.policyLag: policyLag = scalar.value
            case MetricTag.queueDepth: queueDepth = Int(scalar.value)
            default: break
            }
        }
    }

    /// The line of the run's ``shape``:
    /// `steps 51200/500000 (10.2%) | SPS 5120 | return100 212.40 | policy v12 | lag 1.0 | queue 3`, or
    /// `updates 12/50 (24.0%) | responses 3072 | responses/s 410 | reward 0.42 | accuracy 63.0% | policy v12 | lag 0.3 | queue 2`.
    public var line: String {
        let head: [String]
        switch shape {
        case .environmentSteps:
            var steps = "steps \(envSteps)"
            if let totalSteps, totalSteps > 0 {
                steps += "/\(totalSteps) (\(fixed(100 * Double(envSteps) / Double(totalSteps), 1))%)"
            }
            head = [
                steps,
                "SPS " + (stepsPerSecond.map { fixed($0, 0) } ?? "-"),
                "return100 " + (returnMean100.map { fixed($0, 2) } ?? "-"),
            ]
        case .languageUpdates(let totalUpdates):
            var updates = "updates " + (policyVersion.map(String.init) ?? "-")
            if let totalUpdates, totalUpdates > 0 {
                updates += "/\(totalUpdates)"
                if let policyVersion {
                    updates += " (\(fixed(100 * Double(policyVersion) / Double(totalUpdates), 1))%)"
                }
            }
            head = [
                updates,
                "responses \(envSteps)",
                "responses/s " + (stepsPerSecond.map { fixed($0, 0) } ?? "-"),
                "reward " + (scoreMean.map { fixed($0, 2) } ?? "-"),
                "accuracy " + (evalAccuracy.map { fixed(100 * $0, 1) + "%" } ?? "-"),
            ]
        }
        return (head + [
            "policy " + (policyVersion.map { "v\($0)" } ?? "-"),
            "lag " + (policyLag.map { fixed($0, 1) } ?? "-"),
            "queue " + (queueDepth.map(String.init) ?? "-"),
        ]).joined(separator: " | ")
    }
}

/// `value` with `digits` decimals, without Foundation's locale-dependent formatting.
package func fixed(_ value: Double, _ digits: Int) -> String {
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
