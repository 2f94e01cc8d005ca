/// The count, mean, minimum and maximum of values seen one at a time.
struct RunningStatistics: Hashable, Sendable {
    private(set) var count = 0
    private var sum = 0.0
    private var smallest = Double.infinity
    private var largest = -Double.infinity

    mutating func add(_ value: Double) {
        count += 1
        sum += value
        smallest = Swift.min(smallest, value)
        largest = Swift.max(largest, value)
    }

    mutating func add(contentsOf values: some Sequence<Float>) {
        for value in values { add(Double(value)) }
    }

    mutating func add(contentsOf values: some Sequence<Int64>) {
        for value in values { add(Double(value)) }
    }

    /// Nil until a value was added.
    var mean: Double? { count == 0 ? nil : sum / Double(count) }
    var min: Double? { count == 0 ? nil : smallest }
    var max: Double? { count == 0 ? nil : largest }
}
