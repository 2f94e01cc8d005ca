#if canImport(Glibc)
import Glibc
#endif

/// Why a record file could not be read, written or appended to.
///
/// Offsets are byte offsets from the start of the file. A record's offset is where its length
/// field starts, which is also the end of the last complete record before it: the place a file
/// can be cut back to.
public enum RecordError: Error, Hashable, Sendable {
    /// The file does not start with ``RecordFile/magic``: it is not a record file.
    case badMagic
    /// The header names a format version this code cannot read.
    case unsupportedFormatVersion(UInt32)
    /// The file ends inside its header (`length` bytes long).
    case headerTruncated(length: Int)
    /// The header's checksum does not match, or one of its fields is out of bounds.
    case headerCorrupt
    /// A run id longer than ``RecordFile/maxRunIDLength`` UTF-8 bytes was given to a writer.
    case runIDTooLong(length: Int)
    /// The checksum of the record's length field does not match.
    case lengthCorrupt(offset: Int)
    /// The checksum of the record's data does not match.
    case dataCorrupt(offset: Int)
    /// The record's length is above the maximum allowed by the reader or writer.
    case recordTooLong(offset: Int, length: UInt64)
    /// The file ends inside the record that starts at `offset`; every record before it is complete.
    case tornTail(offset: Int)
    /// A writer was asked to create a file that already exists.
    case fileExists(path: String)
    /// The reader or writer was used after ``RecordWriter/close()`` or ``RecordReader/close()``.
    case closed
    /// A system call failed: `operation` is the C function, `errno` its error number.
    case io(operation: String, path: String, errno: Int32)
}

extension RecordError: CustomStringConvertible {
    /// A one-line message; `.io` includes `strerror` of its errno.
    public var description: String {
        switch self {
        case .badMagic: "not a record file (bad magic)"
        case .unsupportedFormatVersion(let v): "unsupported record file format version \(v)"
        case .headerTruncated(let length): "record file ends inside its header (\(length) bytes)"
        case .headerCorrupt: "record file header is corrupt"
        case .runIDTooLong(let length):
            "run id is \(length) bytes, more than \(RecordFile.maxRunIDLength)"
        case .lengthCorrupt(let offset): "corrupt record length at offset \(offset)"
        case .dataCorrupt(let offset): "corrupt record data at offset \(offset)"
        case .recordTooLong(let offset, let length):
            "record at offset \(offset) is \(length) bytes, more than the maximum"
        case .tornTail(let offset): "record file ends inside the record at offset \(offset)"
        case .fileExists(let path): "\(path) already exists"
        case .closed: "record file already closed"
        case .io(let operation, let path, let errno):
            "\(operation)(\(path)): \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}
