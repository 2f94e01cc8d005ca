/// Random initializers. Each draws from an explicit ``RandomGenerator`` so that the same seed
/// gives the same tensors on every run and platform. Elements are drawn in row-major order.
extension Tensor {
    /// Elements uniform in `[low, high)`.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, requiresGrad: Bool = false,
        using generator: inout RandomGenerator
    ) -> Tensor {
        let n = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: n)
        for i in 0..<n { data[i] = low + (high - low) * generator.nextFloat() }
        return Tensor(data, shape: shape, requiresGrad: requiresGrad)
    }

    /// Elements normal with the given mean and standard deviation (sampled in Double, then rounded).
    public static func normal(
        _ shape: [Int], mean: Float = 0, std: Float = 1, requiresGrad: Bool = false,
        using generator: inout RandomGenerator
    ) -> Tensor {
        let n = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: n)
        for i in 0..<n { data[i] = Float(Double(mean) + Double(std) * generator.nextGaussian()) }
        return Tensor(data, shape: shape, requiresGrad: requiresGrad)
    }

    /// A (semi-)orthogonal matrix scaled by `gain`, as PyTorch's `nn.init.orthogonal_` (CleanRL's
    /// `layer_init`).
    ///
    /// The tensor is viewed as `rows = shape[0]` by `cols = count / rows`. A `rows x cols`
    /// standard normal matrix is drawn; its QR factorization (modified Gram–Schmidt in Double on
    /// the taller orientation) gives Q with a positive diagonal in R, which is PyTorch's sign
    /// correction. When rows < cols, the factorization is of the transpose, so the rows are
    /// orthonormal; otherwise the columns are. For a Linear weight `[out, in]` this is
    /// PyTorch's convention.
    public static func orthogonal(
        _ shape: [Int], gain: Float = 1, requiresGrad: Bool = false,
        using generator: inout RandomGenerator
    ) -> Tensor {
        precondition(shape.count >= 2, "orthogonal initialization needs at least 2 dimensions")
        let rows = shape[0]
        let cols = shape.reduce(1, *) / Swift.max(rows, 1)
        var flat = [Double](repeating: 0, count: rows * cols)
        for i in 0..<flat.count { flat[i] = generator.nextGaussian() }
        // a: m x n column-major-by-vector storage, m >= n: columns are the vectors to orthonormalize.
        let transpose = rows < cols
        let (m, n) = transpose ? (cols, rows) : (rows, cols)
        var columns = [[Double]](repeating: [Double](repeating: 0, count: m), count: n)
        for r in 0..<rows {
            for c in 0..<cols {
                if transpose { columns[r][c] = flat[r * cols + c] } else { columns[c][r] = flat[r * cols + c] }
            }
        }
        orthonormalize(&columns)
        var data = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let q = transpose ? columns[r][c] : columns[c][r]
                data[r * cols + c] = Float(Double(gain) * q)
            }
        }
        return Tensor(data, shape: shape, requiresGrad: requiresGrad)
    }

    /// Modified Gram–Schmidt, in place: the Q of a thin QR whose R has a positive diagonal. The
    /// columns are worked on in one flat buffer (the same operations in the same order: a debug
    /// build makes a 1024 x 512 weight in a second instead of many).
    static func orthonormalize(_ columns: inout [[Double]]) {
        guard let length = columns.first?.count else { return }
        var flat = columns.flatMap { $0 }
        flat.withUnsafeMutableBufferPointer { q in
            for j in 0..<columns.count {
                let cj = q.baseAddress! + j * length
                for i in 0..<j {
                    let ci = q.baseAddress! + i * length
                    var dot = 0.0
                    for k in 0..<length { dot += ci[k] * cj[k] }
                    for k in 0..<length { cj[k] -= dot * ci[k] }
                }
                var norm = 0.0
                for k in 0..<length { norm += cj[k] * cj[k] }
                norm = norm.squareRoot()
                precondition(norm > 0, "orthogonal initialization met a rank-deficient draw")
                for k in 0..<length { cj[k] /= norm }
            }
        }
        for j in columns.indices { columns[j] = Array(flat[(j * length)..<((j + 1) * length)]) }
    }
}
