import FleetAlgorithms
import FleetTensor
import Foundation
import FleetEnvironments
import XCTest

@testable import FleetCluster
import FleetConfig

/// The learner-state file of a checkpoint: bit-exact round trips (NaN, -0, extremes included),
/// a learner's whole state through it, and clean errors for bytes that are not an archive.
final class TensorArchiveTests: XCTestCase {
    private func sample() -> TensorArchive {
        var archive = TensorArchive()
        archive.add("weights", .float32([1, -0.0, .nan, .infinity, -.leastNonzeroMagnitude, 3e38]), shape: [2, 3])
        archive.add("statistics", .float64([0.1 + 0.2, -.nan, .greatestFiniteMagnitude]))
        archive.add("counter", scalar: .int64([Int64.min]))
        archive.add("generator", .uint64([UInt64.max, 0, 1, 0x9E37_79B9_7F4A_7C15]))
        archive.add("kind", .uint8(Array("adamw".utf8)))
        archive.add("empty", .float32([]), shape: [0, 4])
        return archive
    }

    func testEveryTypeRoundTripsBitForBit() throws {
        let archive = sample()
        let back = try TensorArchive(decoding: archive.encoded())
        XCTAssertEqual(back, archive)
        XCTAssertEqual(back.entries.map(\.name), ["weights", "statistics", "counter", "generator", "kind", "empty"])
        XCTAssertEqual(try back.float32("weights").shape, [2, 3])
        XCTAssertEqual(try back.float32("weights").values[1].bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertEqual(try back.int64Scalar("counter"), .min)
        XCTAssertEqual(try back.uint64("generator", count: 4)[0], .max)
        XCTAssertEqual(try back.string("kind"), "adamw")
        XCTAssertEqual(try back.entry("empty").shape, [0, 4])
        XCTAssertThrowsError(try back.uint64("generator", count: 3))
        XCTAssertThrowsError(try back.int64Scalar("kind")) { error in
            XCTAssertEqual(error as? TensorArchiveError, .wrongType(name: "kind", expected: "int64", found: "uint8"))
        }
        XCTAssertThrowsError(try back.entry("nothing")) { error in
            XCTAssertEqual("\(error)", "no entry \"nothing\"")
        }
    }

    func testEveryTruncationAndEveryByteOfTheHeaderFailsCleanly() throws {
        let bytes = sample().encoded()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try TensorArchive(decoding: Array(bytes[..<length])), "cut at \(length)")
        }
        XCTAssertThrowsError(try TensorArchive(decoding: bytes + [0])) { error in
            XCTAssertTrue("\(error)".contains("1 bytes after the last entry"), "\(error)")
        }
        var wrongMagic = bytes
        wrongMagic[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try TensorArchive(decoding: wrongMagic))
        // A huge claimed count or extent is refused before anything is allocated.
        var hugeCount = bytes
        for i in 8..<16 { hugeCount[i] = 0xFF }
        XCTAssertThrowsError(try TensorArchive(decoding: hugeCount))
        var generator = RandomGenerator(seed: 3)
        for _ in 0..<500 {
            var mutated = bytes
            mutated[generator.nextInt(below: mutated.count)] ^= UInt8(1 << generator.nextInt(below: 8))
            _ = try? TensorArchive(decoding: mutated)  // no crash, whatever the flip
        }
    }

    func testAPPOLearnersStateRoundTripsThroughTheArchive() throws {
        var generator = RandomGenerator(seed: 4)
        let agent = PPOAgent(
            observationSize: 3, actionSpace: .box(BoxSpace(low: [-2], high: [2], shape: [1])), hiddenSizes: [8],
            normalizeObservations: true, using: &generator)
        let learner = PPOLearner(agent: agent, settings: PPOSettings(normalizeObservations: true, normalizeRewards: true), seed: 4)
        var state = learner.exportState()
        state.iteration = 17
        state.observationStatistics = RunningMeanStd(mean: [0.1, -0.2, 0.3], variance: [1.5, 2.5, 0.5], count: 321.0001)
        state.rewardStreams = [
            "actor-0/0": RewardScaler.Stream(discountedReturn: -3.25, statistics: RunningMeanStd(mean: [1], variance: [2], count: 3)),
            "actor-1/1": RewardScaler.Stream(discountedReturn: 0.1, statistics: RunningMeanStd(mean: [4], variance: [5], count: 6)),
        ]
        let back = try TensorArchive(decoding: TensorArchive(state).encoded()).ppoLearnerState()
        XCTAssertEqual(back, state)
        XCTAssertEqual(back.optimizer, state.optimizer)
    }
}
