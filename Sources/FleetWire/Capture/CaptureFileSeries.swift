import Foundation

/// The capture files of one kind in a capture directory, `<prefix>-00000.fleetrec`,
/// `<prefix>-00001.fleetrec`, …: records are appended to the newest, and a new file is begun
/// when the next record would take the newest past `maxFileBytes` (a file always takes at least
/// one record, however large).
package final class CaptureFileSeries {
    package let directory: URL
    package let prefix: String
    package let kind: CaptureEntry.Kind
    package let runID: String
    package let maxFileBytes: Int
    /// Every file begun so far, with its records and bytes.
    package private(set) var files: [CaptureManifest.File] = []
    private var writer: RecordWriter?
    /// The number in the next file's name.
    private var nextIndex = 0

    /// The file name extension of capture files.
    package static let fileExtension = "fleetrec"

    /// A series in `directory`; `existing` lists files an earlier learner of the run wrote (a
    /// resumed run's): they are kept, and the next record begins a new file numbered after them.
    package init(
        directory: URL, prefix: String, kind: CaptureEntry.Kind, runID: String, maxFileBytes: Int,
        existing: [CaptureManifest.File] = []
    ) {
        self.directory = directory
        self.prefix = prefix
        self.kind = kind
        self.runID = runID
        self.maxFileBytes = maxFileBytes
        files = existing
        nextIndex = (existing.compactMap { Self.index(ofFile: $0.name, prefix: prefix) }.max() ?? -1) + 1
    }

    /// The number in the name `<prefix>-NNNNN.fleetrec`, or nil for another name.
    package static func index(ofFile name: String, prefix: String) -> Int? {
        let head = prefix + "-", tail = "." + fileExtension
        guard name.hasPrefix(head), name.hasSuffix(tail) else { return nil }
        return Int(name.dropFirst(head.count).dropLast(tail.count))
    }

    /// Appends `entry`; returns true when it began a new file.
    @discardableResult
    package func append(_ entry: CaptureEntry) throws -> Bool {
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
    package func flush() throws { try perform { () throws(RecordError) in try writer?.flush() } }

    /// Flushes, syncs and closes the newest file.
    package func close() throws {
        try perform { () throws(RecordError) in try writer?.close() }
        writer = nil
    }

    private func beginFile() throws {
        try close()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = String(format: "%@-%05d.%@", prefix, nextIndex, Self.fileExtension)
        nextIndex += 1
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
