/// How the elements of an observation box are stored and shipped.
public enum BoxElementType: String, Sendable, Equatable {
    /// Real numbers: Gymnasium's `Box` with `dtype=float32`.
    case float32
    /// Whole numbers in `0 ... 255`: Gymnasium's `Box` with `dtype=uint8` (pixels). The
    /// environment still writes them into `Float` buffers (exactly); actors ship them as one byte
    /// each and the learner widens them back to `Float` unchanged (no scaling).
    case uint8
}

/// A box of real vectors: every element lies in `[low[i], high[i]]` (bounds may be infinite).
/// Gymnasium's `Box` with `dtype=float32`, or with `dtype=uint8` (``BoxElementType/uint8``).
public struct BoxSpace: Sendable, Equatable {
    /// Lower bound of each element, flattened in row-major order.
    public let low: [Float]
    /// Upper bound of each element, flattened in row-major order.
    public let high: [Float]
    /// The shape of one value, e.g. `[4]`, or `[channels, height, width]` for pixels.
    public let shape: [Int]
    /// How the elements are stored and shipped: `float32`, or `uint8` for pixels.
    public let elementType: BoxElementType

    /// A box with the given bounds; `low` and `high` hold `shape`'s element count each. A `uint8`
    /// box needs whole bounds within `0 ... 255`.
    public init(low: [Float], high: [Float], shape: [Int], elementType: BoxElementType = .float32) {
        precondition(low.count == high.count, "low and high differ in length")
        precondition(shape.reduce(1, *) == low.count, "shape \(shape) does not hold \(low.count) elements")
        if elementType == .uint8 {
            precondition(
                (low + high).allSatisfy { $0 >= 0 && $0 <= 255 && $0 == $0.rounded() },
                "uint8 bounds must be whole numbers in 0 ... 255")
        }
        self.low = low
        self.high = high
        self.shape = shape
        self.elementType = elementType
    }

    /// A box of pixels: `shape` (e.g. `[channels, height, width]`) of whole numbers in `0 ... high`.
    public init(pixels shape: [Int], high: UInt8) {
        let count = shape.reduce(1, *)
        self.init(
            low: [Float](repeating: 0, count: count), high: [Float](repeating: Float(high), count: count),
            shape: shape, elementType: .uint8)
    }

    /// A one-dimensional box, symmetric about zero: `[-high, high]`.
    public init(symmetric high: [Float]) {
        self.init(low: high.map { -$0 }, high: high, shape: [high.count])
    }

    /// The number of scalars in one value.
    public var count: Int { low.count }

    /// Whether `value` has the right length and every element lies within the bounds (and is a
    /// whole number, for a `uint8` box).
    public func contains(_ value: [Float]) -> Bool {
        guard value.count == count else { return false }
        for index in 0..<count where !(value[index] >= low[index] && value[index] <= high[index]) {
            return false
        }
        if elementType == .uint8, !value.allSatisfy({ $0 == $0.rounded() }) { return false }
        return true
    }
}

/// The integers `0 ..< n`. Gymnasium's `Discrete(n)` (with `start = 0`).
public struct DiscreteSpace: Sendable, Equatable {
    /// The number of actions.
    public let n: Int

    /// The integers `0 ..< n`; `n` must be positive.
    public init(_ n: Int) {
        precondition(n > 0, "a discrete space needs at least one element")
        self.n = n
    }

    /// Whether `value` lies in `0 ..< n`.
    public func contains(_ value: Int) -> Bool { value >= 0 && value < n }
}

/// An action space: discrete choices or a box of real vectors.
public enum ActionSpace: Sendable, Equatable {
    /// One of `n` choices, passed as an `Int`.
    case discrete(DiscreteSpace)
    /// A real vector, passed as `Float`s.
    case box(BoxSpace)

    /// Scalars per action: 1 for discrete actions, the box's element count otherwise.
    public var dimension: Int {
        switch self {
        case .discrete: 1
        case .box(let box): box.count
        }
    }
}
