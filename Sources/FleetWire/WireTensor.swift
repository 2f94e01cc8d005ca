/// A dense row-major array as it travels on the wire (`fleet.v1.Tensor`).
///
/// `shape` lists the dimensions; an empty shape is a scalar (one element). `storage` holds the
/// elements in row-major order, typed. A tensor whose element count differs from the product of
/// its shape can be built, but it fails validation (`shape_mismatch`) and is never decoded.
public struct WireTensor: Sendable, Hashable {
    /// Typed element storage.
    public enum Storage: Sendable, Hashable {
        case float32([Float])
        case float64([Double])
        case int32([Int32])
        case int64([Int64])
        case uint8([UInt8])
        case bool([Bool])

        /// The dtype of these elements.
        public var dtype: DType {
            switch self {
            case .float32: .float32
            case .float64: .float64
            case .int32: .int32
            case .int64: .int64
            case .uint8: .uint8
            case .bool: .bool
            }
        }

        /// The number of elements.
        public var count: Int {
            switch self {
            case .float32(let v): v.count
            case .float64(let v): v.count
            case .int32(let v): v.count
            case .int64(let v): v.count
            case .uint8(let v): v.count
            case .bool(let v): v.count
            }
        }

        /// Empty storage of `dtype`.
        public static func empty(_ dtype: DType) -> Storage {
            switch dtype {
            case .float32: .float32([])
            case .float64: .float64([])
            case .int32: .int32([])
            case .int64: .int64([])
            case .uint8: .uint8([])
            case .bool: .bool([])
            }
        }
    }

    /// The dimensions, outermost first.
    public var shape: [Int]
    /// The elements, row-major.
    public var storage: Storage

    /// A tensor of `shape` over `storage`.
    public init(shape: [Int], storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    /// A float32 tensor; `shape` defaults to one dimension of `values.count`.
    public init(float32 values: [Float], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .float32(values))
    }
    /// A float64 tensor; `shape` defaults to one dimension of `values.count`.
    public init(float64 values: [Double], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .float64(values))
    }
    /// An int32 tensor; `shape` defaults to one dimension of `values.count`.
    public init(int32 values: [Int32], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .int32(values))
    }
    /// An int64 tensor; `shape` defaults to one dimension of `values.count`.
    public init(int64 values: [Int64], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .int64(values))
    }
    /// A uint8 tensor; `shape` defaults to one dimension of `values.count`.
    public init(uint8 values: [UInt8], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .uint8(values))
    }
    /// A bool tensor; `shape` defaults to one dimension of `values.count`.
    public init(bool values: [Bool], shape: [Int]? = nil) {
        self.init(shape: shape ?? [values.count], storage: .bool(values))
    }

    /// An empty tensor of `dtype` whose first dimension is 0, followed by `trailing`.
    public static func empty(_ dtype: DType, trailing: [Int] = []) -> WireTensor {
        WireTensor(shape: [0] + trailing, storage: .empty(dtype))
    }

    /// The element type.
    public var dtype: DType { storage.dtype }
    /// The number of elements held.
    public var count: Int { storage.count }
    /// The number of data bytes on the wire.
    public var byteCount: Int { storage.count * storage.dtype.elementSize }

    /// The elements if the dtype is float32, else nil.
    public var float32: [Float]? { if case .float32(let v) = storage { v } else { nil } }
    /// The elements if the dtype is float64, else nil.
    public var float64: [Double]? { if case .float64(let v) = storage { v } else { nil } }
    /// The elements if the dtype is int32, else nil.
    public var int32: [Int32]? { if case .int32(let v) = storage { v } else { nil } }
    /// The elements if the dtype is int64, else nil.
    public var int64: [Int64]? { if case .int64(let v) = storage { v } else { nil } }
    /// The elements if the dtype is uint8, else nil.
    public var uint8: [UInt8]? { if case .uint8(let v) = storage { v } else { nil } }
    /// The elements if the dtype is bool, else nil.
    public var bool: [Bool]? { if case .bool(let v) = storage { v } else { nil } }

    /// The product of `shape` (1 for a scalar), or nil if a dimension is negative or the product
    /// overflows `Int`.
    public var shapeElementCount: Int? { WireTensor.elementCount(of: shape) }

    /// The product of `dims`, or nil if one is negative or the product overflows `Int`.
    static func elementCount(of dims: [Int]) -> Int? {
        var product = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            product = p
        }
        return product
    }
}
