import Foundation

/// A `.safetensors` file (Hugging Face's weights format): an 8-byte little-endian header length, a
/// JSON header naming each tensor's `dtype`, `shape` and `data_offsets` (begin and end, in bytes,
/// from the end of the header; an optional `__metadata__` map of strings), then the raw
/// little-endian tensor bytes.
///
/// Reading checks everything before it keeps anything: a header that is not inside the file, a
/// tensor whose bytes are not inside the data or overlap another's, a shape that does not match its
/// bytes, and a dtype other than `F32`, `F16` or `BF16` are refused with a ``SafeTensorsError``
/// naming the tensor and the field. Half-precision tensors are widened to float32 exactly.
public struct SafeTensors: Sendable {
    /// One tensor of the file, widened to float32.
    public struct Entry: Sendable, Equatable {
        public let shape: [Int]
        public let values: [Float]
    }

    /// The tensors by name.
    public private(set) var tensors: [String: Entry]
    /// The header's `__metadata__` (empty when absent).
    public private(set) var metadata: [String: String]

    /// Tensors to write: every one float32.
    public init(tensors: [String: Entry], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and checks the file at `url`.
    public init(contentsOf url: URL) throws {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw SafeTensorsError("\(url.path): cannot be read (\(error.localizedDescription))")
        }
        try self.init(bytes, source: url.lastPathComponent)
    }

    /// Reads and checks a file's bytes; `source` names it in errors.
    public init(_ bytes: Data, source: String = "safetensors") throws {
        let data = [UInt8](bytes)
        guard data.count >= 8 else { throw SafeTensorsError("\(source): \(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafeTensorsError("\(source): the header length \(headerLength) runs past the file's \(data.count) bytes")
        }
        let dataStart = 8 + Int(headerLength)
        let header: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(data[8..<dataStart])) as? [String: Any] else {
                throw SafeTensorsError("\(source): the header is not a JSON object")
            }
            header = object
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError("\(source): the header is not JSON (\(error.localizedDescription))")
        }
        let dataLength = data.count - dataStart
        var tensors: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(name: String, range: Range<Int>)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: String] else {
                    throw SafeTensorsError("\(source): __metadata__ must map strings to strings")
                }
                metadata = map
                continue
            }
            guard let fields = value as? [String: Any] else { throw SafeTensorsError("\(source): tensor '\(name)' is not an object") }
            guard let dtype = fields["dtype"] as? String else { throw SafeTensorsError("\(source): tensor '\(name)' has no dtype") }
            guard let elementSize = Self.elementSizes[dtype] else {
                throw SafeTensorsError(
                    "\(source): tensor '\(name)' has dtype \(dtype); Fleet reads F32, F16 and BF16 (convert the weights first)")
            }
            guard let shape = (fields["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                shape.count == (fields["shape"] as? [Any])?.count, shape.allSatisfy({ $0 >= 0 })
            else { throw SafeTensorsError("\(source): tensor '\(name)' has no shape of non-negative integers") }
            guard let offsets = (fields["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength
            else {
                throw SafeTensorsError("\(source): tensor '\(name)' has data_offsets outside the \(dataLength) bytes of data")
            }
            let count = shape.reduce(1, *)
            guard offsets[1] - offsets[0] == count * elementSize else {
                throw SafeTensorsError(
                    "\(source): tensor '\(name)' has shape \(shape) of \(dtype) (\(count * elementSize) bytes) but "
                        + "data_offsets span \(offsets[1] - offsets[0]) bytes")
            }
            let start = dataStart + offsets[0]
            tensors[name] = Entry(shape: shape, values: Self.floats(data[start..<(start + count * elementSize)], dtype: dtype))
            ranges.append((name, offsets[0]..<offsets[1]))
        }
        ranges.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (first, second) in zip(ranges, ranges.dropFirst()) where first.range.overlaps(second.range) {
            throw SafeTensorsError("\(source): tensors '\(first.name)' and '\(second.name)' overlap in the data")
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes: tensors in name order, float32, the header padded with spaces to a
    /// multiple of 8 bytes (as Hugging Face's writer does).
    public func serialized() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let entry = tensors[name]!
            guard entry.values.count == entry.shape.reduce(1, *) else {
                throw SafeTensorsError("tensor '\(name)' has \(entry.values.count) values for shape \(entry.shape)")
            }
            header[name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + 4 * entry.values.count]]
            offset += 4 * entry.values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            let values = tensors[name]!.values
            #if _endian(little)
            values.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for value in values {
                var bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
            }
            #endif
        }
        return out
    }

    private static let elementSizes = ["F32": 4, "F16": 2, "BF16": 2]

    /// Little-endian elements of `dtype` widened to float32 (exactly: every F16 and BF16 value is a float32).
    private static func floats(_ bytes: ArraySlice<UInt8>, dtype: String) -> [Float] {
        let size = dtype == "F32" ? 4 : 2
        let count = bytes.count / size
        return [Float](unsafeUninitializedCapacity: count) { floats, initialized in
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case "F32":
                    for i in 0..<count {
                        floats[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                case "BF16":
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        floats[i] = Float(bitPattern: UInt32(bits) << 16)
                    }
                default:  // F16
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        floats[i] = Float(Float16(bitPattern: bits))
                    }
                }
            }
            initialized = count
        }
    }
}

/// A `.safetensors` file Fleet cannot read, and why.
public struct SafeTensorsError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
