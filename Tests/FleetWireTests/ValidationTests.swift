import XCTest

@testable import FleetWire

/// Every rejection reason, triggered by a crafted input and checked for label and field path.
final class ValidationTests: XCTestCase {
    private let tp = "trajectory_batch."
    private let gp = "group_batch."

    func testSamplesAreValid() throws {
        for frame in SampleFrames.all { XCTAssertNoThrow(try frame.validate(), "\(frame.kind)") }
    }

    func testReasonLabelsAreStable() {
        XCTAssertEqual(
            WireError.Reason.all.map(\.rawValue),
            [
                "frame_too_large", "malformed", "budget_exceeded", "unsupported_schema_version",
                "missing_envelope", "missing_payload", "missing_field", "unknown_dtype", "shape_mismatch",
                "wrong_dtype", "non_finite", "bad_offsets", "bad_bool", "out_of_range", "inconsistent",
                "empty_name", "duplicate_name", "bad_sender_id",
            ])
    }

    // MARK: - Frame level

    func testMalformed() {
        assertRejected([0xff, 0xff, 0xff], .malformed, field: "")
        // A length prefix that runs past the end.
        assertRejected([0x0a, 0x40, 0x08, 0x01], .malformed, field: "")
    }

    func testUnsupportedSchemaVersion() {
        var frame = SampleFrames.heartbeat
        frame.envelope.schemaVersion = 2
        assertRejected(frame, .unsupportedSchemaVersion, field: "envelope.schema_version")
        frame.envelope.schemaVersion = 0
        assertRejected(frame, .unsupportedSchemaVersion, field: "envelope.schema_version")
    }

    /// A frame refused for its content still says who sent it, when it unpacked as far as its
    /// envelope: the learner counts it against that sender.
    func testAFrameRefusedForItsContentNamesItsSender() throws {
        var frame = SampleFrames.heartbeat
        frame.envelope.schemaVersion = 0
        XCTAssertThrowsError(try Frame(decoding: frame.encoded())) { error in
            XCTAssertEqual((error as? WireError)?.senderID, frame.envelope.senderID)
        }
        XCTAssertThrowsError(try Frame(decoding: ProtoWriter.sampleTrajectoryFrame(replace: [6: nil]))) { error in
            XCTAssertNotNil((error as? WireError)?.senderID, "\(error)")
        }
        XCTAssertThrowsError(try Frame(decoding: [0xff, 0xff, 0xff])) { error in
            XCTAssertNil((error as? WireError)?.senderID, "nothing unpacked: no sender")
        }
    }

    func testMissingEnvelopeAndPayload() {
        var body = ProtoWriter()
        body.uint(1, 12)
        assertRejected(
            ProtoWriter.frame(envelope: nil, payloadField: 7, payload: body.bytes), .missingEnvelope, field: "envelope")
        assertRejected(ProtoWriter.frame(payloadField: nil, payload: []), .missingPayload, field: "")
        // A payload field this build does not know is skipped as unknown: no payload.
        assertRejected(ProtoWriter.frame(payloadField: 99, payload: body.bytes), .missingPayload, field: "")
        assertRejected([], .missingEnvelope, field: "envelope")
    }

    // MARK: - Tensors

    func testMissingRequiredTensors() {
        for (field, name) in [(4, "observations"), (6, "rewards"), (8, "truncated"), (12, "next_observations")] {
            assertRejected(ProtoWriter.sampleTrajectoryFrame(replace: [field: nil]), .missingField, field: tp + name)
        }
        var named = ProtoWriter()
        named.string(1, "w")
        var weights = ProtoWriter()
        weights.uint(1, 1)
        weights.lengthDelimited(3, named.bytes)
        assertRejected(
            ProtoWriter.frame(payloadField: 4, payload: weights.bytes), .missingField,
            field: "weights.tensors[0].tensor")
    }

    func testUnknownDType() {
        for dtype: UInt64 in [0, 7, 1 << 31] {
            let body = ProtoWriter.tensor(dtype: dtype, shape: [2, 2], data: [UInt8](repeating: 0, count: 16))
            assertRejected(ProtoWriter.sampleTrajectoryFrame(replace: [6: body]), .unknownDType, field: tp + "rewards")
        }
    }

    func testDataLengthAndShapeOverflow() {
        // Three floats for a [2, 2] shape.
        assertRejected(.trajectory { $0.rewards.storage = .float32([1, 1, 1]) }, .shapeMismatch, field: tp + "rewards")
        // A claimed 2^62 x 2^62 tensor with no data: the product overflows and must be caught.
        let huge = ProtoWriter.tensor(dtype: 1, shape: [1 << 62, 1 << 62], data: [])
        assertRejected(
            ProtoWriter.sampleTrajectoryFrame(replace: [9: huge]), .shapeMismatch, field: tp + "behaviour_log_probs")
        // A product that fits in Int but not once multiplied by the element size.
        let wide = ProtoWriter.tensor(dtype: 2, shape: [1 << 61], data: [])
        assertRejected(
            ProtoWriter.sampleTrajectoryFrame(replace: [9: wide]), .shapeMismatch, field: tp + "behaviour_log_probs")
        // A dimension beyond Int.
        let beyond = ProtoWriter.tensor(dtype: 1, shape: [UInt64.max], data: [])
        assertRejected(
            ProtoWriter.sampleTrajectoryFrame(replace: [9: beyond]), .shapeMismatch, field: tp + "behaviour_log_probs")
    }

    func testBadBool() {
        let body = ProtoWriter.tensor(dtype: 6, shape: [2, 2], data: [0, 0, 2, 1])
        assertRejected(ProtoWriter.sampleTrajectoryFrame(replace: [7: body]), .badBool, field: tp + "terminated")
        var w = ProtoWriter()
        w.message(3) { n in
            n.string(1, "flags")
            n.lengthDelimited(2, ProtoWriter.tensor(dtype: 6, shape: [2], data: [1, 0xff]))
        }
        assertRejected(
            ProtoWriter.frame(payloadField: 4, payload: w.bytes), .badBool, field: "weights.tensors[0].tensor")
    }

    // MARK: - Trajectory batch

    func testTrajectoryShapes() {
        assertRejected(.trajectory { $0.numSteps = 3 }, .shapeMismatch, field: tp + "observations")
        assertRejected(.trajectory { $0.observations.shape = [4, 3] }, .shapeMismatch, field: tp + "observations")
        assertRejected(.trajectory { $0.actions.shape = [4] }, .shapeMismatch, field: tp + "actions")
        assertRejected(.trajectory { $0.rewards.shape = [4] }, .shapeMismatch, field: tp + "rewards")
        assertRejected(.trajectory { $0.terminated.shape = [2, 2, 1] }, .shapeMismatch, field: tp + "terminated")
        assertRejected(
            .trajectory { $0.behaviourLogProbs = WireTensor(float32: [0, 0]) }, .shapeMismatch,
            field: tp + "behaviour_log_probs")
        assertRejected(
            .trajectory { $0.finalObservations.shape = [3, 1] }, .shapeMismatch, field: tp + "final_observations")
        assertRejected(
            .trajectory { $0.nextObservations = WireTensor(float32: [1, 2, 3, 4], shape: [2, 2]) }, .shapeMismatch,
            field: tp + "next_observations")
        assertRejected(
            .trajectory { $0.finalObservationSteps.shape = [1, 1] }, .shapeMismatch,
            field: tp + "final_observation_steps")
        assertRejected(
            .trajectory { $0.episodeLengths = WireTensor(int64: [21]) }, .shapeMismatch, field: tp + "episode_lengths")
    }

    func testTrajectoryDTypes() {
        assertRejected(
            .trajectory { $0.rewards.storage = .float64([1, 1, 1, -0.5]) }, .wrongDType, field: tp + "rewards")
        assertRejected(.trajectory { $0.actions.storage = .int32([0, 1, 1, 0]) }, .wrongDType, field: tp + "actions")
        assertRejected(
            .trajectory { $0.truncated.storage = .uint8([0, 1, 0, 0]) }, .wrongDType, field: tp + "truncated")
        assertRejected(
            .trajectory { $0.observations.storage = .float64((0..<12).map { Double($0) }) }, .wrongDType,
            field: tp + "observations")
        assertRejected(
            .trajectory { $0.nextObservations.storage = .uint8([6, 6, 7, 7, 8, 8]) }, .wrongDType,
            field: tp + "next_observations")
        assertRejected(
            .trajectory { $0.episodeLengths.storage = .float32([21, 10]) }, .wrongDType, field: tp + "episode_lengths")
    }

    func testNonFinite() {
        assertRejected(
            .trajectory { $0.observations.storage = .float32([0, 0.5, 1, 1.5, 2, .nan, 3, 3.5, 4, 4.5, 5, 5.5]) },
            .nonFinite, field: tp + "observations")
        assertRejected(
            .trajectory { $0.rewards.storage = .float32([1, .infinity, 1, 1]) }, .nonFinite, field: tp + "rewards")
        assertRejected(
            .trajectory { $0.behaviourLogProbs.storage = .float32([-.infinity, 0, 0, 0]) }, .nonFinite,
            field: tp + "behaviour_log_probs")
        assertRejected(
            .trajectory { $0.finalObservations.storage = .float32([9, .nan, 10]) }, .nonFinite,
            field: tp + "final_observations")
        assertRejected(
            .trajectory { $0.nextObservations.storage = .float32([6, 6.5, 7, 7.5, 8, .signalingNaN]) }, .nonFinite,
            field: tp + "next_observations")
        assertRejected(
            .trajectory { $0.episodeReturns.storage = .float32([.nan, 9.5]) }, .nonFinite, field: tp + "episode_returns"
        )
        assertRejected(
            .trajectory { $0.actions = WireTensor(float32: [0, 1, .nan, 3], shape: [2, 2, 1]) }, .nonFinite,
            field: tp + "actions")
        assertRejected(
            .group { $0.behaviourLogProbs.storage = .float32([-0.5, -1, -0.25, -2, -0.125, .nan]) }, .nonFinite,
            field: gp + "behaviour_log_probs")
        assertRejected(
            .group { $0.rewards.storage = .float32([1, 0, -.infinity, 1]) }, .nonFinite, field: gp + "rewards")
        assertRejected(
            .weights { $0.tensors[1].tensor.storage = .float32([0, .nan]) }, .nonFinite,
            field: "weights.tensors[1].tensor")
        assertRejected(
            .weights { $0.tensors[0].tensor = WireTensor(float64: [.infinity], shape: []) }, .nonFinite,
            field: "weights.tensors[0].tensor")
    }

    func testFinalObservationBookkeeping() {
        assertRejected(
            .trajectory { $0.finalObservationSteps.storage = .int64([4]) }, .outOfRange,
            field: tp + "final_observation_steps")
        assertRejected(
            .trajectory { $0.finalObservationSteps.storage = .int64([-1]) }, .outOfRange,
            field: tp + "final_observation_steps")
        // Step 0 was not truncated.
        assertRejected(
            .trajectory { $0.finalObservationSteps.storage = .int64([0]) }, .inconsistent,
            field: tp + "final_observation_steps")
        // A truncated step without its final observation.
        assertRejected(
            .trajectory { b in
                b.finalObservationSteps = .empty(.int64)
                b.finalObservations = .empty(.float32, trailing: [3])
            }, .inconsistent, field: tp + "final_observation_steps")
        // The same step twice.
        assertRejected(
            .trajectory { b in
                b.truncated.storage = .bool([false, true, true, false])
                b.finalObservationSteps = WireTensor(int64: [1, 1])
                b.finalObservations = WireTensor(float32: [9, 9.5, 10, 9, 9.5, 10], shape: [2, 3])
            }, .inconsistent, field: tp + "final_observation_steps")
        assertRejected(
            .trajectory { $0.episodeLengths.storage = .int64([21, 0]) }, .outOfRange, field: tp + "episode_lengths")
        assertRejected(.trajectory { $0.actions.storage = .int64([0, -1, 1, 0]) }, .outOfRange, field: tp + "actions")
    }

    // MARK: - Group batch

    func testGroupBatchCountsAndOffsets() {
        assertRejected(.group { $0.groupSize = 0 }, .outOfRange, field: gp + "group_size")
        assertRejected(.group { $0.groupSize = 3 }, .shapeMismatch, field: gp + "response_offsets")
        assertRejected(
            .group { $0.promptOffsets = WireTensor(int64: [0, 5]) }, .shapeMismatch, field: gp + "prompt_offsets")
        assertRejected(
            .group { $0.promptOffsets.storage = .int64([1, 3, 5]) }, .badOffsets, field: gp + "prompt_offsets")
        assertRejected(
            .group { $0.promptOffsets.storage = .int64([0, 3, 4]) }, .badOffsets, field: gp + "prompt_offsets")
        assertRejected(
            .group { $0.responseOffsets.storage = .int64([0, 2, 1, 5, 6]) }, .badOffsets, field: gp + "response_offsets"
        )
        assertRejected(
            .group { $0.responseOffsets.storage = .int64([0, 2, 3, 5, 7]) }, .badOffsets, field: gp + "response_offsets"
        )
        assertRejected(
            .group { $0.behaviourLogProbs = WireTensor(float32: [0, 0, 0, 0, 0]) }, .shapeMismatch,
            field: gp + "behaviour_log_probs")
        assertRejected(.group { $0.rewards = WireTensor(float32: [1, 0, 0]) }, .shapeMismatch, field: gp + "rewards")
        assertRejected(.group { $0.truncated = WireTensor(bool: [true]) }, .shapeMismatch, field: gp + "truncated")
        assertRejected(
            .group { $0.promptIDs = WireTensor(int64: [1, 2], shape: [1, 2]) }, .shapeMismatch, field: gp + "prompt_ids"
        )
    }

    func testGroupBatchDTypesAndTokens() {
        assertRejected(
            .group { $0.promptTokens.storage = .int64([5, 6, 7, 8, 9]) }, .wrongDType, field: gp + "prompt_tokens")
        assertRejected(
            .group { $0.responseOffsets.storage = .int32([0, 2, 3, 5, 6]) }, .wrongDType, field: gp + "response_offsets"
        )
        assertRejected(.group { $0.truncated.storage = .uint8([0, 0, 1, 0]) }, .wrongDType, field: gp + "truncated")
        assertRejected(.group { $0.promptIDs.storage = .int32([100, 101]) }, .wrongDType, field: gp + "prompt_ids")
        assertRejected(
            .group { $0.responseTokens.storage = .int32([1, 2, -3, 4, 5, 6]) }, .outOfRange,
            field: gp + "response_tokens")
    }

    // MARK: - Weights and stats

    func testNames() {
        assertRejected(.weights { $0.tensors[1].name = "" }, .emptyName, field: "weights.tensors[1].name")
        assertRejected(
            .weights { $0.tensors[1].name = "actor.0.weight" }, .duplicateName, field: "weights.tensors[1].name")
        assertRejected(
            Frame(
                envelope: SampleFrames.actorEnvelope,
                payload: .stats(Stats(scalars: [Scalar(name: "a", value: 1), Scalar(name: "", value: 2)]))),
            .emptyName, field: "stats.scalars[1].name")
    }

    // MARK: - Status

    /// A status frame whose `json` field holds `bytes` as they are.
    private func statusFrame(json bytes: [UInt8]) -> [UInt8] {
        var status = ProtoWriter()
        status.lengthDelimited(1, bytes)
        return ProtoWriter.frame(envelope: SampleFrames.learnerEnvelope, payloadField: 12, payload: status.bytes)
    }

    func testStatusJSONMustBeUTF8() {
        let prefix = Array(#"{"host":"h"#.utf8)
        let invalid: [(String, [UInt8])] = [
            ("a stray byte", [0xff]),
            ("a continuation byte alone", [0x80]),
            ("a cut two-byte sequence", [0xc3]),
            ("an overlong slash", [0xc0, 0xaf]),
            ("a UTF-16 surrogate", [0xed, 0xa0, 0x80]),
            ("beyond U+10FFFF", [0xf4, 0x90, 0x80, 0x80]),
        ]
        for (what, bad) in invalid {
            let bytes = statusFrame(json: prefix + bad + Array(#""}"#.utf8))
            assertRejected(bytes, .malformed, field: "status.json")
            let length = prefix.count + bad.count + 2
            XCTAssertEqual(
                decodeError(bytes)?.detail, "not valid UTF-8 at byte \(prefix.count) of \(length)", what)
        }
        // Valid multi-byte text, and an empty document, decode.
        let text = #"{"host":"hôte-α🚀"}"#
        XCTAssertEqual(try Frame(decoding: statusFrame(json: Array(text.utf8))).payload, .status(Status(json: text)))
        XCTAssertEqual(try Frame(decoding: statusFrame(json: [])).payload, .status(Status(json: "")))
    }

    func testErrorDescriptionNamesFieldAndReason() {
        let error = WireError(.nonFinite, field: "trajectory_batch.rewards", "element 1")
        XCTAssertEqual(error.description, "trajectory_batch.rewards: non_finite: element 1")
        XCTAssertEqual(WireError(.malformed).description, "frame: malformed")
    }
}
