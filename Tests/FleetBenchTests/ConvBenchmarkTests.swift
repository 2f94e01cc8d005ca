import FleetTensor
import XCTest

@testable import FleetBench

/// `fleet bench conv`: its figures are well formed, its FLOP count is the Nature CNN's, and the
/// PyTorch peer is run or reported skipped; no timing is asserted.
final class ConvBenchmarkTests: XCTestCase {
    let tinyCases = [
        ConvBenchmark.Case(name: "Nature CNN 2x10x10", kind: .nature, inputShape: [2, 10, 10], features: 8),
        ConvBenchmark.Case(name: "SNet small encoder 2x10x10", kind: .snetSmall, inputShape: [2, 10, 10], features: 8),
    ]

    func testFiguresAreWellFormedAndThePeerIsSkippedWithoutPython() throws {
        let figures = try ConvBenchmark.figures(quick: true, batch: 2, cases: tinyCases, peerPython: "/nonexistent/python")
        XCTAssertEqual(figures.map(\.name), [
            "Nature CNN 2x10x10, batch 2: forward", "Nature CNN 2x10x10, batch 2: forward+backward",
            "SNet small encoder 2x10x10, batch 2: forward", "SNet small encoder 2x10x10, batch 2: forward+backward",
        ])
        for figure in figures {
            XCTAssertEqual(figure.suite, "conv")
            XCTAssertEqual(figure.unit, "ms")
            XCTAssertFalse(figure.higherIsBetter)
            XCTAssertEqual(figure.baseline, "its matmul FLOPs at the sgemm roofline, 1 thread")
            for number in [figure.value, figure.baselineValue, figure.ratio] {
                XCTAssertTrue(number.isFinite && number > 0, "\(figure.name): \(number)")
            }
        }
    }

    func testForwardFLOPsAreTheNatureCNNsProducts() {
        var generator = RandomGenerator(seed: 1)
        let encoder = NatureCNN(inputShape: [4, 84, 84], features: 16, using: &generator)
        // 32x(4·8·8) at 20x20, 64x(32·4·4) at 9x9, 64x(64·3·3) at 7x7, then 3136 -> 16; 2 FLOPs a multiply-add.
        let multiplyAdds: Int = 32 * 256 * 400 + 64 * 512 * 81 + 64 * 576 * 49 + 3136 * 16
        let expected = 2 * Double(multiplyAdds)
        XCTAssertEqual(ConvBenchmark.forwardFLOPs(encoder, batch: 3), 3 * expected)
    }

    func testThePeerScriptRunsOrSaysWhyNot() {
        let peer = ConvBenchmark.torchTimes(batch: 1, rounds: 1, cases: [tinyCases[0]], python: "python3")
        if let skipped = peer.skipped {
            XCTAssertTrue(skipped.contains("torch is not installed"), skipped)
        } else {
            XCTAssertNotNil(peer.times["nature:2x10x10:8"])
        }
    }
}
