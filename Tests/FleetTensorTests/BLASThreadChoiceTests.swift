import COpenBLAS
import XCTest

@testable import FleetTensor

/// Threads per product by FLOPs, with the same bits on any thread count; and skinny products by
/// large weights in blocks (split between two threads), close to one sgemm (and one sgemm below
/// the threshold).
final class BLASThreadChoiceTests: XCTestCase {
    override func tearDown() {
        BLAS.largeProductThreads = Int(openblas_get_num_procs())
        BLAS.largeProductFLOPs = 1e9
        BLAS.blocksSkinnyProducts = true
    }

    func testSmallProductsKeepTheThreadsLargeOnesGetTheirOwn() {
        let before = BLAS.threads
        defer { BLAS.threads = before }
        BLAS.threads = 1
        BLAS.largeProductThreads = 2
        BLAS.largeProductFLOPs = 1e6
        XCTAssertEqual(BLAS.threads(forFLOPs: 999_999), 1)
        XCTAssertEqual(BLAS.threads(forFLOPs: 1e6), 2)
        XCTAssertEqual(BLAS.threads(forFLOPs: 1e12), 2)
    }

    /// OpenBLAS's sgemm splits the output among threads, never a sum: the choice of threads may
    /// not change a result. A product run on 2 threads (when it is large) and on 1 (when it is not)
    /// agree bit for bit, and the process-wide count is back to 1 after it.
    func testALargeProductHasTheSameBitsOnOneAndTwoThreads() {
        let before = BLAS.threads
        defer { BLAS.threads = before }
        BLAS.threads = 1
        BLAS.largeProductThreads = 2
        let (m, n, k) = (200, 300, 256)
        var generator = RandomGenerator(seed: 1)
        let a = (0..<(m * k)).map { _ in generator.nextFloat() - 0.5 }
        let b = (0..<(k * n)).map { _ in generator.nextFloat() - 0.5 }
        func product(largeFrom flops: Double) -> [Float] {
            BLAS.largeProductFLOPs = flops
            var c = [Float](repeating: 0, count: m * n)
            BLAS.gemm(transposeB: false, m: m, n: n, k: k, a, b, beta: 0, &c)
            return c
        }
        let oneThread = product(largeFrom: .infinity)
        let twoThreads = product(largeFrom: 0)
        XCTAssertEqual(oneThread.map(\.bitPattern), twoThreads.map(\.bitPattern))
        XCTAssertEqual(BLAS.threads, 1, "the count is restored after a large product")
    }

    /// `x · Wᵀ` for a few rows through a 2053 x 512 weight (past the threshold, with a last block of
    /// 5 rows): within float rounding of one sgemm; below the threshold, one sgemm bit for bit.
    func testSkinnyProductsAgreeWithOneSgemm() {
        let (n, k) = (2053, 512)
        XCTAssertGreaterThanOrEqual(n * k, BLAS.skinnyProductMinimumElements)
        var generator = RandomGenerator(seed: 2)
        let weight = (0..<(n * k)).map { _ in generator.nextFloat() - 0.5 }
        for m in [1, 3, 16, 17] {
            let x = (0..<(m * k)).map { _ in generator.nextFloat() - 0.5 }
            let bias = (0..<(m * n)).map { _ in generator.nextFloat() }
            func product(blocked: Bool, n: Int) -> [Float] {
                BLAS.blocksSkinnyProducts = blocked
                var c = Array(bias[..<(m * n)])
                BLAS.weightProduct(m: m, n: n, k: k, x, weight, beta: 1, &c)
                return c
            }
            BLAS.largeProductThreads = 1
            let alone = product(blocked: true, n: n)
            BLAS.largeProductThreads = 2
            let blocked = product(blocked: true, n: n), plain = product(blocked: false, n: n)
            XCTAssertEqual(blocked.map(\.bitPattern), alone.map(\.bitPattern), "halves on two threads, the same bits")
            let largest = zip(blocked, plain).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(largest, 1e-4, "\(m) rows")
            XCTAssertGreaterThan(plain.map(abs).max()!, 1, "the product is not trivial")
            // Below the threshold (half the weight rows), the same bits as one sgemm.
            XCTAssertEqual(product(blocked: true, n: n / 2).map(\.bitPattern), product(blocked: false, n: n / 2).map(\.bitPattern))
        }
    }
}
