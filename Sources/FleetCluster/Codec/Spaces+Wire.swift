import FleetEnvironments
import FleetWire

extension WireSpace {
    /// The wire form of an observation box.
    package init(_ box: BoxSpace) {
        self = .box(shape: box.shape, low: box.low, high: box.high)
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
    /// The box a wire space describes; nil when it is discrete.
    package init?(_ space: WireSpace) {
        guard case .box(let shape, let low, let high) = space else { return nil }
        self.init(low: low, high: high, shape: shape)
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
