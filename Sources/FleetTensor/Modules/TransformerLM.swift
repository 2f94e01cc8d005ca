/// A tiny causal transformer language model in the GPT-2 layout (pre-LayerNorm).
///
/// `logits = head(LN_f(blocks(tokenEmbedding[ids] + positionEmbedding[0..<T])))`, each block
/// `x += attention(LN₁(x)); x += mlp(LN₂(x))`, the attention multi-head and causal with a fused
/// `qkv` projection (features ordered q, k, v, each split into heads as nanoGPT's `c_attn`), the MLP
/// `width → 4·width → width` with GELU (tanh approximation). The head has no bias; when tied it is
/// the token embedding itself (one parameter).
///
/// Parameter order and names (`i` over the blocks):
/// `tokenEmbedding.weight [V, D]`, `positionEmbedding.weight [C, D]`, then per block
/// `blocks.i.norm1.weight/bias [D]`, `blocks.i.attention.qkv.weight [3D, D]`, `.qkv.bias [3D]`,
/// `blocks.i.attention.output.weight [D, D]`, `.output.bias [D]`, `blocks.i.norm2.weight/bias [D]`,
/// `blocks.i.mlp.expand.weight [4D, D]`, `.expand.bias [4D]`, `blocks.i.mlp.project.weight [D, 4D]`,
/// `.project.bias [D]`; then `finalNorm.weight/bias [D]` and, when untied, `head.weight [V, D]`.
///
/// Initialization as GPT-2: linear weights and embeddings normal(0, 0.02), the residual output
/// projections normal(0, 0.02/√(2·layers)), biases 0, LayerNorms 1 and 0; drawn in parameter order.
/// A model whose weights are about to be overwritten (a copy, a loaded checkpoint) is built with
/// ``init(zeroed:)`` instead, which draws nothing.
///
/// Training uses ``forward(tokens:batch:length:)`` (recorded for autodiff); sampling uses a
/// ``KeyValueCache``: ``prefill(tokens:batch:length:cache:)`` for the prompt, then
/// ``step(tokens:cache:)``, one new position per sequence at a time.
public final class TransformerLM: Module {
    /// The architecture.
    public struct Config: Sendable, Equatable {
        /// Token ids are in `0..<vocabulary`.
        public var vocabulary: Int
        /// The most positions a sequence may have (the position table's size).
        public var contextLength: Int
        /// The model width `D`.
        public var width: Int
        /// Attention heads; must divide `width`.
        public var heads: Int
        /// Transformer blocks.
        public var layers: Int
        /// Whether the output head is the token embedding (GPT-2) or a separate `[V, D]` matrix.
        public var tiedHead: Bool

        /// Creates a configuration; nothing is checked here. ``TransformerLM/init(_:using:)`` traps on
        /// non-positive sizes and on `heads` that do not divide `width`.
        public init(vocabulary: Int, contextLength: Int, width: Int, heads: Int, layers: Int, tiedHead: Bool = true) {
            self.vocabulary = vocabulary
            self.contextLength = contextLength
            self.width = width
            self.heads = heads
            self.layers = layers
            self.tiedHead = tiedHead
        }

        /// `width / heads`.
        public var headDimension: Int { width / heads }
    }

    /// Multi-head causal self-attention: a fused `qkv` projection and an `output` projection.
    public final class SelfAttention: Module {
        /// `[3D, D]` weight: queries, keys and values, each `D` features split into heads.
        public let qkv: Linear
        /// `[D, D]`: merges the heads back.
        public let output: Linear
        /// Number of heads.
        public let heads: Int

        init(width: Int, heads: Int, outputStd: Float, weight: WeightSource) {
            qkv = Linear(weight: weight([3 * width, width], 0.02), bias: .zeros([3 * width], requiresGrad: true))
            output = Linear(weight: weight([width, width], outputStd), bias: .zeros([width], requiresGrad: true))
            self.heads = heads
        }

        /// `x` `[B, T, D]` to `[B, T, D]`.
        public func callAsFunction(_ x: Tensor) -> Tensor {
            let (q, k, v) = queriesKeysValues(x)
            return merge(Tensor.causalAttention(q, k, v))
        }

        /// Projects `x` `[B, T, D]` to queries, keys and values, each `[B, H, T, D/H]`.
        func queriesKeysValues(_ x: Tensor) -> (q: Tensor, k: Tensor, v: Tensor) {
            let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2])
            let h = heads
            // [B, T, 3D] -> [B, 3H, T, hd]: q, k, v are consecutive groups of H heads.
            let split = qkv(x).reshaped([b, t, 3 * h, d / h]).permuted([0, 2, 1, 3])
            return (split.slice(axis: 1, 0..<h), split.slice(axis: 1, h..<(2 * h)), split.slice(axis: 1, (2 * h)..<(3 * h)))
        }

        /// Merges the heads of `attended` `[B, H, T, D/H]` and projects to `[B, T, D]`.
        func merge(_ attended: Tensor) -> Tensor {
            let (b, h, t, hd) = (attended.shape[0], attended.shape[1], attended.shape[2], attended.shape[3])
            return output(attended.permuted([0, 2, 1, 3]).reshaped([b, t, h * hd]))
        }

        /// `self-attention heads=<H>`.
        public var specHeader: String { "self-attention heads=\(heads)" }

        /// `qkv.weight`, `qkv.bias`, `output.weight`, `output.bias`.
        public func namedParameters() -> [(name: String, tensor: Tensor)] {
            prefixedParameters("qkv", qkv.namedParameters()) + prefixedParameters("output", output.namedParameters())
        }
    }

    /// The position-wise MLP `D → 4D → D` with GELU.
    public final class FeedForward: Module {
        /// `[4D, D]`.
        public let expand: Linear
        /// `[D, 4D]`.
        public let project: Linear

        init(width: Int, outputStd: Float, weight: WeightSource) {
            expand = Linear(weight: weight([4 * width, width], 0.02), bias: .zeros([4 * width], requiresGrad: true))
            project = Linear(weight: weight([width, 4 * width], outputStd), bias: .zeros([width], requiresGrad: true))
        }

        /// `x` `[..., D]` to `[..., D]`.
        public func callAsFunction(_ x: Tensor) -> Tensor { project(expand(x).gelu()) }

        /// `feed-forward gelu-tanh`; the width is in the parameter shapes.
        public var specHeader: String { "feed-forward gelu-tanh" }

        /// `expand.weight`, `expand.bias`, `project.weight`, `project.bias`.
        public func namedParameters() -> [(name: String, tensor: Tensor)] {
            prefixedParameters("expand", expand.namedParameters()) + prefixedParameters("project", project.namedParameters())
        }
    }

    /// One pre-LayerNorm block.
    public final class Block: Module {
        /// The LayerNorm before attention.
        public let norm1: LayerNorm
        /// The causal self-attention; its output is added to the block's input.
        public let attention: SelfAttention
        /// The LayerNorm before the feed-forward network.
        public let norm2: LayerNorm
        /// The feed-forward network; its output is added to the residual stream.
        public let mlp: FeedForward

        init(_ config: Config, weight: WeightSource) {
            let outputStd = 0.02 / Float(2 * config.layers).squareRoot()
            norm1 = LayerNorm(config.width)
            attention = SelfAttention(width: config.width, heads: config.heads, outputStd: outputStd, weight: weight)
            norm2 = LayerNorm(config.width)
            mlp = FeedForward(width: config.width, outputStd: outputStd, weight: weight)
        }

        /// `x` `[B, T, D]` to `[B, T, D]`.
        public func callAsFunction(_ x: Tensor) -> Tensor {
            let y = x + attention(norm1(x))
            return y + mlp(norm2(y))
        }

        /// `block pre-layernorm`.
        public var specHeader: String { "block pre-layernorm" }

        /// `norm1.*`, `attention.*`, `norm2.*`, `mlp.*`, in that order.
        public func namedParameters() -> [(name: String, tensor: Tensor)] {
            prefixedParameters("norm1", norm1.namedParameters()) + prefixedParameters("attention", attention.namedParameters())
                + prefixedParameters("norm2", norm2.namedParameters()) + prefixedParameters("mlp", mlp.namedParameters())
        }
    }

    /// The architecture this model was built with.
    public let config: Config
    /// `[V, D]`.
    public let tokenEmbedding: Embedding
    /// `[C, D]`: one learned vector per position.
    public let positionEmbedding: Embedding
    /// The transformer blocks in order.
    public let blocks: [Block]
    /// The last LayerNorm, before the head.
    public let finalNorm: LayerNorm
    /// The separate `[V, D]` head, or `nil` when tied to ``tokenEmbedding``.
    public let head: Linear?

    /// Makes a trainable weight matrix or embedding of a shape, given GPT-2's standard deviation for it.
    typealias WeightSource = (_ shape: [Int], _ std: Float) -> Tensor

    /// A model initialized as GPT-2 (see above) from `generator`.
    public convenience init(_ config: Config, using generator: inout RandomGenerator) {
        self.init(config) { shape, std in .normal(shape, std: std, requiresGrad: true, using: &generator) }
    }

    /// A model whose weight matrices and embeddings are zero (biases 0, LayerNorms 1 and 0), drawn
    /// from nothing: the cheap start of a model whose parameters are overwritten next (a copy, a
    /// loaded checkpoint). Same parameters, names and order as ``init(_:using:)``.
    public convenience init(zeroed config: Config) {
        self.init(config) { shape, _ in .zeros(shape, requiresGrad: true) }
    }

    /// Builds the modules in parameter order, each weight from `weight` (the order of the draws).
    private init(_ config: Config, weight: WeightSource) {
        precondition(config.vocabulary > 0 && config.contextLength > 0 && config.layers >= 0, "TransformerLM needs positive sizes")
        precondition(config.heads > 0 && config.width > 0 && config.width % config.heads == 0,
                     "width \(config.width) must be a positive multiple of heads \(config.heads)")
        self.config = config
        tokenEmbedding = Embedding(weight: weight([config.vocabulary, config.width], 0.02))
        positionEmbedding = Embedding(weight: weight([config.contextLength, config.width], 0.02))
        var blocks: [Block] = []
        for _ in 0..<config.layers { blocks.append(Block(config, weight: weight)) }
        self.blocks = blocks
        finalNorm = LayerNorm(config.width)
        head = config.tiedHead ? nil : Linear(weight: weight([config.vocabulary, config.width], 0.02), bias: nil)
    }

    /// The `[V, D]` matrix that maps hidden states to logits (the token embedding when tied).
    public var headWeight: Tensor { head?.weight ?? tokenEmbedding.weight }

    /// Next-token logits `[batch, length, vocabulary]` for `tokens` (row-major `[batch, length]`,
    /// ids in `0..<vocabulary`, `length <= contextLength`): position `t` sees tokens `0...t`.
    /// Recorded for autodiff unless inside ``withNoGrad(_:)``.
    public func forward(tokens: [Int], batch: Int, length: Int) -> Tensor {
        Tensor.linear(hiddenStates(tokens: tokens, batch: batch, length: length), weight: headWeight)
    }

    /// The final hidden states `[batch, length, width]` (after the last LayerNorm, before the head)
    /// for `tokens` as in ``forward(tokens:batch:length:)``: what a value head reads.
    public func hiddenStates(tokens: [Int], batch: Int, length: Int) -> Tensor {
        precondition(batch > 0 && length > 0 && tokens.count == batch * length,
                     "\(tokens.count) tokens are not [batch \(batch), length \(length)]")
        precondition(length <= config.contextLength, "length \(length) exceeds the context length \(config.contextLength)")
        let positions = positionEmbedding.weight.slice(axis: 0, 0..<length)
        var x = tokenEmbedding(tokens, shape: [batch, length]) + positions
        for block in blocks { x = block(x) }
        return finalNorm(x)
    }

    /// ``forward(tokens:batch:length:)`` for 32-bit token ids (as they travel on the wire).
    public func forward(tokens: [Int32], batch: Int, length: Int) -> Tensor {
        forward(tokens: tokens.map(Int.init), batch: batch, length: length)
    }

    /// An empty cache for sampling `batch` sequences of at most `positions` tokens (prompt included;
    /// by default the whole context) with this model. Its memory is proportional to `positions`.
    public func makeCache(batch: Int, positions: Int? = nil) -> KeyValueCache {
        let positions = positions ?? config.contextLength
        precondition(positions > 0 && positions <= config.contextLength,
                     "a cache holds 1 to \(config.contextLength) positions, not \(positions)")
        return KeyValueCache(batch: batch, layers: config.layers, heads: config.heads,
                             headDimension: config.headDimension, contextLength: positions)
    }

    /// Runs a prompt of `length` tokens per sequence (row-major `[batch, length]`) through the model
    /// into an empty `cache` in one pass, and returns the next-token logits after it, `[batch, vocabulary]`.
    ///
    /// Equivalent to `length` calls of ``step(tokens:cache:)`` (and to the last position of
    /// ``forward(tokens:batch:length:)``), but with the prompt's positions batched. Never recorded.
    /// - Throws: ``KeyValueCache/ContextFull`` when `length` exceeds the cache's positions (the cache
    ///   is unchanged).
    public func prefill(tokens: [Int], batch: Int, length: Int, cache: inout KeyValueCache) throws -> Tensor {
        precondition(cache.matches(config), "the cache was made for another architecture")
        precondition(cache.length == 0, "prefill needs an empty cache (reset it first)")
        precondition(batch == cache.batch && length > 0 && tokens.count == batch * length,
                     "\(tokens.count) tokens are not [batch \(cache.batch), length \(length)]")
        guard length <= cache.contextLength else {
            throw KeyValueCache.ContextFull(contextLength: cache.contextLength)
        }
        return withNoGrad {
            let positions = positionEmbedding.weight.slice(axis: 0, 0..<length)
            var x = tokenEmbedding(tokens, shape: [batch, length]) + positions
            for (layer, block) in blocks.enumerated() {
                let (q, k, v) = block.attention.queriesKeysValues(block.norm1(x))
                cache.store(layer: layer, keys: k.data, values: v.data, length: length)
                x = x + block.attention.merge(Tensor.causalAttention(q, k, v))
                x = x + block.mlp(block.norm2(x))
            }
            cache.advance(by: length)
            let last = x.slice(axis: 1, (length - 1)..<length).reshaped([batch, config.width])
            return Tensor.linear(finalNorm(last), weight: headWeight)
        }
    }

    /// ``prefill(tokens:batch:length:cache:)`` for 32-bit token ids.
    public func prefill(tokens: [Int32], batch: Int, length: Int, cache: inout KeyValueCache) throws -> Tensor {
        try prefill(tokens: tokens.map(Int.init), batch: batch, length: length, cache: &cache)
    }

    /// Feeds one new token per sequence (`tokens.count == cache.batch`) at position `cache.length`,
    /// appends its keys and values to `cache`, and returns the next-token logits `[batch, vocabulary]`.
    ///
    /// Equal (to float rounding) to the last position of ``forward(tokens:batch:length:)`` on the whole
    /// sequence so far, at a cost that grows with the length instead of its square. Never recorded.
    /// - Throws: ``KeyValueCache/ContextFull`` when the cache already holds all the positions it
    ///   has room for (the cache is left unchanged).
    public func step(tokens: [Int], cache: inout KeyValueCache) throws -> Tensor {
        precondition(cache.matches(config), "the cache was made for another architecture")
        precondition(tokens.count == cache.batch, "step needs one token per sequence (\(cache.batch)), got \(tokens.count)")
        guard cache.length < cache.contextLength else {
            throw KeyValueCache.ContextFull(contextLength: cache.contextLength)
        }
        let position = cache.length
        return withNoGrad {
            let b = cache.batch
            let positionRow = positionEmbedding.weight.slice(axis: 0, position..<(position + 1))
            var x = tokenEmbedding(tokens, shape: [b]) + positionRow  // [B, D]
            for (layer, block) in blocks.enumerated() {
                let qkv = block.attention.qkv(block.norm1(x))  // [B, 3D]
                let attended = cache.appendAndAttend(layer: layer, qkv: qkv.data)  // [B, D]
                x = x + block.attention.output(Tensor(attended, shape: [b, config.width]))
                x = x + block.mlp(block.norm2(x))
            }
            cache.advance(by: 1)
            return Tensor.linear(finalNorm(x), weight: headWeight)
        }
    }

    /// ``step(tokens:cache:)`` for 32-bit token ids.
    public func step(tokens: [Int32], cache: inout KeyValueCache) throws -> Tensor {
        try step(tokens: tokens.map(Int.init), cache: &cache)
    }

    /// One line with the whole ``Config``, the LayerNorm epsilon as its bit pattern, and the MLP kind.
    public var specHeader: String {
        "transformer-lm vocabulary=\(config.vocabulary) context=\(config.contextLength) width=\(config.width) "
            + "heads=\(config.heads) layers=\(config.layers) tied-head=\(config.tiedHead) "
            + "norm=pre-layernorm eps_bits=0x\(String(Float(1e-5).bitPattern, radix: 16)) mlp=4x-gelu-tanh"
    }

    /// In the order of the type's overview; `head.weight` only when the head is not tied.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var result = prefixedParameters("tokenEmbedding", tokenEmbedding.namedParameters())
            + prefixedParameters("positionEmbedding", positionEmbedding.namedParameters())
        for (i, block) in blocks.enumerated() { result += prefixedParameters("blocks.\(i)", block.namedParameters()) }
        result += prefixedParameters("finalNorm", finalNorm.namedParameters())
        if let head { result += prefixedParameters("head", head.namedParameters()) }
        return result
    }
}
