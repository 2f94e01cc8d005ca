import XCTest

@testable import FleetTensor

/// The polynomial scalar functions against Double libm.
final class FastMathTests: XCTestCase {
    func testTanhIsWithinItsStatedError() {
        var worstAbsolute = 0.0, worstRelative = 0.0
        for i in -120_000...120_000 {
            let x = Float(i) * 1e-4  // [-12, 12]
            let exact = Foundation.tanh(Double(x))
            let error = Swift.abs(Double(FastMath.tanh(x)) - exact)
            worstAbsolute = Swift.max(worstAbsolute, error)
            if exact != 0 { worstRelative = Swift.max(worstRelative, error / Swift.abs(exact)) }
        }
        var x: Float = 1e-8
        while x < 1 {
            let exact = Foundation.tanh(Double(x))
            worstRelative = Swift.max(worstRelative, Swift.abs(Double(FastMath.tanh(x)) - exact) / exact)
            x *= 1.001
        }
        XCTAssertLessThan(worstAbsolute, 4e-7)
        XCTAssertLessThan(worstRelative, 4e-7)
        XCTAssertEqual(FastMath.tanh(100), 1)
        XCTAssertEqual(FastMath.tanh(-100), -1)
        XCTAssertEqual(FastMath.tanh(0), 0)
    }
}
