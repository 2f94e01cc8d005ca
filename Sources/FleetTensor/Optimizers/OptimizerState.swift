/// An optimizer's state as plain named arrays, for checkpoints: step counters and moment buffers.
///
/// Names are the parameter's name plus a suffix, as in PyTorch's `state_dict`:
/// `actor.0.weight.step`, `actor.0.weight.exp_avg`, `actor.0.weight.exp_avg_sq` (Adam, AdamW),
/// `actor.0.weight.momentum_buffer` (SGD). Values are copied bit for bit both ways, so an
/// optimizer restored from a state continues exactly as the original would have.
/// Hyperparameters and the learning rate are not part of the state: they come from the
/// configuration and the schedule.
public struct OptimizerState: Sendable, Equatable {
    /// One integer counter (a step count).
    public struct Counter: Sendable, Equatable {
        /// `<parameter name>.<counter>`, e.g. `actor.0.weight.step`.
        public var name: String
        /// The count (never negative in a state an optimizer accepts).
        public var value: Int64
        /// Creates a counter; a negative value is refused on import, not here.
        public init(name: String, value: Int64) {
            self.name = name
            self.value = value
        }
    }

    /// One float buffer (a moment estimate), shaped like its parameter.
    public struct Buffer: Sendable, Equatable {
        /// `<parameter name>.<buffer>`, e.g. `actor.0.weight.exp_avg`.
        public var name: String
        /// The parameter's shape.
        public var shape: [Int]
        /// Row-major elements; `values.count` is the product of `shape`.
        public var values: [Float]
        /// Creates a buffer; a `values.count` that does not fill `shape` is refused on import, not here.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }

        /// Equal when names and shapes match and the values have the same bit patterns
        /// (so `-0.0 != 0.0` here, and a NaN equals itself).
        public static func == (a: Buffer, b: Buffer) -> Bool {
            a.name == b.name && a.shape == b.shape && a.values.count == b.values.count
                && zip(a.values, b.values).allSatisfy { $0.bitPattern == $1.bitPattern }
        }
    }

    /// Which optimizer wrote the state: `"sgd"`, `"adam"` or `"adamw"`.
    public var kind: String
    /// The counters, in parameter order.
    public var counters: [Counter]
    /// The buffers, in parameter order.
    public var buffers: [Buffer]

    /// Creates a state; an optimizer checks it against its parameters in `importState(_:)`.
    public init(kind: String, counters: [Counter], buffers: [Buffer]) {
        self.kind = kind
        self.counters = counters
        self.buffers = buffers
    }
}

/// Why an optimizer refused a state: each case names what differs.
public enum OptimizerStateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The state was written by another kind of optimizer.
    case kindMismatch(expected: String, found: String)
    /// The optimizer needs an entry the state lacks.
    case missingEntry(name: String)
    /// The state holds an entry the optimizer does not know.
    case unexpectedEntry(name: String)
    /// The state holds two entries of this name.
    case duplicateEntry(name: String)
    /// A buffer's shape differs from its parameter's.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A buffer's element count does not fill its shape.
    case countMismatch(name: String, expected: Int, found: Int)
    /// A counter is negative.
    case invalidCounter(name: String, value: Int64)

    /// A one-line message naming the entry and what differs.
    public var description: String {
        switch self {
        case .kindMismatch(let expected, let found): "optimizer state is for \(found), not \(expected)"
        case .missingEntry(let name): "optimizer state lacks \"\(name)\""
        case .unexpectedEntry(let name): "optimizer state has unexpected \"\(name)\""
        case .duplicateEntry(let name): "optimizer state has \"\(name)\" twice"
        case .shapeMismatch(let name, let expected, let found): "\"\(name)\" has shape \(found), expected \(expected)"
        case .countMismatch(let name, let expected, let found): "\"\(name)\" has \(found) elements, expected \(expected)"
        case .invalidCounter(let name, let value): "counter \"\(name)\" is \(value)"
        }
    }
}
