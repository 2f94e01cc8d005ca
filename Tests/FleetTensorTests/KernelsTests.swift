import XCTest

@testable import FleetTensor

/// The hand-vectorized loops give the bits of the plain loops they replace.
final class KernelsTests: XCTestCase {
    func testColumnSumsAddInRowOrderLikeThePlainLoop() {
        var generator = RandomGenerator(seed: 3)
        for columns in [1, 2, 7, 8, 9, 15, 16, 17, 64, 65] {
            for rows in [0, 1, 3, 128] {
                let x = Tensor.uniform([max(rows, 1), columns], low: -1e3, high: 1e3, using: &generator).data
                let start = Tensor.uniform([columns], low: -1, high: 1, using: &generator).data
                var plain = start
                for r in 0..<rows {
                    for j in 0..<columns { plain[j] += x[r * columns + j] }
                }
                var fast = start
                x.withUnsafeBufferPointer { x in
                    fast.withUnsafeMutableBufferPointer { sums in
                        Kernels.addColumnSums(x.baseAddress!, rows: rows, columns: columns, into: sums.baseAddress!)
                    }
                }
                XCTAssertEqual(fast.map(\.bitPattern), plain.map(\.bitPattern), "\(rows) x \(columns)")
            }
        }
    }
}
