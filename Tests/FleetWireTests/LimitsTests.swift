import XCTest

@testable import FleetWire

/// The frame size cap and the unpack budget.
final class LimitsTests: XCTestCase {
    /// A stats frame holding `count` empty `Scalar` sub-messages: two bytes each on the wire, a
    /// struct and a pointer each once unpacked.
    static func manyEmptyScalars(_ count: Int) -> [UInt8] {
        var stats = ProtoWriter()
        stats.bytes.reserveCapacity(2 * count)
        for _ in 0..<count { stats.bytes += [0x0a, 0x00] }
        return ProtoWriter.frame(payloadField: 9, payload: stats.bytes)
    }

    /// A weights frame holding `count` empty `NamedTensor` sub-messages.
    static func manyEmptyNamedTensors(_ count: Int) -> [UInt8] {
        var weights = ProtoWriter()
        weights.bytes.reserveCapacity(2 * count)
        for _ in 0..<count { weights.bytes += [0x1a, 0x00] }
        return ProtoWriter.frame(envelope: SampleFrames.learnerEnvelope, payloadField: 4, payload: weights.bytes)
    }

    /// A policy too large for the default frame cap (17M float32 values: 68 MB) decodes with the
    /// limits sized to it, and small policies keep the default.
    func testWeightsLimitsGrowWithThePolicy() {
        XCTAssertEqual(DecodeLimits.weights(parameterCount: 1_000_000), .default)
        let count = 17_000_000
        let frame = Frame(
            envelope: SampleFrames.learnerEnvelope,
            payload: .weights(
                Weights(version: 1, modelSpecHash: [1, 2, 3, 4], tensors: [
                    NamedTensor(name: "tokenEmbedding.weight", tensor: WireTensor(float32: [Float](repeating: 0.5, count: count)))
                ])))
        let bytes = frame.encoded()
        XCTAssertGreaterThan(bytes.count, DecodeLimits.default.maxFrameBytes)
        assertRejected(bytes, .frameTooLarge, field: "")
        let sized = DecodeLimits.weights(parameterCount: count)
        XCTAssertEqual(sized.maxFrameBytes, 4 * count + (16 << 20))
        XCTAssertNil(decodeError(bytes, limits: sized))
    }

    func testFrameSizeCapComesBeforeUnpacking() {
        let bytes = SampleFrames.trajectoryBatch.encoded()
        let tight = DecodeLimits(maxFrameBytes: bytes.count - 1, maxUnpackedBytes: 1 << 20)
        assertRejected(bytes, .frameTooLarge, field: "", limits: tight)
        let exact = DecodeLimits(maxFrameBytes: bytes.count, maxUnpackedBytes: 1 << 20)
        XCTAssertNil(decodeError(bytes, limits: exact))
        // Garbage over the cap is refused as too large, not as malformed, and a zero budget is
        // never reached: nothing was unpacked.
        let garbage = [UInt8](repeating: 0xff, count: 4096)
        assertRejected(
            garbage, .frameTooLarge, field: "", limits: DecodeLimits(maxFrameBytes: 4095, maxUnpackedBytes: 0))
        assertRejected(
            garbage, .malformed, field: "", limits: DecodeLimits(maxFrameBytes: 4096, maxUnpackedBytes: 1 << 20))
    }

    /// The status document has no length limit of its own: the frame cap bounds it, like every
    /// other field.
    func testOversizeStatusIsRefusedByTheFrameCap() {
        let json = #"{"actors":""# + String(repeating: "x", count: 200_000) + #""}"#
        let bytes = Frame(envelope: SampleFrames.learnerEnvelope, payload: .status(Status(json: json))).encoded()
        // Tens of kB and more decode with the default limits, within a budget of twice the frame.
        XCTAssertNil(decodeError(bytes))
        let twice = DecodeLimits(maxFrameBytes: bytes.count, maxUnpackedBytes: 2 * bytes.count)
        XCTAssertNil(decodeError(bytes, limits: twice))
        assertRejected(
            bytes, .frameTooLarge, field: "",
            limits: DecodeLimits(maxFrameBytes: bytes.count - 1, maxUnpackedBytes: 1 << 30))
        assertRejected(
            bytes, .budgetExceeded, field: "",
            limits: DecodeLimits(maxFrameBytes: bytes.count, maxUnpackedBytes: bytes.count / 2))
    }

    func testBudgetExceededIsACleanError() {
        let scalars = Self.manyEmptyScalars(20_000)  // 40 kB on the wire
        let small = DecodeLimits(maxFrameBytes: 1 << 20, maxUnpackedBytes: 256 << 10)
        assertRejected(scalars, .budgetExceeded, field: "", limits: small)
        // With room to unpack, the same frame decodes and fails validation instead.
        assertRejected(scalars, .emptyName, field: "stats.scalars[0].name")

        let named = Self.manyEmptyNamedTensors(20_000)
        assertRejected(named, .budgetExceeded, field: "", limits: small)
        assertRejected(named, .missingField, field: "weights.tensors[0].tensor")
    }

    func testAmplificationStopsAtTheDefaultBudget() {
        // 8 MB of empty named tensors would need about 160 MB unpacked.
        assertRejected(Self.manyEmptyNamedTensors(4_000_000), .budgetExceeded, field: "")
    }

    func testSamplesFitATightBudget() {
        for frame in SampleFrames.all {
            let bytes = frame.encoded()
            let limits = DecodeLimits(maxFrameBytes: bytes.count, maxUnpackedBytes: 4096)
            XCTAssertNil(decodeError(bytes, limits: limits), "\(frame.kind)")
        }
    }

    func testArenaCountsAndRefuses() {
        let arena = _BudgetArena(budget: 100)
        XCTAssertNotNil(arena.allocate(0))
        XCTAssertNotNil(arena.allocate(40))
        XCTAssertEqual(arena.handedOut, 64)
        XCTAssertEqual(arena.reserved, 96)
        XCTAssertNil(arena.allocate(40))
        XCTAssertTrue(arena.refusedAllocation)
        XCTAssertNil(arena.allocate(-1))
        XCTAssertNil(arena.allocate(.max))
        arena.release()
    }

    /// Allocations just over the large-block threshold must not hold much more memory than asked
    /// for, and never more than the budget.
    func testArenaBudgetBoundsMemoryHeld() {
        let budget = 1 << 20
        let arena = _BudgetArena(budget: budget)
        var granted = 0
        while arena.allocate(4097) != nil { granted += 4097 }
        XCTAssertTrue(arena.refusedAllocation)
        XCTAssertLessThanOrEqual(arena.reserved, budget)
        // 4097 bytes take an 8 KiB block, or a cached one of up to 16 KiB.
        XCTAssertGreaterThanOrEqual(granted, budget / 4)
        arena.release()
    }
}
