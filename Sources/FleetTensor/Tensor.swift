/// An n-dimensional array of `Float` that can record the operations applied to it.
///
/// A tensor is row-major with contiguous storage: `data[i]` is the element whose multi-index
/// is `i` written in mixed radix `shape`. A rank-0 tensor (`shape == []`) holds one scalar.
///
/// Tensors have reference semantics (like PyTorch's), because the autodiff graph links them:
/// an operation's result remembers its inputs. Storage is a Swift array, so operations that do
/// not change the elements (``reshaped(_:)``, ``detach()``) share it without copying; it is
/// copied only if one of the sharers is later written to. Unlike PyTorch, writing to a tensor
/// therefore never changes a view or a detached copy taken earlier.
///
/// Autodiff: a leaf created with `requiresGrad: true` is a parameter. Every operation on a tensor
/// that requires gradients records itself (unless inside ``withNoGrad(_:)``), and
/// ``backward()`` on a scalar result accumulates d(result)/d(leaf) into each leaf's ``grad``.
///
/// A tensor is not `Sendable`: it and its graph belong to one task. To hand values to another
/// task, send ``data`` and ``shape``.
///
/// The operations live in one file per concern, each forward pass beside its gradient rule:
/// `Tensor+Elementwise`, `+Activation`, `+Reduction`, `+MatMul` (with the fused `linear`),
/// `+Shape` (reshape, transpose, permute, slice, concat), `+Indexing` (gather, scatter-add,
/// embedding), `+Softmax`, `+LayerNorm`, `+Attention`, `+Convolution` (conv2d, depthwise), `+Pooling`,
/// `+ChannelShuffle`, and `+Random` for initializers.
public final class Tensor {
    /// The extent of each axis, outermost first.
    public let shape: [Int]

    /// The elements in row-major order; `data.count == count` always holds.
    ///
    /// Writing is allowed (an optimizer updates parameters in place) but must keep the count.
    /// Writing to a tensor that a recorded graph still needs makes that graph's gradients wrong,
    /// as in any tape-based autodiff; update parameters only between backward and the next forward.
    public var data: [Float] {
        didSet { precondition(data.count == count, "Tensor.data must keep \(count) elements") }
    }

    /// Whether gradients flow to this tensor: set on parameters, inferred for recorded results.
    ///
    /// A leaf's flag may be changed (to freeze a parameter, say); a recorded result's may not.
    public var requiresGrad: Bool {
        didSet { precondition(node == nil, "requiresGrad can be changed on leaves only") }
    }

    /// The accumulated gradient of a leaf that requires gradients, shaped like ``shape`` (row-major,
    /// `count` elements), or `nil` until a backward pass reaches it. (Intermediate results release
    /// theirs during backward.)
    ///
    /// Backward passes add to it; ``zeroGrad()`` clears it. It is a plain array so that
    /// optimizers and gradient clipping can read and scale it in place.
    public var grad: [Float]?

    /// The operation that produced this tensor, when it was recorded; `nil` for leaves.
    var node: TapeNode?

    /// The number of elements (the product of ``shape``; 1 for a scalar).
    public let count: Int

    /// Creates a tensor from row-major `data`.
    ///
    /// - Parameter requiresGrad: `true` makes this tensor a parameter that collects gradients.
    public init(_ data: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        let count = shape.reduce(1, *)
        precondition(data.count == count, "\(data.count) elements do not fill shape \(shape)")
        self.shape = shape
        self.count = count
        self.data = data
        self.requiresGrad = requiresGrad
    }

    /// Creates a rank-0 tensor holding `value`.
    public convenience init(_ value: Float, requiresGrad: Bool = false) {
        self.init([value], shape: [], requiresGrad: requiresGrad)
    }

    /// Creates a rank-1 tensor holding `data`.
    public convenience init(_ data: [Float], requiresGrad: Bool = false) {
        self.init(data, shape: [data.count], requiresGrad: requiresGrad)
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// `true` for tensors not produced by a recorded operation (parameters and constants).
    public var isLeaf: Bool { node == nil }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs one element, shape is \(shape)")
        return data[0]
    }

    /// The gradient as a tensor of the same shape (a copy), or `nil` before any backward.
    public var gradTensor: Tensor? { grad.map { Tensor($0, shape: shape) } }

    /// Clears the gradient to zeros, keeping its buffer so that a training loop does not allocate.
    public func zeroGrad() {
        guard grad != nil else { return }
        grad!.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// A tensor that shares this one's elements but is cut from the graph: no gradient flows
    /// through it, and it is a leaf.
    public func detach() -> Tensor { Tensor(data, shape: shape) }
}

// MARK: - Creation

extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public static func full(_ value: Float, shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor([Float](repeating: value, count: shape.reduce(1, *)), shape: shape, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(0, shape: shape, requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(1, shape: shape, requiresGrad: requiresGrad)
    }

    /// `[0, 1, ..., n-1]` as a rank-1 tensor.
    public static func arange(_ n: Int) -> Tensor {
        Tensor((0..<n).map(Float.init), shape: [n])
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and (up to 8) elements, e.g. `Tensor([2, 2], [1.0, 2.0, 3.0, 4.0])`.
    public var description: String {
        let shown = data.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}

// MARK: - Shape helpers

extension Tensor {
    /// Resolves a possibly negative axis (`-1` is the last axis) for a tensor of `rank`.
    static func normalizedAxis(_ axis: Int, rank: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for rank \(rank)")
        return a
    }

    /// Splits `shape` around `axis` into (product before, extent, product after).
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, n: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }
}
