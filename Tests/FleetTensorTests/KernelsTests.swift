import XCTest

import CFleetKernels
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

    /// The C Adam step gives the Swift reference's bits in every variant this CPU runs, in each
    /// mode (plain, L2, decoupled decay), at lengths that leave every tail.
    func testTheAdamKernelGivesTheReferenceBitsInEveryVariant() {
        var generator = RandomGenerator(seed: 5)
        let scalars = _AdamScalars(
            w1: 0.1, b2: 0.999, w2: 0.001, eps: 1e-5, l2: 0.01, decay: 0.9999,
            negativeStepSize: -2.5e-4, biasCorrection2Sqrt: 0.0447)
        defer { fleet_kernels_use_isa(nil) }
        var ran: [String] = []
        for isa in ["avx512f", "avx2", "sse2", "baseline"] {
            guard fleet_kernels_use_isa(isa) == 1 else { continue }
            ran.append(isa)
            for (decays, addsL2) in [(false, false), (false, true), (true, false)] {
                for n in Array(0...40) + [1000] {
                    let start = (0..<4).map { _ in Tensor.uniform([n], low: -2, high: 2, using: &generator).data }
                    var reference = start, kernel = start
                    reference[3] = reference[3].map(abs)  // v, the second moment, is never negative
                    kernel[3] = reference[3]
                    func step(_ a: inout [[Float]], _ update: (UnsafeMutablePointer<Float>, UnsafePointer<Float>,
                        UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
                        var p = a[0], m = a[2], v = a[3]
                        let g = a[1]
                        p.withUnsafeMutableBufferPointer { p in
                            g.withUnsafeBufferPointer { g in
                                m.withUnsafeMutableBufferPointer { m in
                                    v.withUnsafeMutableBufferPointer { v in
                                        guard n > 0 else { return }
                                        update(p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!)
                                    }
                                }
                            }
                        }
                        a = [p, g, m, v]
                    }
                    step(&reference) { _adamUpdate($0, $1, $2, $3, n, scalars, decays: decays, addsL2: addsL2) }
                    step(&kernel) { _adamKernel($0, $1, $2, $3, n, scalars, decays: decays, addsL2: addsL2) }
                    for k in [0, 2, 3] {
                        XCTAssertEqual(kernel[k].map(\.bitPattern), reference[k].map(\.bitPattern),
                                       "\(isa) n \(n) decays \(decays) l2 \(addsL2) array \(k)")
                    }
                }
            }
        }
        XCTAssertFalse(ran.isEmpty)
        print("adam kernel variants checked: \(ran.joined(separator: ", "))")
    }

    /// The C GELU and tanh-gradient kernels give the Swift definitions' bits in every variant this
    /// CPU runs, at lengths that leave every tail, on values across the approximation's ranges.
    func testTheGELUAndTanhGradientKernelsGiveTheReferenceBitsInEveryVariant() {
        var generator = RandomGenerator(seed: 8)
        defer { fleet_kernels_use_isa(nil) }
        var ran: [String] = []
        for isa in ["avx512f", "avx2", "sse2", "baseline"] {
            guard fleet_kernels_use_isa(isa) == 1 else { continue }
            ran.append(isa)
            for n in Array(0...40) + [1000] {
                var x = Tensor.uniform([n], low: -12, high: 12, using: &generator).data
                let specials: [Float] = [0, -0.0, 1e-5, -3e-4, 7.9, -8, .infinity, -.infinity]
                for (i, special) in specials.enumerated() where i < n {
                    x[i] = special
                }
                let g = Tensor.uniform([n], low: -2, high: 2, using: &generator).data
                let start = Tensor.uniform([n], low: -1, high: 1, using: &generator).data
                var y = [Float](repeating: 0, count: n), gelu = start, tanhGradient = [Float](repeating: 0, count: n)
                let t = x.map { FastMath.tanh($0) }
                x.withUnsafeBufferPointer { x in
                    g.withUnsafeBufferPointer { g in
                        t.withUnsafeBufferPointer { t in
                            y.withUnsafeMutableBufferPointer { y in
                                gelu.withUnsafeMutableBufferPointer { gelu in
                                    tanhGradient.withUnsafeMutableBufferPointer { tanhGradient in
                                        guard n > 0 else { return }
                                        fleet_gelu_f32(x.baseAddress!, y.baseAddress!, n)
                                        fleet_gelu_backward_f32(g.baseAddress!, x.baseAddress!, gelu.baseAddress!, n)
                                        fleet_tanh_backward_f32(g.baseAddress!, t.baseAddress!, tanhGradient.baseAddress!, n)
                                    }
                                }
                            }
                        }
                    }
                }
                let reference = (0..<n).map { Tensor.geluReference(x[$0], gradient: g[$0]) }
                XCTAssertEqual(y.map(\.bitPattern), reference.map(\.value.bitPattern), "\(isa) n \(n) gelu")
                let geluGradient: [Float] = (0..<n).map { start[$0] + reference[$0].gradient }
                XCTAssertEqual(gelu.map(\.bitPattern), geluGradient.map(\.bitPattern), "\(isa) n \(n) gelu gradient")
                let tanhReference: [Float] = (0..<n).map { i in
                    let slope: Float = 1 - t[i] * t[i]
                    return 0 + g[i] * slope
                }
                XCTAssertEqual(tanhGradient.map(\.bitPattern), tanhReference.map(\.bitPattern), "\(isa) n \(n) tanh gradient")
            }
        }
        XCTAssertFalse(ran.isEmpty)
    }
}
