import Foundation

/// The keys and values a ``TransformerLM`` has computed for the positions sampled so far, so that
/// each new position attends to them without recomputing the prefix.
///
/// Made by ``TransformerLM/makeCache(batch:)`` and advanced by ``TransformerLM/step(tokens:cache:)``;
/// all sequences of the batch are at the same position. Storage is allocated once for the whole
/// context: per layer, keys and values `[batch, heads, contextLength, headDimension]`, so the cached
/// rows of one head are contiguous and attention reads them in place (two sgemm per head).
public struct KeyValueCache {
    /// Thrown by ``TransformerLM/step(tokens:cache:)`` when the cache already holds a full context.
    public struct ContextFull: Error, Equatable, CustomStringConvertible {
        /// The model's context length, which the cache may not exceed.
        public let contextLength: Int

        public var description: String {
            "the key/value cache is full: it holds the whole context of \(contextLength) positions"
        }
    }

    /// The number of sequences.
    public let batch: Int
    /// The most positions the cache can hold (the model's context length).
    public let contextLength: Int
    /// The positions cached so far (the position the next step fills).
    public private(set) var length = 0

    let layers: Int
    let heads: Int
    let headDimension: Int
    /// Per layer, `[batch, heads, contextLength, headDimension]`.
    var keys: [[Float]]
    var values: [[Float]]

    init(batch: Int, layers: Int, heads: Int, headDimension: Int, contextLength: Int) {
        precondition(batch > 0, "a cache needs at least one sequence")
        self.batch = batch
        self.layers = layers
        self.heads = heads
        self.headDimension = headDimension
        self.contextLength = contextLength
        let size = batch * heads * contextLength * headDimension
        keys = Array(repeating: [Float](repeating: 0, count: size), count: layers)
        values = keys
    }

    /// Whether another step would exceed the context.
    public var isFull: Bool { length >= contextLength }

    /// Empties the cache (keeping its storage) to sample new sequences.
    public mutating func reset() { length = 0 }

    /// Whether the cache fits a model of `config`.
    func matches(_ config: TransformerLM.Config) -> Bool {
        layers == config.layers && heads == config.heads && headDimension == config.headDimension
            && contextLength == config.contextLength
    }

    /// Marks the current position as filled (after every layer appended to it).
    mutating func advance() {
        precondition(length < contextLength)
        length += 1
    }

    /// Stores the keys and values of the new position for `layer` and returns its attention output.
    ///
    /// `qkv` is `[batch, 3 · heads · headDimension]` (queries, keys, values, as the model's fused
    /// projection makes them); the result is `[batch, heads · headDimension]`, heads merged.
    mutating func appendAndAttend(layer: Int, qkv: [Float]) -> [Float] {
        let (h, hd, c, p) = (heads, headDimension, contextLength, length)
        let d = h * hd
        let visible = p + 1
        let scale = 1 / Float(hd).squareRoot()
        precondition(qkv.count == batch * 3 * d, "qkv has \(qkv.count) values, expected \(batch * 3 * d)")
        var out = [Float](repeating: 0, count: batch * d)
        var scores = [Float](repeating: 0, count: visible)
        qkv.withUnsafeBufferPointer { pqkv in
            keys[layer].withUnsafeMutableBufferPointer { pk in
                values[layer].withUnsafeMutableBufferPointer { pv in
                    out.withUnsafeMutableBufferPointer { po in
                        scores.withUnsafeMutableBufferPointer { ps in
                            for b in 0..<batch {
                                let row = pqkv.baseAddress! + b * 3 * d
                                for head in 0..<h {
                                    let base = (b * h + head) * c * hd
                                    (pk.baseAddress! + base + p * hd).update(from: row + d + head * hd, count: hd)
                                    (pv.baseAddress! + base + p * hd).update(from: row + 2 * d + head * hd, count: hd)
                                    // scores = q · Kᵀ / √hd over the visible positions, then softmax.
                                    BLAS.gemm(transposeB: true, m: 1, n: visible, k: hd, alpha: scale,
                                              row + head * hd, pk.baseAddress! + base, beta: 0, ps.baseAddress!)
                                    var m = -Float.infinity
                                    for j in 0..<visible { m = Swift.max(m, ps[j]) }
                                    var total: Float = 0
                                    for j in 0..<visible {
                                        ps[j] = Foundation.exp(ps[j] - m)
                                        total += ps[j]
                                    }
                                    let inverse = 1 / total
                                    for j in 0..<visible { ps[j] *= inverse }
                                    BLAS.gemm(m: 1, n: hd, k: visible, ps.baseAddress!, pv.baseAddress! + base, beta: 0,
                                              po.baseAddress! + b * d + head * hd)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
