/// Running mean and (population) variance of vectors, in `Double`, merged batch by batch with the
/// parallel algorithm (Chan et al.), as gymnasium's `RunningMeanStd`: starts at mean 0, var 1,
/// count 1e-4.
public struct RunningMeanStd: Sendable, Equatable {
    /// `[size]`.
    public private(set) var mean: [Double]
    /// `[size]`, population variance.
    public private(set) var variance: [Double]
    /// The weight of the merged rows, starting at 1e-4 (not an integer count).
    public private(set) var count: Double

    /// The vector size.
    public var size: Int { mean.count }

    /// Fresh statistics for vectors of `size`: mean 0, variance 1, count 1e-4.
    public init(size: Int) {
        mean = [Double](repeating: 0, count: size)
        variance = [Double](repeating: 1, count: size)
        count = 1e-4
    }

    /// Statistics restored from saved values.
    public init(mean: [Double], variance: [Double], count: Double) {
        precondition(mean.count == variance.count, "mean and variance sizes differ")
        self.mean = mean
        self.variance = variance
        self.count = count
    }

    /// Merges `rows` vectors stored row-major in `values` (`[rows * size]`).
    public mutating func update(_ values: UnsafeBufferPointer<Float>, rows: Int) {
        precondition(values.count == rows * size, "update needs rows x \(size) values")
        guard rows > 0 else { return }
        let n = Double(rows)
        let total = count + n
        for j in 0..<size {
            var sum = 0.0
            for r in 0..<rows { sum += Double(values[r * size + j]) }
            let batchMean = sum / n
            var squares = 0.0
            for r in 0..<rows {
                let d = Double(values[r * size + j]) - batchMean
                squares += d * d
            }
            let batchVariance = squares / n
            let delta = batchMean - mean[j]
            let m2 = variance[j] * count + batchVariance * n + delta * delta * count * n / total
            mean[j] += delta * n / total
            variance[j] = m2 / total
        }
        count = total
    }

    /// ``update(_:rows:)`` for an array.
    public mutating func update(_ values: [Float], rows: Int) {
        values.withUnsafeBufferPointer { update($0, rows: rows) }
    }

    /// Merges a single value (size 1), as gymnasium's per-step update.
    public mutating func update(scalar x: Double) {
        precondition(size == 1, "scalar update needs size 1")
        let total = count + 1
        let delta = x - mean[0]
        let m2 = variance[0] * count + delta * delta * count / total
        mean[0] += delta / total
        variance[0] = m2 / total
        count = total
    }
}
