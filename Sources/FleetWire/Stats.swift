/// One named counter or gauge (`fleet.v1.Scalar`).
public struct Scalar: Sendable, Hashable {
    /// The metric name, non-empty.
    public var name: String
    /// The value. NaN and infinities are allowed (a gauge may be undefined).
    public var value: Double

    /// Creates a scalar; an empty name is refused by validation, not here.
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// Named counters and gauges, from an actor or from the learner (`fleet.v1.Stats`).
public struct Stats: Sendable, Hashable {
    /// The scalars, in the sender's order.
    public var scalars: [Scalar]

    /// Creates stats from scalars, kept in the given order.
    public init(scalars: [Scalar]) {
        self.scalars = scalars
    }
}
