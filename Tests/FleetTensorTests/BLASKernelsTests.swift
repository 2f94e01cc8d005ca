import XCTest

@testable import FleetTensor

/// Choosing OpenBLAS's kernels: when Fleet runs itself again with better ones, and when it leaves
/// them be.
final class BLASKernelsTests: XCTestCase {
    private func decide(_ running: String, _ cpu: BLASKernels.Tier, _ environment: [String: String] = [:], canChoose: Bool = true)
        -> BLASKernels.Decision
    {
        BLASKernels.decide(running: running, cpu: cpu, environment: environment, canChoose: canChoose)
    }

    func testAFallbackBelowWhatTheCPUHasIsReplacedByTheBestItSupports() {
        XCTAssertEqual(decide("Prescott", .avx512), .run(core: "SkylakeX"))
        XCTAssertEqual(decide("Prescott", .avx2), .run(core: "Haswell"))
        XCTAssertEqual(decide("Nehalem", .avx), .run(core: "Sandybridge"))
        XCTAssertEqual(decide("Sandybridge", .avx2), .run(core: "Haswell"))
    }

    func testKernelsAsGoodAsTheCPUAreKept() {
        XCTAssertEqual(decide("Cooperlake", .avx512), .keep)
        XCTAssertEqual(decide("SkylakeX", .avx512), .keep)
        XCTAssertEqual(decide("Zen", .avx2), .keep)
        XCTAssertEqual(decide("Haswell", .avx2), .keep)
        XCTAssertEqual(decide("Prescott", .sse), .keep, "nothing better to choose")
    }

    func testAChoiceAlreadyMadeOrDeclinedIsKept() {
        XCTAssertEqual(decide("Prescott", .avx512, ["OPENBLAS_CORETYPE": "Prescott"]), .keep, "the user chose for OpenBLAS")
        XCTAssertEqual(decide("Prescott", .avx512, ["FLEET_BLAS_LIBRARY_CORE": "Prescott"]), .keep, "the second run")
        XCTAssertEqual(decide("Prescott", .avx512, ["FLEET_BLAS_CORE": "library"]), .keep)
        XCTAssertEqual(decide("Prescott", .avx512, ["FLEET_BLAS_CORE": ""]), .run(core: "SkylakeX"), "empty is auto")
        XCTAssertEqual(decide("Cooperlake", .avx512, ["FLEET_BLAS_CORE": ""]), .keep)
    }

    func testANamedCoreIsRunUnlessItRunsAlready() {
        XCTAssertEqual(decide("Cooperlake", .avx512, ["FLEET_BLAS_CORE": "Haswell"]), .run(core: "Haswell"))
        XCTAssertEqual(decide("Haswell", .avx512, ["FLEET_BLAS_CORE": "haswell"]), .keep)
        guard case .warn(let message) = decide("Haswell", .avx2, ["FLEET_BLAS_CORE": "SkylakeX"]) else {
            return XCTFail("kernels the CPU cannot run are not run")
        }
        XCTAssertTrue(message.contains("cannot run"), message)
    }

    func testALibraryThatCannotChooseIsReportedNotRun() {
        guard case .warn(let message) = decide("Prescott", .avx512, canChoose: false) else {
            return XCTFail("expected a warning")
        }
        XCTAssertTrue(message.contains("Prescott") && message.contains("SkylakeX") && message.contains("DYNAMIC_ARCH"), message)
    }

    func testTiersOfOpenBLASCoreNames() {
        XCTAssertEqual(BLASKernels.Tier(openBLASCore: "SKYLAKEX"), .avx512)
        XCTAssertEqual(BLASKernels.Tier(openBLASCore: "Zen"), .avx2)
        XCTAssertEqual(BLASKernels.Tier(openBLASCore: "Piledriver"), .avx)
        XCTAssertEqual(BLASKernels.Tier(openBLASCore: "Core2"), .sse)
    }

    /// This machine: the library runs kernels and says which.
    func testTheRunningKernelsAreNamed() {
        XCTAssertFalse(BLASKernels.running.isEmpty)
        XCTAssertTrue(BLASKernels.description.hasPrefix(BLASKernels.running + " kernels ("), BLASKernels.description)
    }
}
