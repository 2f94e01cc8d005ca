#if canImport(Glibc)
import Glibc
#endif

/// Appends records to a record file (see ``RecordFile``), through a write buffer.
///
/// ```swift
/// let writer = try RecordWriter.create(path: path, schemaVersion: 1, runID: "run-7")
/// try writer.append(encodedBatch)
/// try writer.close()   // flushes and fsyncs
/// ```
///
/// ``create(path:schemaVersion:runID:overwrite:maxRecordLength:bufferCapacity:)`` starts a
/// new file; ``openForAppend(path:maxRecordLength:bufferCapacity:)`` continues an existing one
/// after checking it, cutting back a torn tail and refusing a file with a corrupt record.
/// Records reach the file when the buffer fills, on ``flush()``, ``sync()`` and ``close()``;
/// only ``sync()`` and ``close()`` make them durable. After a failed write every call throws
/// that error again (reopen for append to continue from the last complete record).
/// A writer belongs to one task at a time; one file must have one writer at a time.
public final class RecordWriter {
    /// The file being written.
    public let path: String
    /// The file's header: the one written by `create`, or the one found by `openForAppend`
    /// (check its ``RecordFileHeader/schemaVersion`` and ``RecordFileHeader/runID``).
    public let header: RecordFileHeader
    /// Records longer than this many bytes are refused, so readers with the same limit accept
    /// every record written.
    public let maxRecordLength: Int
    /// Complete records that were in the file when it was opened for append (0 when created).
    public let existingRecords: Int
    /// Bytes of a torn tail cut off when the file was opened for append (0 if none).
    public let truncatedBytes: Int
    /// Bytes this writer added to the file (the header included when it created the file),
    /// counting those still buffered.
    public private(set) var bytesWritten = 0
    /// Records this writer appended, counting those still buffered.
    public private(set) var recordsWritten = 0
    /// The file's size once buffered bytes are flushed: the offset of the next record.
    public var offset: Int { flushedOffset + bufferCount }

    private var file: _RecordFileDescriptor?
    private let buffer: UnsafeMutableRawBufferPointer
    private var bufferCount = 0
    /// File offset where `buffer[0]` goes.
    private var flushedOffset: Int
    private var failure: RecordError?

    /// Creates a record file and writes its header, making the header and the directory entry
    /// durable (fsync of the file and of its directory).
    ///
    /// - Parameter overwrite: replace an existing file; when `false` (the default) an existing
    ///   file throws ``RecordError/fileExists(path:)`` and is left untouched.
    /// - Throws: ``RecordError/fileExists(path:)``, ``RecordError/runIDTooLong(length:)``, or an I/O error.
    public static func create(
        path: String, schemaVersion: UInt32, runID: String, overwrite: Bool = false,
        maxRecordLength: Int = RecordFile.defaultMaxRecordLength, bufferCapacity: Int = 1 << 20
    ) throws(RecordError) -> RecordWriter {
        let header = RecordFileHeader(schemaVersion: schemaVersion, runID: runID)
        let headerBytes = try header.encoded()
        let file = try _RecordFileDescriptor.open(
            path, flags: O_WRONLY | O_CREAT | (overwrite ? O_TRUNC : O_EXCL))
        do {
            try headerBytes.withUnsafeBytes { bytes in
                Result { () throws(RecordError) in try file.write(bytes, at: 0) }
            }.get()
            try file.sync()
            try _RecordFileDescriptor.syncParentDirectory(of: path)
        } catch {
            try? file.close()
            throw error
        }
        let writer = RecordWriter(
            file: file, header: header, end: headerBytes.count, existingRecords: 0, truncatedBytes: 0,
            maxRecordLength: maxRecordLength, bufferCapacity: bufferCapacity)
        writer.bytesWritten = headerBytes.count
        return writer
    }

    /// Opens an existing record file to append to it.
    ///
    /// Reads the header and checks every record. A torn tail (a last record cut short) is cut
    /// off (ftruncate and fsync) so appending continues right after the last complete record;
    /// ``truncatedBytes`` tells how much was cut.
    ///
    /// - Throws: the header errors of ``RecordReader``; ``RecordError/lengthCorrupt(offset:)``,
    ///   ``RecordError/dataCorrupt(offset:)`` or ``RecordError/recordTooLong(offset:length:)``
    ///   for a corrupt record (nothing is appended after it); or an I/O error.
    public static func openForAppend(
        path: String, maxRecordLength: Int = RecordFile.defaultMaxRecordLength, bufferCapacity: Int = 1 << 20
    ) throws(RecordError) -> RecordWriter {
        let file = try _RecordFileDescriptor.open(path, flags: O_RDWR)
        do {
            let reader = try RecordReader(
                file: file, ownsFile: false, maxRecordLength: maxRecordLength, bufferCapacity: bufferCapacity)
            var torn = false
            do {
                while try reader.skip() {}
            } catch .tornTail {
                torn = true
            }
            var truncatedBytes = 0
            if torn {
                truncatedBytes = try file.size() - reader.offset
                try file.truncate(to: reader.offset)
                try file.sync()
            }
            return RecordWriter(
                file: file, header: reader.header, end: reader.offset, existingRecords: reader.recordsRead,
                truncatedBytes: truncatedBytes, maxRecordLength: maxRecordLength, bufferCapacity: bufferCapacity)
        } catch {
            try? file.close()
            throw error
        }
    }

    private init(
        file: _RecordFileDescriptor, header: RecordFileHeader, end: Int, existingRecords: Int,
        truncatedBytes: Int, maxRecordLength: Int, bufferCapacity: Int
    ) {
        precondition(maxRecordLength >= 0, "maxRecordLength must not be negative")
        self.path = file.path
        self.file = file
        self.header = header
        self.flushedOffset = end
        self.existingRecords = existingRecords
        self.truncatedBytes = truncatedBytes
        self.maxRecordLength = maxRecordLength
        self.buffer = .allocate(byteCount: max(bufferCapacity, 64), alignment: 16)
    }

    /// Flushes what is buffered and closes the file without fsync; call ``close()`` to learn
    /// of errors and make the records durable.
    deinit {
        if let file {
            if failure == nil { try? flush() }
            try? file.close()
        }
        buffer.deallocate()
    }

    /// Appends one record.
    ///
    /// - Throws: ``RecordError/recordTooLong(offset:length:)`` (nothing is written),
    ///   ``RecordError/closed``, or an I/O error.
    public func append(_ record: UnsafeRawBufferPointer) throws(RecordError) {
        try checkOpen()
        guard record.count <= maxRecordLength else {
            throw .recordTooLong(offset: offset, length: UInt64(record.count))
        }
        do {
            try reserve(RecordFile.recordPrefixSize)
            let prefix = UnsafeMutableRawBufferPointer(rebasing: buffer[bufferCount..<(bufferCount + RecordFile.recordPrefixSize)])
            _RecordBytes.store(prefix, UInt64(record.count), at: 0)
            let lengthCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: prefix[..<8]))
            _RecordBytes.store(prefix, CRC32C.mask(lengthCRC), at: 8)
            bufferCount += RecordFile.recordPrefixSize

            if record.count <= buffer.count {
                try reserve(record.count)
                UnsafeMutableRawBufferPointer(rebasing: buffer[bufferCount...]).copyMemory(from: record)
                bufferCount += record.count
            } else {
                try flush()
                try file!.write(record, at: flushedOffset)
                flushedOffset += record.count
            }

            try reserve(4)
            _RecordBytes.store(buffer, CRC32C.mask(CRC32C.checksum(record)), at: bufferCount)
            bufferCount += 4
        } catch {
            failure = error
            throw error
        }
        bytesWritten += RecordFile.recordOverhead + record.count
        recordsWritten += 1
    }

    /// Appends one record.
    public func append(_ record: [UInt8]) throws(RecordError) {
        try record.withUnsafeBytes { bytes in Result { () throws(RecordError) in try append(bytes) } }.get()
    }

    /// Writes the buffered bytes to the file (without fsync).
    public func flush() throws(RecordError) {
        try checkOpen()
        guard bufferCount > 0 else { return }
        do {
            try file!.write(UnsafeRawBufferPointer(rebasing: buffer[..<bufferCount]), at: flushedOffset)
        } catch {
            failure = error
            throw error
        }
        flushedOffset += bufferCount
        bufferCount = 0
    }

    /// Writes the buffered bytes and makes every record appended so far durable (fsync).
    public func sync() throws(RecordError) {
        try flush()
        do {
            try file!.sync()
        } catch {
            failure = error
            throw error
        }
    }

    /// Flushes, fsyncs and closes the file. Closing again does nothing; other calls then throw
    /// ``RecordError/closed``. The file is closed even when this throws.
    public func close() throws(RecordError) {
        guard let file else { return }
        defer { self.file = nil }
        do {
            try sync()
        } catch {
            try? file.close()
            throw error
        }
        try file.close()
    }

    private func checkOpen() throws(RecordError) {
        if let failure { throw failure }
        guard file != nil else { throw .closed }
    }

    /// Makes room for `count` bytes (at most the buffer's capacity) in the buffer.
    private func reserve(_ count: Int) throws(RecordError) {
        if buffer.count - bufferCount < count { try flush() }
    }
}
