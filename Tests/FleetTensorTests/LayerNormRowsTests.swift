import XCTest

@testable import FleetTensor

/// LayerNorm's rows summed eight at a time in SIMD lanes give the bits of plain loops over each row,
/// forward and backward, whatever the number of rows (a multiple of eight or not).
final class LayerNormRowsTests: XCTestCase {
    /// The plain loops: one row at a time, its sums in order.
    func reference(_ v: [Float], g: [Float], weight w: [Float], rows: Int, width n: Int, eps: Float)
        -> (normalized: [Float], rstd: [Float], inputGradient: [Float])
    {
        var xh = [Float](repeating: 0, count: rows * n), rstd = [Float](repeating: 0, count: rows)
        var gx = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let base = r * n
            var mean: Float = 0
            for j in 0..<n { mean += v[base + j] }
            mean /= Float(n)
            var variance: Float = 0
            for j in 0..<n {
                let d = v[base + j] - mean
                variance += d * d
            }
            variance /= Float(n)
            let s = 1 / (variance + eps).squareRoot()
            rstd[r] = s
            for j in 0..<n { xh[base + j] = (v[base + j] - mean) * s }
            var meanD: Float = 0, meanDX: Float = 0
            for j in 0..<n {
                let d = g[base + j] * w[j]
                meanD += d
                meanDX += d * xh[base + j]
            }
            meanD /= Float(n)
            meanDX /= Float(n)
            for j in 0..<n {
                let d = g[base + j] * w[j]
                gx[base + j] += s * (d - meanD - xh[base + j] * meanDX)
            }
        }
        return (xh, rstd, gx)
    }

    func testEightRowsAtATimeGiveThePlainLoopsBits() {
        var generator = RandomGenerator(seed: 13)
        for (rows, n) in [(1, 64), (7, 5), (8, 64), (19, 64), (64, 33), (1024, 64)] {
            let v = Tensor.uniform([rows * n], low: -3, high: 5, using: &generator).data
            let g = Tensor.uniform([rows * n], low: -1, high: 1, using: &generator).data
            let w = Tensor.uniform([n], low: 0.5, high: 1.5, using: &generator).data
            let expected = reference(v, g: g, weight: w, rows: rows, width: n, eps: 1e-5)
            var xh = [Float](repeating: 0, count: rows * n), rstd = [Float](repeating: 0, count: rows)
            var gx = [Float](repeating: 0, count: rows * n)
            v.withUnsafeBufferPointer { v in
                xh.withUnsafeMutableBufferPointer { xhOut in
                    rstd.withUnsafeMutableBufferPointer { Tensor.normalizeRows(v, rows: rows, width: n, eps: 1e-5, into: xhOut, rstd: $0) }
                }
            }
            g.withUnsafeBufferPointer { g in
                xh.withUnsafeBufferPointer { xh in
                    w.withUnsafeBufferPointer { w in
                        rstd.withUnsafeBufferPointer { rstd in
                            gx.withUnsafeMutableBufferPointer {
                                Tensor.normalizationGradient(g, normalized: xh, weight: w, rstd: rstd, rows: rows, width: n, into: $0)
                            }
                        }
                    }
                }
            }
            XCTAssertEqual(xh.map(\.bitPattern), expected.normalized.map(\.bitPattern), "\(rows) x \(n) normalized")
            XCTAssertEqual(rstd.map(\.bitPattern), expected.rstd.map(\.bitPattern), "\(rows) x \(n) rstd")
            XCTAssertEqual(gx.map(\.bitPattern), expected.inputGradient.map(\.bitPattern), "\(rows) x \(n) gradient")
        }
    }
}
