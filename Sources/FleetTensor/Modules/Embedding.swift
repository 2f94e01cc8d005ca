/// A lookup table of `vocabulary` vectors of width `dimension`, PyTorch's `nn.Embedding`.
///
/// One parameter, `weight` `[vocabulary, dimension]`; the forward pass is
/// ``Tensor/embedding(_:shape:)``.
public final class Embedding: Module {
    /// `[vocabulary, dimension]`.
    public let weight: Tensor

    /// The number of rows.
    public var vocabulary: Int { weight.shape[0] }
    /// The width of each row.
    public var dimension: Int { weight.shape[1] }

    /// A table drawn normal with standard deviation `std` (PyTorch's default 1; GPT-2 uses 0.02).
    public init(_ vocabulary: Int, _ dimension: Int, std: Float = 1, using generator: inout RandomGenerator) {
        precondition(vocabulary > 0 && dimension > 0, "Embedding needs positive sizes")
        weight = .normal([vocabulary, dimension], std: std, requiresGrad: true, using: &generator)
    }

    /// A table around an existing `[vocabulary, dimension]` weight; nothing is drawn.
    public init(weight: Tensor) {
        precondition(weight.rank == 2 && weight.shape.allSatisfy { $0 > 0 },
                     "Embedding weight must be [vocabulary, dimension], is \(weight.shape)")
        self.weight = weight
    }

    /// Rows for `ids` (each in `0..<vocabulary`): shape `idsShape + [dimension]`.
    public func callAsFunction(_ ids: [Int], shape idsShape: [Int]? = nil) -> Tensor {
        weight.embedding(ids, shape: idsShape)
    }

    /// `embedding vocabulary=<V> dimension=<D>`.
    public var specHeader: String { "embedding vocabulary=\(vocabulary) dimension=\(dimension)" }

    /// `weight` alone.
    public func namedParameters() -> [(name: String, tensor: Tensor)] { [(name: "weight", tensor: weight)] }
}
