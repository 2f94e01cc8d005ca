/// A first-order optimizer over a fixed list of named parameters.
///
/// The usual loop: `optimizer.zeroGrad()`, forward, `loss.backward()`, optionally
/// ``clipGradientNorm(_:maxNorm:)``, then `optimizer.step()`. A parameter whose `grad` is `nil`
/// (no backward pass reached it, or it is frozen) is skipped by `step()`, and its state
/// (step count, moments) does not advance, as in PyTorch.
///
/// Implementations allocate their buffers once, at creation; `step()` allocates nothing and
/// updates `Tensor.data` in place (so the parameters keep their storage).
public protocol Optimizer: AnyObject {
    /// The parameters, in the order given at creation; names are unique.
    var parameters: [(name: String, tensor: Tensor)] { get }

    /// The learning rate the next ``step()`` uses; a schedule sets it before each update.
    var learningRate: Double { get set }

    /// Updates every parameter that has a gradient.
    func step()

    /// Clears every parameter's gradient to zeros, keeping the buffers.
    func zeroGrad()

    /// A copy of the state (counters and buffers), for a checkpoint.
    func exportState() -> OptimizerState

    /// Replaces the state with `state`, bit for bit, after checking that it fits; on error
    /// nothing changes.
    func importState(_ state: OptimizerState) throws(OptimizerStateError)
}

extension Optimizer {
    /// Clears every parameter's gradient to zeros (keeping the buffers).
    public func zeroGrad() {
        for p in parameters { p.tensor.zeroGrad() }
    }
}

/// Moment buffers for a list of parameters: one contiguous block of floats, allocated once and
/// zero-filled, with each parameter's slice at a fixed offset.
final class _ParameterBuffers {
    let storage: UnsafeMutableBufferPointer<Float>
    let offsets: [Int]

    init(shapes: [[Int]]) {
        var offsets: [Int] = []
        var total = 0
        for shape in shapes {
            offsets.append(total)
            total += shape.reduce(1, *)
        }
        self.offsets = offsets
        storage = .allocate(capacity: Swift.max(total, 1))
        storage.initialize(repeating: 0)
    }

    deinit { storage.deallocate() }

    /// Parameter `i`'s slice, `count` elements.
    @inline(__always)
    func pointer(_ i: Int) -> UnsafeMutablePointer<Float> { storage.baseAddress! + offsets[i] }

    /// A copy of parameter `i`'s slice of `count` elements.
    func copy(_ i: Int, count: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer(i), count: count))
    }
}

/// Checks that parameter names are unique and non-empty (a precondition of every optimizer).
func _checkParameterNames(_ parameters: [(name: String, tensor: Tensor)]) {
    var seen = Set<String>()
    for p in parameters {
        precondition(!p.name.isEmpty, "parameter names must be non-empty")
        precondition(seen.insert(p.name).inserted, "parameter \"\(p.name)\" is listed twice")
    }
}

/// Validates `state` against the entries an optimizer expects and copies it in; shared by the
/// optimizers' `importState`.
struct _StateLayout {
    let kind: String
    /// (name, expected shape, destination) for each buffer.
    var buffers: [(name: String, shape: [Int], destination: UnsafeMutablePointer<Float>)] = []
    /// Counter names, in order.
    var counters: [String] = []

    /// Checks everything first, then copies: on error nothing has changed. Returns the counter
    /// values in the order of ``counters``.
    func load(_ state: OptimizerState) throws(OptimizerStateError) -> [Int64] {
        guard state.kind == kind else { throw .kindMismatch(expected: kind, found: state.kind) }
        var buffersByName: [String: Int] = [:]
        for (i, b) in state.buffers.enumerated() {
            guard buffersByName.updateValue(i, forKey: b.name) == nil else { throw .duplicateEntry(name: b.name) }
        }
        var countersByName: [String: Int64] = [:]
        for c in state.counters {
            guard countersByName.updateValue(c.value, forKey: c.name) == nil else { throw .duplicateEntry(name: c.name) }
        }
        let expectedBuffers = Set(buffers.map(\.name)), expectedCounters = Set(counters)
        for b in state.buffers where !expectedBuffers.contains(b.name) { throw .unexpectedEntry(name: b.name) }
        for c in state.counters where !expectedCounters.contains(c.name) { throw .unexpectedEntry(name: c.name) }
        var values: [Int64] = []
        for name in counters {
            guard let v = countersByName[name] else { throw .missingEntry(name: name) }
            guard v >= 0 else { throw .invalidCounter(name: name, value: v) }
            values.append(v)
        }
        for b in buffers {
            guard let i = buffersByName[b.name] else { throw .missingEntry(name: b.name) }
            let found = state.buffers[i]
            guard found.shape == b.shape else { throw .shapeMismatch(name: b.name, expected: b.shape, found: found.shape) }
            let count = b.shape.reduce(1, *)
            guard found.values.count == count else {
                throw .countMismatch(name: b.name, expected: count, found: found.values.count)
            }
        }
        for b in buffers {
            let found = state.buffers[buffersByName[b.name]!]
            found.values.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { b.destination.update(from: base, count: source.count) }
            }
        }
        return values
    }
}
