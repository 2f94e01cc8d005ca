import CFleetKernels

/// Memory for acting without allocating: ``MLP/forward(_:rows:buffers:_:)``'s layer outputs and
/// ``Categorical/sample(logits:rows:count:buffers:actions:logProbabilities:using:)``'s
/// log-probabilities, grown to the widest batch seen and then reused.
public final class MLPActingBuffers {
    private var layers: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    private var logProbabilities: (pointer: UnsafeMutablePointer<Float>, capacity: Int)?

    public init() {}

    deinit {
        for layer in layers { layer.pointer.deallocate() }
        logProbabilities?.pointer.deallocate()
    }

    /// At least `count` floats for layer `index`'s output, cache-line aligned.
    fileprivate func layer(_ index: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        while layers.count <= index { layers.append((Self.allocate(1), 1)) }
        if layers[index].capacity < count {
            layers[index].pointer.deallocate()
            layers[index] = (Self.allocate(count), count)
        }
        return UnsafeMutableBufferPointer(start: layers[index].pointer, count: count)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// At least `count` floats for log-probabilities.
    fileprivate func logProbabilities(count: Int) -> UnsafeMutableBufferPointer<Float> {
        if let existing = logProbabilities, existing.capacity >= count {
            return UnsafeMutableBufferPointer(start: existing.pointer, count: count)
        }
        logProbabilities?.pointer.deallocate()
        let pointer = Self.allocate(count)
        logProbabilities = (pointer, count)
        return UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

extension MLP {
    /// The MLP's output for `rows` rows of `input` (row-major `[rows, in]`), computed exactly as
    /// `callAsFunction` computes it (the same sgemm with the bias rows copied in first, the same
    /// activation kernel) but without the autodiff graph, in `buffers`: `[rows, out]`, valid until
    /// `buffers` is used again.
    public func forward(_ input: UnsafeBufferPointer<Float>, rows: Int, buffers: MLPActingBuffers) -> UnsafeBufferPointer<Float> {
        precondition(input.count >= rows * (sizes.first ?? 0), "forward: \(input.count) inputs for \(rows) rows")
        var source = input
        for (i, layer) in layers.enumerated() {
            let out = buffers.layer(2 * i, count: rows * layer.outFeatures)
            Tensor.linearRows(source.baseAddress!, rows: rows, weight: layer.weight, bias: layer.bias, into: out.baseAddress!)
            source = UnsafeBufferPointer(out)
            if i < layers.count - 1 {
                // Into a buffer of its own: the tanh kernel's vector loop runs only when input and
                // output do not overlap.
                let activated = buffers.layer(2 * i + 1, count: out.count)
                activate(UnsafeBufferPointer(out), into: activated)
                source = UnsafeBufferPointer(activated)
            }
        }
        return source
    }
}

extension MLP {
    /// The hidden activation of `x` into `out` (which must not overlap it), as `tanh()` and `relu()`
    /// compute it.
    func activate(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        switch activation {
        case .tanh: fleet_tanh_f32(x.baseAddress!, out.baseAddress!, x.count)
        case .relu: for j in x.indices { out[j] = x[j] > 0 ? x[j] : 0 }
        }
    }
}

extension Categorical {
    /// For each of `rows` rows of `logits` (`[rows, count]`), an action drawn exactly as
    /// ``sample(using:)`` draws it from `Categorical(logits:)`, and its log-probability, written into
    /// `actions` and `logProbabilities`; nothing is allocated once `buffers` is warm.
    public static func sample(
        logits: UnsafeBufferPointer<Float>, rows: Int, count: Int, buffers: MLPActingBuffers,
        actions: UnsafeMutableBufferPointer<Int>, logProbabilities: UnsafeMutableBufferPointer<Float>,
        using generator: inout RandomGenerator
    ) {
        let logp = buffers.logProbabilities(count: rows * count)
        Tensor.softmaxRows(of: UnsafeBufferPointer(rebasing: logits[0..<(rows * count)]), into: logp, width: count, log: true)
        for row in 0..<rows {
            let action = sample(logProbabilities: logp.baseAddress! + row * count, count: count, using: &generator)
            actions[row] = action
            logProbabilities[row] = logp[row * count + action]
        }
    }
}
