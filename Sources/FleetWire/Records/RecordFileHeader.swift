/// The header at the start of every record file (see ``RecordFile`` for the byte layout).
public struct RecordFileHeader: Hashable, Sendable {
    /// The record file format version (``RecordFile/formatVersion`` for files this code writes).
    public let formatVersion: UInt32
    /// The wire schema version of the records' payloads.
    public let schemaVersion: UInt32
    /// The run that wrote the file.
    public let runID: String

    /// A header for a new file in the current format.
    public init(schemaVersion: UInt32, runID: String) {
        self.formatVersion = RecordFile.formatVersion
        self.schemaVersion = schemaVersion
        self.runID = runID
    }

    /// Size of the fixed fields before the run id.
    static let fixedPrefixSize = 8 + 4 + 4 + 2
    /// The largest possible header.
    static let maxSize = fixedPrefixSize + RecordFile.maxRunIDLength + 4

    /// Number of bytes this header takes in a file.
    var encodedSize: Int { Self.fixedPrefixSize + runID.utf8.count + 4 }

    /// The header's bytes, checksum included.
    func encoded() throws(RecordError) -> [UInt8] {
        let runIDBytes = Array(runID.utf8)
        guard runIDBytes.count <= RecordFile.maxRunIDLength else {
            throw .runIDTooLong(length: runIDBytes.count)
        }
        var bytes = RecordFile.magic
        bytes.reserveCapacity(encodedSize)
        _RecordBytes.append(&bytes, formatVersion)
        _RecordBytes.append(&bytes, schemaVersion)
        _RecordBytes.append(&bytes, UInt16(runIDBytes.count))
        bytes += runIDBytes
        _RecordBytes.append(&bytes, CRC32C.mask(CRC32C.checksum(bytes)))
        return bytes
    }

    /// Parses a header from the first bytes of a file (`bytes` holds the whole file if it is
    /// shorter than ``maxSize``), returning it and its size.
    static func decode(_ bytes: UnsafeRawBufferPointer) throws(RecordError) -> (RecordFileHeader, size: Int) {
        let magic = RecordFile.magic
        guard bytes.prefix(magic.count).elementsEqual(magic.prefix(bytes.count)) else { throw .badMagic }
        guard bytes.count >= fixedPrefixSize else { throw .headerTruncated(length: bytes.count) }
        let formatVersion = _RecordBytes.load(bytes, UInt32.self, at: 8)
        guard formatVersion == RecordFile.formatVersion else {
            throw .unsupportedFormatVersion(formatVersion)
        }
        let schemaVersion = _RecordBytes.load(bytes, UInt32.self, at: 12)
        let runIDLength = Int(_RecordBytes.load(bytes, UInt16.self, at: 16))
        guard runIDLength <= RecordFile.maxRunIDLength else { throw .headerCorrupt }
        let size = fixedPrefixSize + runIDLength + 4
        guard bytes.count >= size else { throw .headerTruncated(length: bytes.count) }
        let stored = _RecordBytes.load(bytes, UInt32.self, at: size - 4)
        guard CRC32C.unmask(stored) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[..<(size - 4)]))
        else { throw .headerCorrupt }
        let runIDBytes = UnsafeRawBufferPointer(rebasing: bytes[fixedPrefixSize..<(size - 4)])
        guard let runID = String(validating: runIDBytes, as: UTF8.self) else { throw .headerCorrupt }
        return (RecordFileHeader(formatVersion: formatVersion, schemaVersion: schemaVersion, runID: runID), size)
    }

    private init(formatVersion: UInt32, schemaVersion: UInt32, runID: String) {
        self.formatVersion = formatVersion
        self.schemaVersion = schemaVersion
        self.runID = runID
    }
}

/// Little-endian helpers for record file fields.
internal enum _RecordBytes {
    static func append<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    static func load<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _: T.Type, at offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    static func store<T: FixedWidthInteger>(_ bytes: UnsafeMutableRawBufferPointer, _ value: T, at offset: Int) {
        bytes.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}
