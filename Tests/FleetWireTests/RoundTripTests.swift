import XCTest

@testable import FleetWire

final class RoundTripTests: XCTestCase {
    private func assertRoundTrip(_ frame: Frame, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = frame.encoded()
        XCTAssertEqual(bytes.count, frame.encodedByteCount, file: file, line: line)
        do throws(WireError) {
            let decoded = try Frame(decoding: bytes)
            XCTAssertEqual(decoded, frame, file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testEverySampleRoundTrips() {
        XCTAssertEqual(SampleFrames.all.map(\.kind), Payload.Kind.allCases)
        for frame in SampleFrames.all { assertRoundTrip(frame) }
    }

    func testKindRawValuesAreProtoFieldNames() {
        XCTAssertEqual(
            Payload.Kind.allCases.map(\.rawValue),
            [
                "trajectory_batch", "group_batch", "weights", "hello", "welcome", "heartbeat",
                "snapshot_request", "stats", "shutdown", "status_request", "status", "refusal",
                "env_spec_request", "env_spec", "env_reset", "env_step", "env_state", "reward_request", "reward_reply",
                "credit",
            ])
    }

    func testEmptyTrajectoryBatch() {
        let frame = Frame(
            envelope: SampleFrames.actorEnvelope,
            payload: .trajectoryBatch(
                TrajectoryBatch(
                    policyVersion: 0, numSteps: 0, numEnvs: 0,
                    observations: .empty(.float32, trailing: [0, 4]),
                    actions: .empty(.int64, trailing: [0]),
                    rewards: .empty(.float32, trailing: [0]),
                    terminated: .empty(.bool, trailing: [0]),
                    truncated: .empty(.bool, trailing: [0]),
                    behaviourLogProbs: .empty(.float32, trailing: [0]),
                    nextObservations: .empty(.float32, trailing: [4]))))
        assertRoundTrip(frame)
    }

    func testContinuousActionsAndUInt8Observations() {
        let frame = Frame(
            envelope: SampleFrames.actorEnvelope,
            payload: .trajectoryBatch(
                TrajectoryBatch(
                    policyVersion: 1, numSteps: 1, numEnvs: 2,
                    observations: WireTensor(uint8: [0, 255, 7, 8], shape: [1, 2, 2]),
                    actions: WireTensor(float32: [0.5, -0.5, 1, -1, 2, -2], shape: [1, 2, 3]),
                    rewards: WireTensor(float32: [0, 1], shape: [1, 2]),
                    terminated: WireTensor(bool: [false, false], shape: [1, 2]),
                    truncated: WireTensor(bool: [false, false], shape: [1, 2]),
                    behaviourLogProbs: WireTensor(float32: [-1, -2], shape: [1, 2]),
                    nextObservations: WireTensor(uint8: [1, 2, 3, 4], shape: [2, 2]))))
        assertRoundTrip(frame)
    }

    func testGroupBatchWithZeroLengthResponsesAndNoPrompts() {
        assertRoundTrip(
            .group { b in
                b.responseTokens = WireTensor(int32: [])
                b.responseOffsets = WireTensor(int64: [0, 0, 0, 0, 0])
                b.behaviourLogProbs = WireTensor(float32: [])
            })
        assertRoundTrip(
            .group { b in
                b.groupSize = 3
                b.promptIDs = WireTensor(int64: [])
                b.promptTokens = WireTensor(int32: [])
                b.promptOffsets = WireTensor(int64: [0])
                b.responseTokens = WireTensor(int32: [])
                b.responseOffsets = WireTensor(int64: [0])
                b.behaviourLogProbs = WireTensor(float32: [])
                b.rewards = WireTensor(float32: [])
                b.truncated = WireTensor(bool: [])
            })
    }

    func testWeightsOfEveryDTypeScalarsAndEmptyTensors() {
        assertRoundTrip(
            .weights { w in
                w.version = .max
                w.modelSpecHash = []
                w.tensors = [
                    NamedTensor(name: "scalar", tensor: WireTensor(float32: [3.5], shape: [])),
                    NamedTensor(
                        name: "f64", tensor: WireTensor(float64: [1e300, -0.0, .leastNonzeroMagnitude], shape: [3])),
                    NamedTensor(name: "i32", tensor: WireTensor(int32: [.min, -1, .max], shape: [3, 1])),
                    NamedTensor(name: "i64", tensor: WireTensor(int64: [.min, .max], shape: [1, 2])),
                    NamedTensor(name: "u8", tensor: WireTensor(uint8: [0, 1, 255])),
                    NamedTensor(name: "flags", tensor: WireTensor(bool: [true, false, true])),
                    NamedTensor(name: "empty", tensor: .empty(.float32, trailing: [5])),
                    NamedTensor(name: "empty-2d", tensor: WireTensor(float64: [], shape: [3, 0])),
                ]
            })
        assertRoundTrip(.weights { $0.tensors = [] })
    }

    func testControlMessagesWithExtremeAndEmptyValues() {
        let env = Envelope(senderID: "", incarnation: .max, sequence: 0)
        assertRoundTrip(Frame(envelope: env, payload: .hello(Hello(specHash: [], numEnvs: 0, host: "", pid: .max))))
        assertRoundTrip(Frame(envelope: env, payload: .welcome(Welcome(weightsVersion: 0, learnerIncarnation: .max))))
        assertRoundTrip(Frame(envelope: env, payload: .heartbeat(Heartbeat(weightsVersion: .max, batchesSent: 0))))
        assertRoundTrip(Frame(envelope: env, payload: .snapshotRequest(SnapshotRequest(haveVersion: .max))))
        assertRoundTrip(Frame(envelope: env, payload: .stats(Stats(scalars: []))))
        assertRoundTrip(
            Frame(
                envelope: Envelope(senderID: "acteur-7!~", incarnation: 1, sequence: 1),
                payload: .stats(
                    Stats(scalars: [
                        Scalar(name: "inf", value: .infinity), Scalar(name: "tiny", value: -.leastNonzeroMagnitude),
                    ]))))
        assertRoundTrip(Frame(envelope: env, payload: .shutdown(Shutdown(reason: ""))))
        assertRoundTrip(Frame(envelope: env, payload: .statusRequest(StatusRequest())))
        assertRoundTrip(Frame(envelope: env, payload: .status(Status(json: ""))))
    }

    func testStatusOfManyActorsRoundTrips() {
        // A learner with 500 actors: about 50 kB of JSON, with non-ASCII text and JSON escapes.
        let actors = (0..<500).map { i in
            #""actor-\#(i)":{"state":"live","host":"hôte-\#(i % 7)-α🚀","weights_version":\#(1000 + i),"#
                + #""batches_sent":\#(i * 37),"last_error":"tab\there \"quoted\" \\ \u0000"}"#
        }
        let json = #"{"version":3,"actors":{"# + actors.joined(separator: ",") + "}}"
        XCTAssertGreaterThan(json.utf8.count, 50_000)
        let frame = Frame(envelope: SampleFrames.learnerEnvelope, payload: .status(Status(json: json)))
        assertRoundTrip(frame)
    }

    func testStatusRequestWithFieldsOfALaterSchemaStillDecodes() throws {
        // A later schema may give StatusRequest options; this build reads such a request as a
        // plain one.
        var options = ProtoWriter()
        options.uint(1, 7)
        options.string(2, "verbose")
        let frame = try Frame(decoding: ProtoWriter.frame(payloadField: 11, payload: options.bytes))
        XCTAssertEqual(frame.payload, .statusRequest(StatusRequest()))
    }

    func testAbsentOptionalTrajectoryTensorsReadAsEmpty() throws {
        // A batch with no truncated step and no finished episode may leave the four optional
        // tensors out entirely.
        guard case .trajectoryBatch(let sample) = SampleFrames.trajectoryBatch.payload else { return XCTFail() }
        var noTruncation = sample.truncated
        noTruncation.storage = .bool([false, false, false, false])
        let bytes = ProtoWriter.sampleTrajectoryFrame(replace: [
            8: ProtoWriter.tensor(noTruncation), 10: nil, 11: nil, 13: nil, 14: nil,
        ])
        let frame = try Frame(decoding: bytes)
        guard case .trajectoryBatch(let b) = frame.payload else { return XCTFail("\(frame.kind)") }
        XCTAssertEqual(b.finalObservationSteps, WireTensor(int64: [], shape: [0]))
        XCTAssertEqual(b.finalObservations, WireTensor(float32: [], shape: [0, 3]))
        XCTAssertEqual(b.episodeReturns, WireTensor(float32: [], shape: [0]))
        XCTAssertEqual(b.episodeLengths, WireTensor(int64: [], shape: [0]))
        XCTAssertEqual(b.observations, sample.observations)
    }

    func testEncodeIntoCallerBuffer() {
        let frame = SampleFrames.trajectoryBatch
        let expected = frame.encoded()
        let buffer: UnsafeMutableRawBufferPointer = frame.encode { byteCount in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 1)
            return (buffer, buffer)
        }
        defer { buffer.deallocate() }
        XCTAssertEqual(Array(buffer), expected)
    }

    func testTypedAccessors() {
        let t = WireTensor(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(t.dtype, .float32)
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.byteCount, 24)
        XCTAssertEqual(t.shapeElementCount, 6)
        XCTAssertEqual(t.float32, [1, 2, 3, 4, 5, 6])
        XCTAssertNil(t.int64)
        XCTAssertEqual(WireTensor(int64: [7], shape: []).shapeElementCount, 1)
        XCTAssertNil(WireTensor(shape: [Int.max, 2], storage: .uint8([])).shapeElementCount)
    }
}
