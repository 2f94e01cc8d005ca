import Foundation
import XCTest

@testable import FleetWire

/// A minimal protobuf writer, to craft frames the Swift types cannot express (absent fields,
/// unknown dtypes, stray bool bytes, huge repeated fields).
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, wireType: Int) { varint(UInt64(field << 3 | wireType)) }

    mutating func uint(_ field: Int, _ value: UInt64) {
        tag(field, wireType: 0)
        varint(value)
    }

    mutating func lengthDelimited(_ field: Int, _ payload: [UInt8]) {
        tag(field, wireType: 2)
        varint(UInt64(payload.count))
        bytes += payload
    }

    mutating func string(_ field: Int, _ s: String) { lengthDelimited(field, Array(s.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        lengthDelimited(field, inner.bytes)
    }

    /// A `fleet.v1.Tensor` body.
    static func tensor(dtype: UInt64, shape: [UInt64], data: [UInt8]) -> [UInt8] {
        var w = ProtoWriter()
        w.uint(1, dtype)
        var packed = ProtoWriter()
        for d in shape { packed.varint(d) }
        if !shape.isEmpty { w.lengthDelimited(2, packed.bytes) }
        if !data.isEmpty { w.lengthDelimited(3, data) }
        return w.bytes
    }

    /// A `fleet.v1.Tensor` body with the little-endian bytes of `t`.
    static func tensor(_ t: WireTensor) -> [UInt8] {
        let data: [UInt8]
        switch t.storage {
        case .float32(let v): data = v.withUnsafeBytes { Array($0) }
        case .float64(let v): data = v.withUnsafeBytes { Array($0) }
        case .int32(let v): data = v.withUnsafeBytes { Array($0) }
        case .int64(let v): data = v.withUnsafeBytes { Array($0) }
        case .uint8(let v): data = v
        case .bool(let v): data = v.map { $0 ? 1 : 0 }
        }
        return tensor(dtype: UInt64(t.dtype.rawValue), shape: t.shape.map { UInt64($0) }, data: data)
    }

    /// A frame of `envelope` (or none) and the payload `field` with body `payload` (or none).
    static func frame(
        envelope: Envelope? = SampleFrames.actorEnvelope, payloadField: Int?, payload: [UInt8]
    ) -> [UInt8] {
        var w = ProtoWriter()
        if let e = envelope {
            w.message(1) { m in
                m.uint(1, UInt64(e.schemaVersion))
                m.string(2, e.senderID)
                m.uint(3, e.incarnation)
                m.uint(4, e.sequence)
            }
        }
        if let payloadField { w.lengthDelimited(payloadField, payload) }
        return w.bytes
    }

    /// The sample trajectory batch written field by field; `replace` swaps a tensor field's body
    /// (by field number) or drops it (nil).
    static func sampleTrajectoryFrame(replace: [Int: [UInt8]?] = [:]) -> [UInt8] {
        guard case .trajectoryBatch(let b) = SampleFrames.trajectoryBatch.payload else { return [] }
        let tensors: [(Int, WireTensor)] = [
            (4, b.observations), (5, b.actions), (6, b.rewards), (7, b.terminated), (8, b.truncated),
            (9, b.behaviourLogProbs), (10, b.finalObservationSteps), (11, b.finalObservations),
            (12, b.nextObservations), (13, b.episodeReturns), (14, b.episodeLengths),
        ]
        var w = ProtoWriter()
        w.uint(1, b.policyVersion)
        w.uint(2, UInt64(b.numSteps))
        w.uint(3, UInt64(b.numEnvs))
        for (field, t) in tensors {
            let body: [UInt8]? = replace.keys.contains(field) ? replace[field] ?? nil : tensor(t)
            if let body { w.lengthDelimited(field, body) }
        }
        return frame(payloadField: 2, payload: w.bytes)
    }
}

/// Decodes `bytes` and returns the error, or nil when they decoded.
func decodeError(_ bytes: [UInt8], limits: DecodeLimits = .default) -> WireError? {
    do throws(WireError) {
        _ = try Frame(decoding: bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Asserts that decoding `bytes` fails with `reason` at `field`.
func assertRejected(
    _ bytes: [UInt8], _ reason: WireError.Reason, field: String, limits: DecodeLimits = .default,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard let error = decodeError(bytes, limits: limits) else {
        XCTFail("decoded, expected \(reason) at \(field)", file: file, line: line)
        return
    }
    XCTAssertEqual(error.reason, reason, "\(error)", file: file, line: line)
    XCTAssertEqual(error.field, field, "\(error)", file: file, line: line)
}

/// Asserts that `frame` fails `validate()`, and its encoding fails decoding, with `reason` at `field`.
func assertRejected(
    _ frame: Frame, _ reason: WireError.Reason, field: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    do throws(WireError) {
        try frame.validate()
        XCTFail("validated, expected \(reason) at \(field)", file: file, line: line)
    } catch {
        XCTAssertEqual(error.reason, reason, "validate: \(error)", file: file, line: line)
        XCTAssertEqual(error.field, field, "validate: \(error)", file: file, line: line)
    }
    assertRejected(frame.encoded(), reason, field: field, file: file, line: line)
}

extension Frame {
    /// The sample trajectory batch with `change` applied.
    static func trajectory(_ change: (inout TrajectoryBatch) -> Void) -> Frame {
        var frame = SampleFrames.trajectoryBatch
        if case .trajectoryBatch(var b) = frame.payload {
            change(&b)
            frame.payload = .trajectoryBatch(b)
        }
        return frame
    }

    /// The sample group batch with `change` applied.
    static func group(_ change: (inout GroupBatch) -> Void) -> Frame {
        var frame = SampleFrames.groupBatch
        if case .groupBatch(var b) = frame.payload {
            change(&b)
            frame.payload = .groupBatch(b)
        }
        return frame
    }

    /// The sample weights with `change` applied.
    static func weights(_ change: (inout Weights) -> Void) -> Frame {
        var frame = SampleFrames.weights
        if case .weights(var w) = frame.payload {
            change(&w)
            frame.payload = .weights(w)
        }
        return frame
    }
}
