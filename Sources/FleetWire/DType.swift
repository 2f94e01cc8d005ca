/// The element type of a `WireTensor` (`fleet.v1.DType`, without `DTYPE_UNSPECIFIED`).
public enum DType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case float32 = 1
    case float64 = 2
    case int32 = 3
    case int64 = 4
    case uint8 = 5
    /// One byte per element, 0 or 1.
    case bool = 6

    /// Bytes per element on the wire.
    public var elementSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .uint8, .bool: 1
        }
    }

    /// Whether values of this type must be finite to pass validation.
    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

    /// The lowercase name, as in the proto enum without its prefix: `float32`, `bool`, ...
    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .bool: "bool"
        }
    }
}
