/// Named, typed arrays in one byte string: how a checkpoint stores a learner's state (parameters,
/// optimizer moments, counters, generator states, normalizer statistics) bit for bit.
///
/// Unlike a wire `Weights` frame it has no size limit but memory's, and it keeps every float as
/// it is (a NaN moment or an infinite statistic round-trips; validation is the learner's).
/// Integrity is the checkpoint manifest's SHA-256; decoding still checks every length against the
/// bytes it has. Every integer and element is little-endian.
///
/// ```
/// "FLEETTA1"                         8 bytes
/// entry count                        u64
/// per entry:
///   name length, name                u32, UTF-8
///   dtype                            u8: 1 float32, 2 float64, 3 int64, 4 uint64, 5 uint8
///   rank, extents                    u8, rank x u64 (elements = their product; rank 0: one)
///   elements                         elements x dtype's size
/// ```
package struct TensorArchive: Equatable {
    /// An entry's elements, typed.
    package enum Values: Equatable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
        case uint64([UInt64])
        case uint8([UInt8])

        package var count: Int {
            switch self {
            case .float32(let v): v.count
            case .float64(let v): v.count
            case .int64(let v): v.count
            case .uint64(let v): v.count
            case .uint8(let v): v.count
            }
        }

        package var typeName: String {
            switch self {
            case .float32: "float32"
            case .float64: "float64"
            case .int64: "int64"
            case .uint64: "uint64"
            case .uint8: "uint8"
            }
        }

        /// Equal when the types match and every element has the same bit pattern.
        package static func == (a: Values, b: Values) -> Bool {
            switch (a, b) {
            case (.float32(let x), .float32(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
            case (.float64(let x), .float64(let y)): x.map(\.bitPattern) == y.map(\.bitPattern)
            case (.int64(let x), .int64(let y)): x == y
            case (.uint64(let x), .uint64(let y)): x == y
            case (.uint8(let x), .uint8(let y)): x == y
            default: false
            }
        }
    }

    /// One named array.
    package struct Entry: Equatable {
        package var name: String
        package var shape: [Int]
        package var values: Values
    }

    package static let magic = Array("FLEETTA1".utf8)

    /// The entries, in the order they were added.
    package private(set) var entries: [Entry] = []
    private var positions: [String: Int] = [:]

    package init() {}

    /// Adds an array of `shape` (default: one dimension, its count). Names are unique.
    package mutating func add(_ name: String, _ values: Values, shape: [Int]? = nil) {
        precondition(positions[name] == nil, "archive entry \"\(name)\" added twice")
        let shape = shape ?? [values.count]
        precondition(shape.reduce(1, *) == values.count, "\"\(name)\": \(values.count) elements for shape \(shape)")
        positions[name] = entries.count
        entries.append(Entry(name: name, shape: shape, values: values))
    }

    /// Adds a scalar (rank 0).
    package mutating func add(_ name: String, scalar values: Values) { add(name, values, shape: []) }

    /// The entry named `name`.
    package func entry(_ name: String) throws(TensorArchiveError) -> Entry {
        guard let position = positions[name] else { throw .missing(name: name) }
        return entries[position]
    }

    /// The entries whose names start with `prefix`, in order, with the prefix cut off their names.
    package func entries(prefixed prefix: String) -> [Entry] {
        entries.filter { $0.name.hasPrefix(prefix) }.map {
            Entry(name: String($0.name.dropFirst(prefix.count)), shape: $0.shape, values: $0.values)
        }
    }

    // MARK: Typed reads

    package func float32(_ name: String) throws(TensorArchiveError) -> (shape: [Int], values: [Float]) {
        let e = try entry(name)
        guard case .float32(let v) = e.values else { throw .wrongType(name: name, expected: "float32", found: e.values.typeName) }
        return (e.shape, v)
    }

    package func float64(_ name: String, count: Int? = nil) throws(TensorArchiveError) -> [Double] {
        let e = try entry(name)
        guard case .float64(let v) = e.values else { throw .wrongType(name: name, expected: "float64", found: e.values.typeName) }
        if let count, v.count != count { throw .wrongCount(name: name, expected: count, found: v.count) }
        return v
    }

    package func float64Scalar(_ name: String) throws(TensorArchiveError) -> Double { try float64(name, count: 1)[0] }

    package func int64Scalar(_ name: String) throws(TensorArchiveError) -> Int64 {
        let e = try entry(name)
        guard case .int64(let v) = e.values else { throw .wrongType(name: name, expected: "int64", found: e.values.typeName) }
        guard v.count == 1 else { throw .wrongCount(name: name, expected: 1, found: v.count) }
        return v[0]
    }

    package func uint64(_ name: String, count: Int) throws(TensorArchiveError) -> [UInt64] {
        let e = try entry(name)
        guard case .uint64(let v) = e.values else { throw .wrongType(name: name, expected: "uint64", found: e.values.typeName) }
        guard v.count == count else { throw .wrongCount(name: name, expected: count, found: v.count) }
        return v
    }

    package func string(_ name: String) throws(TensorArchiveError) -> String {
        let e = try entry(name)
        guard case .uint8(let v) = e.values else { throw .wrongType(name: name, expected: "uint8", found: e.values.typeName) }
        return String(decoding: v, as: UTF8.self)
    }

    // MARK: Bytes

    /// The archive's bytes.
    package func encoded() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(entries.reduce(16) { $0 + $1.name.utf8.count + 16 + 8 * $1.shape.count + 8 * $1.values.count })
        Self.append(UInt64(entries.count), to: &out)
        for entry in entries {
            let name = Array(entry.name.utf8)
            Self.append(UInt32(name.count), to: &out)
            out += name
            switch entry.values {
            case .float32: out.append(1)
            case .float64: out.append(2)
            case .int64: out.append(3)
            case .uint64: out.append(4)
            case .uint8: out.append(5)
            }
            out.append(UInt8(entry.shape.count))
            for extent in entry.shape { Self.append(UInt64(extent), to: &out) }
            switch entry.values {
            case .float32(let v): Self.appendElements(v.map(\.bitPattern), to: &out)
            case .float64(let v): Self.appendElements(v.map(\.bitPattern), to: &out)
            case .int64(let v): Self.appendElements(v, to: &out)
            case .uint64(let v): Self.appendElements(v, to: &out)
            case .uint8(let v): out += v
            }
        }
        return out
    }

    /// Reads an archive; throws ``TensorArchiveError/malformed(offset:_:)`` for bytes that are not
    /// one (a wrong magic, a length past the end, an unknown dtype, trailing bytes).
    package init(decoding bytes: [UInt8]) throws(TensorArchiveError) {
        var reader = _ByteReader(bytes: bytes)
        guard try reader.take(Self.magic.count) == Self.magic else { throw .malformed(offset: 0, "not a tensor archive") }
        let count = try reader.integer(UInt64.self)
        guard count <= UInt64(bytes.count) else { throw .malformed(offset: 8, "\(count) entries in \(bytes.count) bytes") }
        for _ in 0..<Int(count) {
            let start = reader.offset
            let nameLength = Int(try reader.integer(UInt32.self))
            let name = String(decoding: try reader.take(nameLength), as: UTF8.self)
            let dtype = try reader.take(1)[0]
            let rank = Int(try reader.take(1)[0])
            var shape: [Int] = []
            var elements = 1
            for _ in 0..<rank {
                let extent = try reader.integer(UInt64.self)
                guard extent <= UInt64(bytes.count) else { throw .malformed(offset: start, "\"\(name)\": extent \(extent)") }
                shape.append(Int(extent))
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(extent))
                guard !overflow, product <= bytes.count else {
                    throw .malformed(offset: start, "\"\(name)\": shape \(shape) is larger than the archive")
                }
                elements = product
            }
            let values: Values
            switch dtype {
            case 1: values = .float32(try reader.elements(UInt32.self, count: elements).map(Float.init(bitPattern:)))
            case 2: values = .float64(try reader.elements(UInt64.self, count: elements).map(Double.init(bitPattern:)))
            case 3: values = .int64(try reader.elements(Int64.self, count: elements))
            case 4: values = .uint64(try reader.elements(UInt64.self, count: elements))
            case 5: values = .uint8(try reader.take(elements))
            default: throw .malformed(offset: start, "\"\(name)\": unknown dtype \(dtype)")
            }
            guard positions[name] == nil else { throw .malformed(offset: start, "\"\(name)\" occurs twice") }
            positions[name] = entries.count
            entries.append(Entry(name: name, shape: shape, values: values))
        }
        guard reader.offset == bytes.count else {
            throw .malformed(offset: reader.offset, "\(bytes.count - reader.offset) bytes after the last entry")
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private static func appendElements<T: FixedWidthInteger>(_ values: [T], to out: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { out += $0 }
        #else
        for value in values { append(value, to: &out) }
        #endif
    }
}

/// Why a tensor archive cannot be read, or lacks what a learner needs.
package enum TensorArchiveError: Error, Equatable, CustomStringConvertible {
    case malformed(offset: Int, String)
    case missing(name: String)
    case wrongType(name: String, expected: String, found: String)
    case wrongCount(name: String, expected: Int, found: Int)

    package var description: String {
        switch self {
        case .malformed(let offset, let what): "malformed at byte \(offset): \(what)"
        case .missing(let name): "no entry \"\(name)\""
        case .wrongType(let name, let expected, let found): "\"\(name)\" is \(found), expected \(expected)"
        case .wrongCount(let name, let expected, let found): "\"\(name)\" has \(found) elements, expected \(expected)"
        }
    }
}

/// Reads little-endian values off a byte array, checking every length against what is left.
private struct _ByteReader {
    package let bytes: [UInt8]
    package var offset = 0

    package mutating func take(_ count: Int) throws(TensorArchiveError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - offset else {
            throw .malformed(offset: offset, "\(count) bytes wanted, \(bytes.count - offset) left")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    package mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(TensorArchiveError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= bytes.count - offset else { throw .malformed(offset: offset, "truncated") }
        var value: T = 0
        for i in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        offset += size
        return value
    }

    package mutating func elements<T: FixedWidthInteger>(_ type: T.Type, count: Int) throws(TensorArchiveError) -> [T] {
        let size = MemoryLayout<T>.size
        guard count <= (bytes.count - offset) / size else {
            throw .malformed(offset: offset, "\(count) elements of \(size) bytes wanted, \(bytes.count - offset) bytes left")
        }
        var values = [T](repeating: 0, count: count)
        #if _endian(little)
        values.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count * size)]))
            }
        }
        offset += count * size
        #else
        for i in 0..<count { values[i] = try integer(T.self) }
        #endif
        return values
    }
}
