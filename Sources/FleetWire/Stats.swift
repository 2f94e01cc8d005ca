/// One named counter or gauge (`fleet.v1.Scalar`).
public struct Scalar: Sendable, Hashable {
    /// The metric name, non-empty.
    public var name: String
    /// The value. NaN and infinities are allowed (a gauge may be undefined).
    public var value: Double

    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// Named counters and gauges, from an actor or from the learner (`fleet.v1.Stats`).
public struct Stats: Sendable, Hashable {
    /// The scalars, in the sender's order.
    public var scalars: [Scalar]

    public init(scalars: [Scalar]) {
        self.scalars = scalars
    }
}
