import FleetTensor

/// The sgemm roofline: the best rate, in GFLOP/s, at which this machine's BLAS multiplies large
/// square matrices on the threads BLAS is set to use. Tensor figures are fractions of it.
enum Roofline {
    /// Best of `rounds` products of two `size` x `size` matrices, in GFLOP/s (2 n^3 flops each).
    static func sgemmGFLOPS(size: Int = 384, rounds: Int) -> Double {
        var generator = RandomGenerator(seed: 7)
        let a = Tensor.uniform([size, size], low: -1, high: 1, using: &generator)
        let b = Tensor.uniform([size, size], low: -1, high: 1, using: &generator)
        let flops = 2 * Double(size * size * size)
        var sink: Float = 0
        let seconds = withNoGrad {
            Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: rounds) {
                sink += a.matmul(b).data[0]
            }
        }
        precondition(sink.isFinite)
        return flops / seconds / 1e9
    }
}
