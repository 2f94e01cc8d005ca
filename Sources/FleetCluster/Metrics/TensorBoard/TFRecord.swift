import FleetWire

/// TFRecord framing, which TensorBoard event files use: each record is its length (u64, little
/// endian), the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
package enum TFRecord {
    /// Appends `data` as one record to `output`.
    package static func append(_ data: [UInt8], to output: inout [UInt8]) {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length.append(contentsOf: $0) }
        output.append(contentsOf: length)
        appendUInt32(CRC32C.mask(CRC32C.checksum(length)), to: &output)
        output.append(contentsOf: data)
        appendUInt32(CRC32C.mask(CRC32C.checksum(data)), to: &output)
    }

    private static func appendUInt32(_ value: UInt32, to output: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
    }
}
