import Foundation

/// A JSON Lines dataset file read whole: its records in order and a digest of its bytes.
///
/// Blank lines are skipped, a UTF-8 byte order mark at the start and `\r` before each newline are
/// allowed; every other line must be a ``DatasetRecord``, and ids must be unique in the file.
struct DatasetFile: Sendable {
    /// The path as given.
    var path: String
    /// The records, in file order.
    var records: [DatasetRecord]
    /// FNV-1a (64-bit) of the file's bytes, in hex, and their count: `fnv1a64:<hex>,bytes=<n>`.
    var digest: String

    /// Reads and parses `path` (relative paths from the working directory).
    init(path: String) throws(DatasetError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw DatasetError(file: path, reason)
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        self.path = path
        digest = "fnv1a64:" + String(Self.fnv1a(data), radix: 16) + ",bytes=\(data.count)"
        records = []
        var idLines: [String: Int] = [:]
        for (offset, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            guard line.contains(where: { !Self.isJSONWhitespace($0) }) else { continue }
            guard String(validating: line, as: UTF8.self) != nil else {
                throw DatasetError(file: path, line: offset + 1, "not UTF-8 text")
            }
            let record = try DatasetRecord(line: offset + 1, bytes: line, file: path)
            if let id = record.id {
                if let first = idLines[id] {
                    throw DatasetError(
                        file: path, line: record.line, field: "id", "duplicate id '\(id)' (first on line \(first))")
                }
                idLines[id] = record.line
            }
            records.append(record)
        }
        guard !records.isEmpty else { throw DatasetError(file: path, "empty: no JSON lines with a prompt and an answer") }
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// 64-bit FNV-1a of `data` (the same on every platform and run).
    static func fnv1a(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}
