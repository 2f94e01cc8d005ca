import Foundation

/// The keys and values a ``TransformerLM`` has computed for the positions sampled so far, so that
/// each new position attends to them without recomputing the prefix.
///
/// Made by ``TransformerLM/makeCache(batch:positions:)``, filled by ``TransformerLM/prefill(tokens:batch:length:cache:)``
/// and advanced by ``TransformerLM/step(tokens:cache:)``;
/// all sequences of the batch are at the same position. Storage is allocated once for the
/// positions the cache has room for (``contextLength``: the model's context, or fewer when the
/// sampler knows how long its sequences can get): per layer, keys and values
/// `[batch, heads, contextLength, headDimension]`, so the cached rows of one head are contiguous and
/// attention reads them in place (two sgemm per head). That is
/// `2 · layers · batch · contextLength · width` floats: 75 MiB per sequence for GPT-2 small's whole
/// context of 1024, a tenth of it for 128 positions.
public struct KeyValueCache {
    /// Thrown by ``TransformerLM/step(tokens:cache:)`` when the cache already holds all the positions
    /// it has room for.
    public struct ContextFull: Error, Equatable, CustomStringConvertible {
        /// The positions the cache has room for (the model's context length unless made smaller).
        public let contextLength: Int

        /// A sentence naming the positions.
        public var description: String {
            "the key/value cache is full: it holds all \(contextLength) positions it has room for"
        }
    }

    /// The number of sequences.
    public let batch: Int
    /// The most positions the cache can hold: the model's context length, or fewer when it was made so.
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
            && contextLength <= config.contextLength
    }

    /// Marks the next `count` positions as filled (after every layer stored them).
    mutating func advance(by count: Int) {
        precondition(length + count <= contextLength)
        length += count
    }

    /// Stores `keys` and `values` (`[batch, heads, count, headDimension]`, row-major) for `layer` at
    /// the positions from ``length`` on.
    mutating func store(layer: Int, keys newKeys: [Float], values newValues: [Float], length count: Int) {
        let (hd, c, start) = (headDimension, contextLength, length)
        precondition(start + count <= c && newKeys.count == batch * heads * count * hd && newValues.count == newKeys.count)
        let rows = batch * heads, width = count * hd
        newKeys.withUnsafeBufferPointer { src in
            keys[layer].withUnsafeMutableBufferPointer { dst in
                for row in 0..<rows {
                    (dst.baseAddress! + (row * c + start) * hd).update(from: src.baseAddress! + row * width, count: width)
                }
            }
        }
        newValues.withUnsafeBufferPointer { src in
            values[layer].withUnsafeMutableBufferPointer { dst in
                for row in 0..<rows {
                    (dst.baseAddress! + (row * c + start) * hd).update(from: src.baseAddress! + row * width, count: width)
                }
            }
        }
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
