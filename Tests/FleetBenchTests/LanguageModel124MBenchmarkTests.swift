import FleetTensor
import XCTest

@testable import FleetBench

/// `fleet bench lm124m`, run on a tiny model of the same layout: its figures are well formed and
/// name their baselines; resident memory is read from /proc. No timing is asserted.
final class LanguageModel124MBenchmarkTests: XCTestCase {
    func testFiguresAreWellFormed() throws {
        var settings = LanguageModel124MBenchmark.Settings(rounds: 1)
        settings.config = TransformerLM.Config(vocabulary: 300, contextLength: 64, width: 32, heads: 2, layers: 2)
        settings.promptLength = 8
        settings.newTokens = 8
        settings.samplingBatches = [1, 3]
        settings.prefillBatch = 2
        settings.responses = 4
        settings.responseLength = 16
        let threads = BLAS.threads, largeProductThreads = BLAS.largeProductThreads
        let figures = try LanguageModel124MBenchmark.figures(settings: settings)
        XCTAssertEqual([BLAS.threads, BLAS.largeProductThreads], [threads, largeProductThreads], "the thread counts are put back")
        XCTAssertEqual(figures.map(\.baseline), [
            "parameters x 4 bytes", "1 thread", "1 thread", "one sgemm per product", "1 thread", "one sgemm per product",
            "full forward over the 16 positions", "1 thread", "one pass",
        ])
        for figure in figures {
            XCTAssertEqual(figure.suite, "lm124m")
            for number in [figure.value, figure.baselineValue, figure.ratio] {
                XCTAssertTrue(number.isFinite && number > 0, "\(figure.name): \(number)")
            }
        }
        let parameters = 300 * 32 + 64 * 32 + 2 * (12 * 32 * 32 + 13 * 32) + 2 * 32
        XCTAssertTrue(figures[0].detail?.hasPrefix("\(parameters) parameters") ?? false, figures[0].detail ?? "no detail")
        XCTAssertTrue(figures[2].name.hasPrefix("sampling: batch 1, 8-token prompt + 8 new"), figures[2].name)
        XCTAssertEqual(figures.filter { $0.unit == "s/update" || $0.unit == "MiB" }.map(\.higherIsBetter), [false, false, false])
        XCTAssertTrue(figures[7].name.contains("4 responses x 16 tokens, micro-batches of 2"), figures[7].name)
        XCTAssertTrue(BLAS.blocksSkinnyProducts, "the benchmark puts the blocking back")
    }

    func testResidentMemoryIsReadAndItsPeakReset() throws {
        let current = try XCTUnwrap(ResidentMemory.current)
        XCTAssertGreaterThan(current, 1 << 20)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(ResidentMemory.peak), current)
        var held = [UInt8](repeating: 1, count: 64 << 20)  // 64 MiB, touched
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(ResidentMemory.peak), current + (60 << 20))
        held.removeAll()
        if ResidentMemory.resetPeak() {
            XCTAssertLessThan(try XCTUnwrap(ResidentMemory.peak), current + (60 << 20), "the peak restarts from now")
        }
    }
}
