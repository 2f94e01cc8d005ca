/// One record of a capture file: a batch frame exactly as its sender encoded it, and what became
/// of it. Every integer and float is little-endian.
///
/// ```
/// offset  size  field
///      0     1  layout version     1 (``layoutVersion``)
///      1     1  kind               1 consumed, 2 dropped, 3 sent (``Kind``)
///      2     2  reason length R    <= ``maxReasonLength``; 0 unless dropped
///      4     4  reserved           0
///      8     8  learner version    u64: the learner's weights version when it trained on (or
///                                  dropped) the batch; for `sent`, the version the actor held
///     16     8  arrival seconds    f64: seconds from the learner's start to the batch's arrival
///                                  (for `sent`, from the actor's start to the send)
///     24     8  event seconds      f64: seconds from the start to the update (or the drop)
///     32     R  reason             UTF-8, e.g. `stale`
///   32+R   ...  frame              the wire frame's bytes (``Frame``), unchanged
/// ```
///
/// Entries are the records of a ``RecordFile``, whose framing checksums them.
public struct CaptureEntry: Hashable, Sendable {
    /// What became of the batch.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// The learner trained on it; entries of one update share a learner version, in the order
        /// the update took them.
        case consumed = 1
        /// The learner dropped it (the reason says why).
        case dropped = 2
        /// An actor sent it (an actor's own capture).
        case sent = 3

        /// The name used in reports: `consumed`, `dropped`, `sent`.
        public var name: String {
            switch self {
            case .consumed: "consumed"
            case .dropped: "dropped"
            case .sent: "sent"
            }
        }
    }

    /// The layout version this code writes and reads.
    public static let layoutVersion: UInt8 = 1
    /// The longest reason an entry holds, in UTF-8 bytes.
    public static let maxReasonLength = 1024
    /// Bytes before the reason.
    package static let fixedSize = 32
    /// The longest record a capture file holds: the largest frame the learner decodes, with the
    /// fixed fields and the longest reason. Writers and readers of captures use this limit.
    public static let maxRecordLength = DecodeLimits.default.maxFrameBytes + fixedSize + maxReasonLength

    /// What became of the batch.
    public var kind: Kind
    /// The learner's weights version when it trained on or dropped the batch; for `sent`, the version
    /// the actor held.
    public var learnerVersion: UInt64
    /// Seconds from the learner's start to the batch's arrival (for `sent`, from the actor's start to the send).
    public var arrivalSeconds: Double
    /// Seconds from the start to the update that consumed the batch, or to its drop.
    public var eventSeconds: Double
    /// Why a dropped batch was dropped (a rejection reason such as `stale`); empty otherwise.
    public var reason: String
    /// The batch's frame bytes.
    public var frame: [UInt8]

    /// Creates an entry; a reason longer than ``maxReasonLength`` bytes is cut when encoded, not here.
    public init(
        kind: Kind, learnerVersion: UInt64, arrivalSeconds: Double, eventSeconds: Double, reason: String = "",
        frame: [UInt8]
    ) {
        self.kind = kind
        self.learnerVersion = learnerVersion
        self.arrivalSeconds = arrivalSeconds
        self.eventSeconds = eventSeconds
        self.reason = reason
        self.frame = frame
    }

    /// The entry's bytes (a reason longer than ``maxReasonLength`` is cut at a character boundary).
    public func encoded() -> [UInt8] {
        var reasonBytes = Array(reason.utf8)
        if reasonBytes.count > Self.maxReasonLength {
            // Back off continuation bytes (10xxxxxx) so that the cut falls before a character's first byte.
            var end = Self.maxReasonLength
            while end > 0, reasonBytes[end] & 0xC0 == 0x80 { end -= 1 }
            reasonBytes.removeSubrange(end...)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.fixedSize + reasonBytes.count + frame.count)
        bytes.append(Self.layoutVersion)
        bytes.append(kind.rawValue)
        append(&bytes, UInt16(reasonBytes.count))
        append(&bytes, UInt32(0))
        append(&bytes, learnerVersion)
        append(&bytes, arrivalSeconds.bitPattern)
        append(&bytes, eventSeconds.bitPattern)
        bytes += reasonBytes
        bytes += frame
        return bytes
    }

    /// Parses an entry; throws ``CaptureEntryError`` for bytes that are not one.
    public init(decoding bytes: [UInt8]) throws(CaptureEntryError) {
        guard bytes.count >= Self.fixedSize else { throw .tooShort(length: bytes.count) }
        guard bytes[0] == Self.layoutVersion else { throw .unsupportedLayoutVersion(bytes[0]) }
        guard let kind = Kind(rawValue: bytes[1]) else { throw .unknownKind(bytes[1]) }
        func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        let reasonLength = Int(load(UInt16.self, at: 2))
        guard reasonLength <= Self.maxReasonLength, Self.fixedSize + reasonLength <= bytes.count else {
            throw .badReasonLength(reasonLength)
        }
        guard let reason = String(validating: bytes[Self.fixedSize..<(Self.fixedSize + reasonLength)], as: UTF8.self)
        else { throw .reasonNotUTF8 }
        self.kind = kind
        learnerVersion = load(UInt64.self, at: 8)
        arrivalSeconds = Double(bitPattern: load(UInt64.self, at: 16))
        eventSeconds = Double(bitPattern: load(UInt64.self, at: 24))
        self.reason = reason
        frame = Array(bytes[(Self.fixedSize + reasonLength)...])
    }

    private func append<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Why a record of a capture file is not a ``CaptureEntry``.
public enum CaptureEntryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The record is shorter than the 32 bytes of fixed fields.
    case tooShort(length: Int)
    /// The layout version is not ``CaptureEntry/layoutVersion``.
    case unsupportedLayoutVersion(UInt8)
    /// The kind byte is not 1, 2 or 3.
    case unknownKind(UInt8)
    /// The reason length exceeds ``CaptureEntry/maxReasonLength`` or the record.
    case badReasonLength(Int)
    /// The reason is not valid UTF-8.
    case reasonNotUTF8

    /// A one-line message naming the field that does not fit.
    public var description: String {
        switch self {
        case .tooShort(let length): "a capture entry of \(length) bytes, shorter than its fixed fields"
        case .unsupportedLayoutVersion(let v): "capture entry layout version \(v), this build reads 1"
        case .unknownKind(let k): "unknown capture entry kind \(k)"
        case .badReasonLength(let n): "capture entry reason length \(n) does not fit"
        case .reasonNotUTF8: "capture entry reason is not UTF-8"
        }
    }
}
