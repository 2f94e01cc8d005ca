/// Why a frame was refused, with the field it concerns.
///
/// Every decode and validation failure is a `WireError`: the learner counts rejected frames by
/// `reason.rawValue` (a stable short label) and logs `field` and `detail` for people.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable short label for counters, e.g. `shape_mismatch`. Compare with the static members.
    public struct Reason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The label itself, e.g. `shape_mismatch`.
        public let rawValue: String
        /// Creates a reason from a label; prefer the static members, which are the labels this module reports.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The label.
        public var description: String { rawValue }

        /// The frame is larger than `DecodeLimits.maxFrameBytes`; it was not unpacked.
        public static let frameTooLarge = Reason(rawValue: "frame_too_large")
        /// protobuf-c could not parse the bytes, or a string that must be valid UTF-8 (as proto3
        /// requires; for now `status.json`) is not.
        public static let malformed = Reason(rawValue: "malformed")
        /// Unpacking needed more memory than `DecodeLimits.maxUnpackedBytes`.
        public static let budgetExceeded = Reason(rawValue: "budget_exceeded")
        /// `envelope.schema_version` is not one this build reads.
        public static let unsupportedSchemaVersion = Reason(rawValue: "unsupported_schema_version")
        /// The frame has no envelope.
        public static let missingEnvelope = Reason(rawValue: "missing_envelope")
        /// The frame has no payload (or one this build does not know).
        public static let missingPayload = Reason(rawValue: "missing_payload")
        /// A required sub-message (usually a tensor) is absent.
        public static let missingField = Reason(rawValue: "missing_field")
        /// A tensor's dtype is unspecified or unknown.
        public static let unknownDType = Reason(rawValue: "unknown_dtype")
        /// A tensor's data length, shape or count disagrees with its shape or with other fields.
        public static let shapeMismatch = Reason(rawValue: "shape_mismatch")
        /// A tensor has a known dtype, but not the one its field requires.
        public static let wrongDType = Reason(rawValue: "wrong_dtype")
        /// A floating-point value is NaN or infinite.
        public static let nonFinite = Reason(rawValue: "non_finite")
        /// Ragged-array offsets do not start at 0, decrease, or do not end at the flat length.
        public static let badOffsets = Reason(rawValue: "bad_offsets")
        /// A bool tensor holds a byte other than 0 or 1.
        public static let badBool = Reason(rawValue: "bad_bool")
        /// A value lies outside its allowed range (an index, a count, a token id).
        public static let outOfRange = Reason(rawValue: "out_of_range")
        /// Fields disagree in a way no single shape shows (e.g. a final observation for a step
        /// that was not truncated).
        public static let inconsistent = Reason(rawValue: "inconsistent")
        /// A name is empty where one is required.
        public static let emptyName = Reason(rawValue: "empty_name")
        /// A name occurs twice where names must be unique.
        public static let duplicateName = Reason(rawValue: "duplicate_name")
        /// The envelope's sender id breaks ``Envelope/senderIDProblem(_:)``: longer than 64 bytes, or
        /// a byte that is not printable ASCII (a NUL, a newline, a space, UTF-8).
        public static let badSenderID = Reason(rawValue: "bad_sender_id")

        /// Every reason this module reports, for counters that want to list zeros too.
        public static let all: [Reason] = [
            .frameTooLarge, .malformed, .budgetExceeded, .unsupportedSchemaVersion,
            .missingEnvelope, .missingPayload, .missingField, .unknownDType, .shapeMismatch,
            .wrongDType, .nonFinite, .badOffsets, .badBool, .outOfRange, .inconsistent,
            .emptyName, .duplicateName, .badSenderID,
        ]
    }

    /// The label to count the failure under.
    public var reason: Reason
    /// The proto field path the failure concerns, e.g. `trajectory_batch.rewards` or
    /// `weights.tensors[2].tensor`; empty when it concerns the frame as a whole.
    public var field: String
    /// A sentence for people; not stable, do not parse.
    public var detail: String
    /// The sender id of the frame's envelope, when the frame unpacked that far: whom to count a
    /// frame with bad content against. (It is the frame's claim; only CURVE authenticates it.)
    public var senderID: String?

    /// Creates an error; `field` is the proto field path, empty for the frame as a whole.
    public init(_ reason: Reason, field: String = "", _ detail: String = "") {
        self.reason = reason
        self.field = field
        self.detail = detail
    }

    /// `<field>: <reason>: <detail>`, with `frame` for an empty field and without an empty detail.
    public var description: String {
        let place = field.isEmpty ? "frame" : field
        return detail.isEmpty ? "\(place): \(reason)" : "\(place): \(reason): \(detail)"
    }
}
