import XCTest

@testable import FleetWire

/// Sender ids are the exact bytes of `envelope.sender_id`: at most 64 of printable ASCII, refused
/// otherwise (`bad_sender_id`) by the decoder and by the header scan alike. And the header scan
/// (``FrameHeader``) reads what the decoder reads, at a fraction of its cost.
final class SenderIDTests: XCTestCase {
    /// A CartPole-sized batch frame of `sender`: 128 steps x `envs` environments.
    private func batch(sender: String, policyVersion: UInt64 = 3, envs: Int = 2) -> [UInt8] {
        var frame = SampleFrames.sample(.trajectoryBatch)
        frame.envelope = Envelope(senderID: sender, incarnation: 7, sequence: 9)
        if case .trajectoryBatch(var b) = frame.payload {
            b.policyVersion = policyVersion
            frame.payload = .trajectoryBatch(b)
        }
        return frame.encoded()
    }

    /// `bytes` with the first occurrence of `marker` replaced by `replacement` (of the same length,
    /// so every length prefix still holds): how a peer writes what the encoder never would.
    private func splice(_ bytes: [UInt8], _ marker: String, _ replacement: [UInt8]) throws -> [UInt8] {
        let needle = Array(marker.utf8)
        XCTAssertEqual(needle.count, replacement.count)
        let start = try XCTUnwrap(
            (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        var out = bytes
        out.replaceSubrange(start..<(start + needle.count), with: replacement)
        return out
    }

    private func reason(_ bytes: [UInt8]) -> WireError.Reason? {
        do {
            _ = try Frame(decoding: bytes)
            return nil
        } catch {
            return error.reason
        }
    }

    private func headerReason(_ bytes: [UInt8]) -> WireError.Reason? {
        do {
            _ = try FrameHeader(scanning: bytes)
            return nil
        } catch {
            return error.reason
        }
    }

    func testAnIDWithANULIsRefusedNotTakenForItsPrefix() throws {
        let forged = try splice(batch(sender: "actor-0XXXXX"), "actor-0XXXXX", Array("actor-0".utf8) + [0] + Array("evil".utf8))
        XCTAssertEqual(reason(forged), .badSenderID, "the decoder reads the field's bytes, not a C string")
        XCTAssertEqual(headerReason(forged), .badSenderID)
    }

    func testLongControlAndNonASCIIIDsAreRefused() throws {
        XCTAssertEqual(reason(batch(sender: String(repeating: "a", count: 256 << 10))), .badSenderID, "256 KiB")
        XCTAssertEqual(reason(batch(sender: String(repeating: "a", count: 65))), .badSenderID)
        XCTAssertNil(reason(batch(sender: String(repeating: "a", count: 64))), "64 bytes is the limit")
        XCTAssertEqual(reason(batch(sender: "actor-0\nlearner: forged")), .badSenderID, "a newline")
        XCTAssertEqual(reason(batch(sender: "actor 0")), .badSenderID, "a space")
        XCTAssertEqual(reason(batch(sender: "actör-0")), .badSenderID, "UTF-8")
        XCTAssertNil(reason(batch(sender: "")), "empty: an unknown sender, not a malformed one")
        for id in ["actor-0", "actor-123", "learner", "fleet-status", "env-worker-0", "reward-server"] {
            XCTAssertNil(Envelope.senderIDProblem(id.utf8), id)
        }
        var frame = SampleFrames.sample(.trajectoryBatch)
        frame.envelope.senderID = "a\u{7F}"
        XCTAssertThrowsError(try frame.validate()) { XCTAssertEqual(($0 as? WireError)?.reason, .badSenderID) }
    }

    func testAHelloHostIsAtMost255Bytes() {
        let envelope = Envelope(senderID: "actor-0", incarnation: 1, sequence: 0)
        func hello(_ host: String) -> [UInt8] {
            Frame(envelope: envelope, payload: .hello(Hello(specHash: [], numEnvs: 0, host: host, pid: 1))).encoded()
        }
        XCTAssertNil(reason(hello(String(repeating: "h", count: 255))))
        XCTAssertEqual(reason(hello(String(repeating: "h", count: 256))), .outOfRange)
        XCTAssertEqual(reason(hello(String(repeating: "h", count: 1 << 20))), .outOfRange, "1 MiB")
    }

    func testTheHeaderReadsWhatTheDecoderReads() throws {
        for frame in SampleFrames.all {
            let bytes = frame.encoded()
            let header = try FrameHeader(scanning: bytes)
            XCTAssertEqual(header.envelope, frame.envelope, "\(frame.kind)")
            XCTAssertEqual(header.payloadKind, frame.kind)
            XCTAssertEqual(header.batchPolicyVersion, frame.payload.batchPolicyVersion, "\(frame.kind)")
            XCTAssertEqual(header.batchSteps, frame.payload.batchSteps, "\(frame.kind)")
        }
        // protobuf merges a repeated envelope (the later fields win) and keeps the last oneof member.
        let first = batch(sender: "actor-1", policyVersion: 5)
        let later = Frame(
            envelope: Envelope(senderID: "actor-2", incarnation: 8, sequence: 10), payload: .heartbeat(Heartbeat(weightsVersion: 1, batchesSent: 2))
        ).encoded()
        let merged = first + later
        let decoded = try Frame(decoding: merged)
        let header = try FrameHeader(scanning: merged)
        XCTAssertEqual(header.envelope, decoded.envelope)
        XCTAssertEqual(header.payloadKind, .heartbeat)
        XCTAssertNil(header.batchPolicyVersion)
        let twice = try FrameHeader(scanning: first + batch(sender: "actor-1", policyVersion: 6))
        XCTAssertEqual(twice.batchPolicyVersion, 6)
        XCTAssertEqual(try Frame(decoding: first + batch(sender: "actor-1", policyVersion: 6)).payload.batchPolicyVersion, 6)
        XCTAssertThrowsError(try FrameHeader(scanning: [0x0A, 0xFF, 0xFF]))
        XCTAssertNil(try FrameHeader(scanning: []).envelope)
    }

    /// What a stale 17.5 MB frame costs the learner: the header scan against the full decode.
    func testTheHeaderScanCostsAFractionOfTheDecode() throws {
        let envs = 4_480  // 128 steps x 4480 environments x 4 floats: about 17.5 MB of observations
        var frame = SampleFrames.sample(.trajectoryBatch)
        guard case .trajectoryBatch = frame.payload else { return XCTFail("not a batch") }
        let cells = 128 * envs
        frame.payload = .trajectoryBatch(
            TrajectoryBatch(
                policyVersion: 0, numSteps: 128, numEnvs: UInt32(envs),
                observations: WireTensor(float32: [Float](repeating: 0.5, count: cells * 4), shape: [128, envs, 4]),
                actions: WireTensor(int64: [Int64](repeating: 0, count: cells), shape: [128, envs]),
                rewards: WireTensor(float32: [Float](repeating: 1, count: cells), shape: [128, envs]),
                terminated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [128, envs]),
                truncated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [128, envs]),
                behaviourLogProbs: WireTensor(float32: [Float](repeating: -0.7, count: cells), shape: [128, envs]),
                finalObservationSteps: .empty(.int64), finalObservations: WireTensor(float32: [], shape: [0, 4]),
                nextObservations: WireTensor(float32: [Float](repeating: 0.5, count: envs * 4), shape: [envs, 4]),
                episodeReturns: .empty(.float32), episodeLengths: .empty(.int64)))
        let bytes = frame.encoded()
        func seconds(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            for _ in 0..<repeats { try body() }
            let elapsed = ContinuousClock.now - start
            return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(repeats)
        }
        let decode = try seconds(3) { _ = try Frame(decoding: bytes) }
        let scan = try seconds(300) { _ = try FrameHeader(scanning: bytes) }
        XCTAssertLessThan(scan * 100, decode, "the scan skips the tensors")
        print(
            String(
                format: "WIRE | header scan vs decode | a %.1f MB batch frame: scan %.1f µs, decode %.1f ms (%.0fx)",
                Double(bytes.count) / 1e6, scan * 1e6, decode * 1e3, decode / scan))
    }
}
