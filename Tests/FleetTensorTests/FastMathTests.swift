import XCTest

@testable import FleetTensor
import CFleetKernels

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

    /// The vectorized tanh kernel gives FastMath.tanh's bits: over a dense range, the edges of
    /// the clamp and of the small-x branch, infinities, NaN and signed zeros, at every array
    /// length that leaves a different tail after the vector loop.
    func testTheTanhKernelGivesTheScalarBitsOnThisCPU() {
        var inputs = (-130_000...130_000).map { Float($0) * 1e-4 }
        let clamp: Float = 7.905_311_107_635_498
        for edge: Float in [clamp, 0.0004, 1e-8, 20] {
            var below = edge, above = edge
            for _ in 0..<4 {
                below = below.nextDown
                above = above.nextUp
                inputs += [below, above, -below, -above]
            }
        }
        inputs += [.infinity, -.infinity, .nan, 0, -0, .leastNonzeroMagnitude, -.greatestFiniteMagnitude]
        let expected = inputs.map { FastMath.tanh($0).bitPattern }
        XCTAssertEqual(Kernels.tanh(inputs).map(\.bitPattern), expected, "with \(Kernels.vectorInstructionSet)")
        var ran: [String] = []
        defer { fleet_kernels_use_isa(nil) }
        for isa in ["avx512f", "avx2", "sse2", "baseline"] {
            guard fleet_kernels_use_isa(isa) == 1 else { continue }
            ran.append(isa)
            let out = Kernels.tanh(inputs)
            for (index, (x, y)) in zip(inputs, out).enumerated() where y.bitPattern != expected[index] {
                XCTFail("\(isa): tanh(\(x)) = \(y), FastMath.tanh gives \(FastMath.tanh(x))")
                break
            }
        }
        fleet_kernels_use_isa(nil)
        XCTAssertTrue(ran.contains(Kernels.vectorInstructionSet), "\(ran)")
        for count in 0..<40 {
            let slice = Array(inputs[1000..<(1000 + count)])
            XCTAssertEqual(Kernels.tanh(slice).map(\.bitPattern), slice.map { FastMath.tanh($0).bitPattern })
        }
        print("tanh kernel: \(Kernels.vectorInstructionSet); variants checked: \(ran.joined(separator: ", "))")
    }
}
