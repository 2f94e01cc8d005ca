import FleetWire
import Foundation

/// The capture files of one kind in a capture directory, `<prefix>-00000.fleetrec`,
/// `<prefix>-00001.fleetrec`, …: records are appended to the newest, and a new file is begun
/// when the next record would take the newest past `maxFileBytes` (a file always takes at least
/// one record, however large).
final class CaptureFileSeries {
    let directory: URL
    let prefix: String
    let kind: CaptureEntry.Kind
    let runID: String
    let maxFileBytes: Int
    /// Every file begun so far, with its records and bytes.
    private(set) var files: [CaptureManifest.File] = []
    private var writer: RecordWriter?

    /// The file name extension of capture files.
    static let fileExtension = "fleetrec"

    init(directory: URL, prefix: String, kind: CaptureEntry.Kind, runID: String, maxFileBytes: Int) {
        self.directory = directory
        self.prefix = prefix
        self.kind = kind
        self.runID = runID
        self.maxFileBytes = maxFileBytes
    }

    /// Appends `entry`; returns true when it began a new file.
    @discardableResult
    func append(_ entry: CaptureEntry) throws -> Bool {
        let record = entry.encoded()
        var began = false
        if writer == nil || (writer!.recordsWritten > 0 && writer!.offset + record.count + RecordFile.recordOverhead > maxFileBytes) {
            try beginFile()
            began = true
        }
        try perform { () throws(RecordError) in try writer!.append(record) }
        files[files.count - 1].records = writer!.recordsWritten
        files[files.count - 1].bytes = writer!.offset
        return began
    }

    /// Hands buffered records to the file system (not durable: see ``close()``).
    func flush() throws { try perform { () throws(RecordError) in try writer?.flush() } }

    /// Flushes, syncs and closes the newest file.
    func close() throws {
        try perform { () throws(RecordError) in try writer?.close() }
        writer = nil
    }

    private func beginFile() throws {
        try close()
        let name = String(format: "%@-%05d.%@", prefix, files.count, Self.fileExtension)
        let path = directory.appendingPathComponent(name).path
        writer = try Self.catching(path) { () throws(RecordError) in
            try RecordWriter.create(
                path: path, schemaVersion: Envelope.currentSchemaVersion, runID: runID, maxRecordLength: CaptureEntry.maxRecordLength)
        }
        files.append(CaptureManifest.File(name: name, kind: kind.name, records: 0, bytes: writer!.offset))
    }

    private func perform(_ body: () throws(RecordError) -> Void) throws {
        try Self.catching(writer?.path ?? directory.path, body)
    }

    private static func catching<T>(_ path: String, _ body: () throws(RecordError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw CaptureError.record(path: path, error)
        }
    }
}
