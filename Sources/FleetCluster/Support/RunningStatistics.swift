/// The count, mean, minimum and maximum of values seen one at a time.
package struct RunningStatistics: Hashable, Sendable {
    package private(set) var count = 0
    private var sum = 0.0
    private var smallest = Double.infinity
    private var largest = -Double.infinity

    /// No values yet.
    package init() {}

    package mutating func add(_ value: Double) {
        count += 1
        sum += value
        smallest = Swift.min(smallest, value)
        largest = Swift.max(largest, value)
    }

    package mutating func add(contentsOf values: some Sequence<Float>) {
        for value in values { add(Double(value)) }
    }

    package mutating func add(contentsOf values: some Sequence<Int64>) {
        for value in values { add(Double(value)) }
    }

    /// Nil until a value was added.
    package var mean: Double? { count == 0 ? nil : sum / Double(count) }
    package var min: Double? { count == 0 ? nil : smallest }
    package var max: Double? { count == 0 ? nil : largest }
}
