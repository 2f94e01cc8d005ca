import XCTest

@testable import FleetTensor

/// Compares autodiff gradients with central differences.
///
/// The checked scalar is a random projection `L = Σ f(x) ⊙ w` (w standard normal, fixed seed), so
/// every output element matters. Autodiff gives ∂L/∂x through `backward`, run twice: into empty
/// gradients and into gradients pre-filled with 1 (which must come out as 1 + ∂L/∂x). The reference perturbs
/// each input element by ±h, reruns the Float forward, and forms `(L₊ - L₋) / (x₊ - x₋)` with the
/// projection summed in Double and the denominator taken from the Float values actually stored.
/// With h = 1e-2 the truncation error is O(h²) and the Float rounding noise about 1e-7·|L|/h, so a
/// tolerance of `atol + rtol·|numeric|` with atol 2e-3 and rtol 1e-2 passes correct rules and fails
/// any rule that is wrong by a factor, a sign or a term (``GradientCheckTests`` proves it fails).
struct GradientCheck {
    var h: Float = 1e-2
    var atol: Double = 2e-3
    var rtol: Double = 1e-2

    /// The worst `|autodiff - numeric| / (atol + rtol·|numeric|)` over all input elements (> 1 fails),
    /// with a description of where it happened.
    func worstViolation(_ inputs: [Tensor], seed: UInt64 = 42, _ f: ([Tensor]) -> Tensor) -> (Double, String) {
        let probe = withNoGrad { f(inputs) }
        var generator = RandomGenerator(seed: seed)
        let w = (0..<probe.count).map { _ in generator.nextGaussian() }
        let projection = Tensor(w.map(Float.init), shape: probe.shape)
        func project(_ y: Tensor) -> Double {
            var total = 0.0
            for (value, weight) in zip(y.data, w) { total += Double(value) * weight }
            return total
        }

        // Backward once from empty gradients, and once into gradients pre-filled with 1, so that a
        // rule that overwrites instead of adding is caught too.
        for x in inputs { x.grad = nil }
        (f(inputs) * projection).sum().backward()
        let fresh = inputs.map { $0.grad ?? [Float](repeating: 0, count: $0.count) }
        for x in inputs { x.grad = [Float](repeating: 1, count: x.count) }
        (f(inputs) * projection).sum().backward()
        let added = inputs.map { $0.grad!.map { $0 - 1 } }

        var worst = 0.0
        var location = "no input elements"
        for (n, x) in inputs.enumerated() {
            guard x.requiresGrad else { continue }
            for i in 0..<x.count {
                let original = x.data[i]
                x.data[i] = original + h
                let plusValue = x.data[i]
                let plus = project(withNoGrad { f(inputs) })
                x.data[i] = original - h
                let minusValue = x.data[i]
                let minus = project(withNoGrad { f(inputs) })
                x.data[i] = original
                let numeric = (plus - minus) / (Double(plusValue) - Double(minusValue))
                for (analytic, pass) in [(fresh[n][i], "fresh"), (added[n][i], "accumulated")] {
                    let violation = Swift.abs(Double(analytic) - numeric) / (atol + rtol * Swift.abs(numeric))
                    if violation > worst || violation.isNaN {
                        worst = violation.isNaN ? .infinity : violation
                        location = "input \(n) element \(i) (\(pass)): autodiff \(analytic), numeric \(numeric)"
                    }
                }
            }
        }
        return (worst, location)
    }

    /// Fails the test when any gradient element of `inputs` disagrees with central differences.
    func check(
        _ inputs: [Tensor], _ name: String, file: StaticString = #filePath, line: UInt = #line,
        _ f: ([Tensor]) -> Tensor
    ) {
        let (worst, location) = worstViolation(inputs, f)
        XCTAssertLessThanOrEqual(worst, 1, "\(name): gradient mismatch at \(location)", file: file, line: line)
    }
}

/// Random test inputs from a fixed seed.
struct Inputs {
    var generator: RandomGenerator

    init(seed: UInt64 = 1) { generator = RandomGenerator(seed: seed) }

    /// Uniform in [low, high), requiring gradients.
    mutating func uniform(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        Tensor.uniform(shape, low: low, high: high, requiresGrad: true, using: &generator)
    }

    /// Uniform magnitudes in [low, high) with random signs: values kept away from 0.
    mutating func awayFromZero(_ shape: [Int], _ low: Float = 0.5, _ high: Float = 1.5) -> Tensor {
        let t = Tensor.uniform(shape, low: low, high: high, requiresGrad: true, using: &generator)
        for i in 0..<t.count where generator.nextFloat() < 0.5 { t.data[i] = -t.data[i] }
        return t
    }
}
