/// What a frame says of itself before it is unpacked: its envelope, which payload it carries and,
/// for a batch, the policy version it was made with — read straight from the protobuf bytes.
///
/// Reading it costs a walk over the frame's top-level fields, the envelope's and the batch's (every
/// tensor is skipped by its length prefix): microseconds for a frame of any size. The learner uses
/// it to refuse a frame from an unknown sender, of another incarnation, or with a stale policy
/// version before protobuf-c unpacks (and copies) its tensors. Fields are read as protobuf-c reads
/// them: the last value of a scalar field wins, repeated sub-messages are merged, and a oneof holds
/// the member that came last.
public struct FrameHeader: Sendable, Hashable {
    /// The envelope, nil when the frame has none. Its sender id is the field's exact bytes, which
    /// passed ``Envelope/senderIDProblem(_:)``.
    public var envelope: Envelope?
    /// The field number of the payload (`Frame.payload`), nil when there is none.
    public var payloadField: UInt32?
    /// The batch's `policy_version` when the payload is a trajectory or group batch.
    public var batchPolicyVersion: UInt64?
    /// What the batch claims to hold, as ``Payload/batchSteps`` counts it: `num_steps x num_envs`
    /// of a trajectory batch, prompts (the first dimension of `prompt_ids`) x `group_size` of a
    /// group batch. A claim only: nothing is checked yet.
    public var batchSteps: Int? {
        guard isBatch else { return nil }
        let (product, overflow) = Int(clamping: batchCounts[0]).multipliedReportingOverflow(by: Int(clamping: batchCounts[1]))
        return overflow ? Int.max : product
    }
    private var batchCounts: [UInt64] = [0, 0]

    /// The payload kind, when it is one this build knows.
    public var payloadKind: Payload.Kind? { payloadField.flatMap { Self.kinds[$0] } }

    /// Whether the payload is a trajectory or group batch.
    public var isBatch: Bool { payloadField == 2 || payloadField == 3 }

    /// Reads the header of `bytes`. Throws `malformed` when the top-level fields, the envelope's or
    /// the batch's do not parse as protobuf (protobuf-c would refuse the frame too), and
    /// `bad_sender_id` for a sender id that breaks the id rule.
    public init(scanning bytes: UnsafeRawBufferPointer) throws(WireError) {
        var top = _ProtobufScanner(bytes, 0..<bytes.count)
        var schemaVersion: UInt32 = 0, incarnation: UInt64 = 0, sequence: UInt64 = 0
        var senderID: Range<Int>?
        var sawEnvelope = false
        while let field = try top.next() {
            switch (field.number, field.content) {
            case (1, .bytes(let range)):
                sawEnvelope = true
                var envelope = _ProtobufScanner(bytes, range)
                while let inner = try envelope.next() {
                    switch (inner.number, inner.content) {
                    case (1, .varint(let v)): schemaVersion = UInt32(truncatingIfNeeded: v)
                    case (2, .bytes(let r)): senderID = r
                    case (3, .varint(let v)): incarnation = v
                    case (4, .varint(let v)): sequence = v
                    case (1...4, _): throw WireError(.malformed, field: "envelope", "field \(inner.number) of the wrong wire type")
                    default: break
                    }
                }
            case (1, _):
                throw WireError(.malformed, field: "envelope", "the envelope field has the wrong wire type")
            case (2...UInt64(Self.lastPayloadField), let content):
                guard case .bytes(let range) = content else {
                    throw WireError(.malformed, "payload field \(field.number) of the wrong wire type")
                }
                let number = UInt32(field.number)
                if payloadField != number {
                    // A oneof keeps the member that came last; a repeated one is merged.
                    payloadField = number
                    batchPolicyVersion = nil
                    batchCounts = [0, 0]
                }
                guard number == 2 || number == 3 else { continue }
                var batch = _ProtobufScanner(bytes, range)
                var version = batchPolicyVersion ?? 0
                while let inner = try batch.next() {
                    switch (inner.number, inner.content) {
                    case (1, .varint(let v)): version = v
                    case (1, _): throw WireError(.malformed, field: "policy_version", "the wrong wire type")
                    // Trajectory: num_steps, num_envs. Group: group_size, then prompt_ids' first dimension.
                    case (2, .varint(let v)): batchCounts[0] = v
                    case (3, .varint(let v)) where number == 2: batchCounts[1] = v
                    case (3, .bytes(let tensor)) where number == 3:
                        batchCounts[1] = try Self.firstDimension(bytes, tensor) ?? batchCounts[1]
                    default: break
                    }
                }
                batchPolicyVersion = version
            default:
                break
            }
        }
        if sawEnvelope {
            let id = senderID.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
            if let problem = Envelope.senderIDProblem(id) {
                throw WireError(.badSenderID, field: "envelope.sender_id", problem)
            }
            envelope = Envelope(
                schemaVersion: schemaVersion, senderID: String(decoding: id, as: UTF8.self), incarnation: incarnation,
                sequence: sequence)
        }
    }

    /// Reads the header of `bytes`; see ``init(scanning:)-(UnsafeRawBufferPointer)``.
    public init(scanning bytes: [UInt8]) throws(WireError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) -> FrameHeader in try FrameHeader(scanning: raw) }
        }
        self = try result.get()
    }

    /// The first entry of a `Tensor`'s `shape` (field 2, packed or not), nil when it has none.
    private static func firstDimension(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(WireError) -> UInt64? {
        var tensor = _ProtobufScanner(bytes, range)
        var first: UInt64?
        while let field = try tensor.next() {
            switch (field.number, field.content) {
            case (2, .varint(let v)): first = first ?? v
            case (2, .bytes(let packed)):
                var values = _ProtobufScanner(bytes, packed)
                if first == nil, let v = values.packedVarint() { first = v }
            default: break
            }
        }
        return first
    }

    /// The highest field number of `Frame.payload`.
    static let lastPayloadField: UInt32 = 21

    /// Payload kinds by field number (proto/fleet.proto's `Frame`).
    static let kinds: [UInt32: Payload.Kind] = [
        2: .trajectoryBatch, 3: .groupBatch, 4: .weights, 5: .hello, 6: .welcome, 7: .heartbeat, 8: .snapshotRequest,
        9: .stats, 10: .shutdown, 11: .statusRequest, 12: .status, 13: .refusal, 14: .envSpecRequest, 15: .envSpec,
        16: .envReset, 17: .envStep, 18: .envState, 19: .rewardRequest, 20: .rewardReply, 21: .credit,
    ]
}

/// Walks the fields of one protobuf message in `bytes[range]` without unpacking anything.
struct _ProtobufScanner {
    enum Content {
        case varint(UInt64)
        case fixed
        case bytes(Range<Int>)
    }

    private let bytes: UnsafeRawBufferPointer
    private var offset: Int
    private let end: Int

    init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        self.bytes = bytes
        offset = range.lowerBound
        end = range.upperBound
    }

    /// The next field, nil at the end; throws `malformed` where the bytes stop parsing.
    mutating func next() throws(WireError) -> (number: UInt64, content: Content)? {
        guard offset < end else { return nil }
        let at = offset
        guard let key = varint(), key >> 3 != 0, key >> 3 <= 0x1FFF_FFFF else {
            throw WireError(.malformed, "no field key at byte \(at)")
        }
        let number = key >> 3
        switch key & 7 {
        case 0:
            guard let value = varint() else { throw WireError(.malformed, "a varint runs off at byte \(offset)") }
            return (number, .varint(value))
        case 1, 5:
            let size = key & 7 == 1 ? 8 : 4
            guard end - offset >= size else { throw WireError(.malformed, "a fixed field runs off at byte \(offset)") }
            offset += size
            return (number, .fixed)
        case 2:
            guard let length = varint(), length <= UInt64(end - offset) else {
                throw WireError(.malformed, "a length prefix at byte \(at) claims more than the frame holds")
            }
            let range = offset..<(offset + Int(length))
            offset = range.upperBound
            return (number, .bytes(range))
        default:
            throw WireError(.malformed, "wire type \(key & 7) at byte \(at)")
        }
    }

    /// The next varint of a packed repeated field's bytes, nil at the end.
    mutating func packedVarint() -> UInt64? { offset < end ? varint() : nil }

    /// A varint of at most 10 bytes, or nil when it runs off the end or is longer.
    private mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end, shift < 70 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}
