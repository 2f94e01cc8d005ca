import FleetEnvironments
import FleetWire

extension WireSpace {
    /// The wire form of an observation box: float32, or uint8 for pixels.
    package init(_ box: BoxSpace) {
        self = .box(shape: box.shape, low: box.low, high: box.high, dtype: DType(box.elementType))
    }

    /// The wire form of an action space.
    package init(_ space: ActionSpace) {
        switch space {
        case .discrete(let discrete): self = .discrete(UInt64(discrete.n))
        case .box(let box): self.init(box)
        }
    }
}

extension BoxSpace {
    /// The box a wire space describes; nil when it is discrete, or of a dtype other than float32
    /// and uint8.
    package init?(_ space: WireSpace) {
        guard case .box(let shape, let low, let high, let dtype) = space else { return nil }
        switch dtype {
        case .float32: self.init(low: low, high: high, shape: shape)
        case .uint8: self.init(low: low, high: high, shape: shape, elementType: .uint8)
        default: return nil
        }
    }
}

extension DType {
    /// The wire dtype of a box's elements.
    package init(_ elementType: BoxElementType) {
        switch elementType {
        case .float32: self = .float32
        case .uint8: self = .uint8
        }
    }
}

extension ActionSpace {
    /// The action space a wire space describes; nil for a discrete space too large for `Int`.
    package init?(_ space: WireSpace) {
        switch space {
        case .discrete(let n):
            guard let count = Int(exactly: n), count > 0 else { return nil }
            self = .discrete(DiscreteSpace(count))
        case .box:
            guard let box = BoxSpace(space) else { return nil }
            self = .box(box)
        }
    }
}
