import COpenBLAS
import XCTest

@testable import FleetTensor

final class BLASTests: XCTestCase {
    func testOpenBLASIsLinkedAndComputes() {
        XCTAssertTrue(BLAS.configuration.hasPrefix("OpenBLAS"), BLAS.configuration)
        let x: [Float] = [1, 2, 3], y: [Float] = [4, -5, 6]
        XCTAssertEqual(cblas_sdot(3, x, 1, y, 1), 12)
    }

    func testThreadCountCanBePinned() {
        let before = BLAS.threads
        defer { BLAS.threads = before }
        BLAS.threads = 1
        XCTAssertEqual(BLAS.threads, 1)
    }
}
