#if canImport(Glibc)
import Glibc
#endif

/// Reads the records of a record file (see ``RecordFile``) in order.
///
/// ``next()`` returns each record's data, `nil` at a clean end (the file ends exactly after a
/// record), and throws at anything else, so a plain loop never mistakes damage for the end:
///
/// ```swift
/// let reader = try RecordReader(path: path)
/// while let record = try reader.next() { handle(record) }   // clean end
/// ```
///
/// - A file that ends inside a record throws ``RecordError/tornTail(offset:)`` after every
///   complete record before it was returned. The tail may be a record still being written:
///   calling ``next()`` again reads from the same offset and sees any bytes added meanwhile.
/// - A checksum mismatch or a length above ``maxRecordLength`` throws
///   ``RecordError/lengthCorrupt(offset:)``, ``RecordError/dataCorrupt(offset:)`` or
///   ``RecordError/recordTooLong(offset:length:)``, and every later call throws it again: the
///   reader never goes past a corrupt record. The length is checked before any allocation.
///
/// Callers that accept a torn tail catch `.tornTail` (the records before it are all there).
/// ``offset`` is always the end of the last complete record returned or skipped.
/// A reader belongs to one task at a time.
public final class RecordReader {
    /// The file being read.
    public let path: String
    /// The file's header, validated when the reader was opened.
    public let header: RecordFileHeader
    /// Records longer than this many bytes are refused (before allocating for them).
    public let maxRecordLength: Int
    /// Byte offset of the next record: the end of the last complete record read so far.
    public private(set) var offset: Int
    /// Number of records returned or skipped so far.
    public private(set) var recordsRead = 0

    private var file: _RecordFileDescriptor?
    private let ownsFile: Bool
    /// Holds file bytes `[bufferStart, bufferStart + bufferCount)`.
    private let buffer: UnsafeMutableRawBufferPointer
    private var bufferStart = 0
    private var bufferCount = 0
    /// The file size last seen, refreshed when a record seems to reach past it.
    private var knownFileSize: Int
    /// The corruption found, thrown again by every later call.
    private var corruption: RecordError?

    /// Opens the record file at `path` and validates its header.
    ///
    /// - Throws: ``RecordError/badMagic``, ``RecordError/unsupportedFormatVersion(_:)``,
    ///   ``RecordError/headerTruncated(length:)``, ``RecordError/headerCorrupt`` or an I/O error.
    public convenience init(
        path: String, maxRecordLength: Int = RecordFile.defaultMaxRecordLength,
        bufferCapacity: Int = 1 << 20
    ) throws(RecordError) {
        let file = try _RecordFileDescriptor.open(path, flags: O_RDONLY)
        do {
            try self.init(file: file, ownsFile: true, maxRecordLength: maxRecordLength, bufferCapacity: bufferCapacity)
        } catch {
            try? file.close()
            throw error
        }
    }

    /// Reads through a descriptor owned by the caller (which closes it) when `ownsFile` is false.
    init(file: _RecordFileDescriptor, ownsFile: Bool, maxRecordLength: Int, bufferCapacity: Int) throws(RecordError) {
        precondition(maxRecordLength >= 0, "maxRecordLength must not be negative")
        let capacity = max(bufferCapacity, RecordFileHeader.maxSize, 4096)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        let headerSize: Int
        do {
            let count = try file.read(into: buffer, at: 0)
            (header, headerSize) = try RecordFileHeader.decode(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            knownFileSize = try file.size()
            bufferCount = count
        } catch {
            buffer.deallocate()
            throw error
        }
        self.path = file.path
        self.file = file
        self.ownsFile = ownsFile
        self.buffer = buffer
        self.maxRecordLength = maxRecordLength
        self.offset = headerSize
    }

    deinit {
        if ownsFile { try? file?.close() }
        buffer.deallocate()
    }

    /// Returns the next record's data, or `nil` if the file ends cleanly here.
    ///
    /// - Throws: ``RecordError/tornTail(offset:)``, ``RecordError/lengthCorrupt(offset:)``,
    ///   ``RecordError/dataCorrupt(offset:)``, ``RecordError/recordTooLong(offset:length:)``,
    ///   ``RecordError/closed`` or an I/O error.
    public func next() throws(RecordError) -> [UInt8]? {
        guard let length = try nextLength() else { return nil }
        var failure: RecordError?
        var crc = CRC32C()
        let data = [UInt8](unsafeUninitializedCapacity: length) { storage, initialized in
            do throws(RecordError) {
                crc = try readData(length: length, into: UnsafeMutableRawBufferPointer(storage))
            } catch {
                failure = error
            }
            initialized = length
        }
        if let failure { throw failure }
        try finishRecord(length: length, crc: crc)
        return data
    }

    /// Checks the next record without copying its data; returns `false` if the file ends
    /// cleanly here. Throws exactly as ``next()`` does.
    public func skip() throws(RecordError) -> Bool {
        guard let length = try nextLength() else { return false }
        let crc = try readData(length: length, into: nil)
        try finishRecord(length: length, crc: crc)
        return true
    }

    /// Closes the file. Later calls throw ``RecordError/closed``.
    public func close() {
        if ownsFile { try? file?.close() }
        file = nil
    }

    // MARK: - Record steps

    /// Reads and checks the length of the record at ``offset``: `nil` at a clean end.
    private func nextLength() throws(RecordError) -> Int? {
        if let corruption { throw corruption }
        guard file != nil else { throw .closed }
        let prefix = try bytes(at: offset, count: RecordFile.recordPrefixSize)
        if prefix.isEmpty { return nil }
        guard prefix.count == RecordFile.recordPrefixSize else { throw .tornTail(offset: offset) }
        let length = _RecordBytes.load(prefix, UInt64.self, at: 0)
        let storedCRC = _RecordBytes.load(prefix, UInt32.self, at: 8)
        guard CRC32C.unmask(storedCRC) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: prefix[..<8])) else {
            throw corrupt(.lengthCorrupt(offset: offset))
        }
        guard length <= UInt64(maxRecordLength) else {
            throw corrupt(.recordTooLong(offset: offset, length: length))
        }
        // Compared without adding to the offset: a length near Int.max must not overflow.
        func fits(_ fileSize: Int) -> Bool { length <= UInt64(max(0, fileSize - offset - RecordFile.recordOverhead)) }
        if !fits(knownFileSize) {
            knownFileSize = try file!.size()
            guard fits(knownFileSize) else { throw .tornTail(offset: offset) }
        }
        return Int(length)
    }

    /// Reads the data of the record at ``offset`` into `destination` (if any), returning its CRC.
    private func readData(length: Int, into destination: UnsafeMutableRawBufferPointer?) throws(RecordError) -> CRC32C {
        var crc = CRC32C()
        var position = offset + RecordFile.recordPrefixSize
        var done = 0
        while done < length {
            let remaining = length - done
            if let destination, remaining >= buffer.count, position >= bufferStart + bufferCount {
                // Large remainder, nothing buffered: read straight into the record.
                let target = UnsafeMutableRawBufferPointer(rebasing: destination[done...])
                let count = try file!.read(into: target, at: position)
                guard count == remaining else { throw .tornTail(offset: offset) }
                crc.update(UnsafeRawBufferPointer(target))
                return crc
            }
            let chunk = try bytes(at: position, count: min(remaining, buffer.count))
            guard !chunk.isEmpty else { throw .tornTail(offset: offset) }
            crc.update(chunk)
            if let destination {
                UnsafeMutableRawBufferPointer(rebasing: destination[done..<(done + chunk.count)]).copyMemory(from: chunk)
            }
            done += chunk.count
            position += chunk.count
        }
        return crc
    }

    /// Checks the data checksum that follows the data and moves past the record.
    private func finishRecord(length: Int, crc: CRC32C) throws(RecordError) {
        let suffix = try bytes(at: offset + RecordFile.recordPrefixSize + length, count: 4)
        guard suffix.count == 4 else { throw .tornTail(offset: offset) }
        guard CRC32C.unmask(_RecordBytes.load(suffix, UInt32.self, at: 0)) == crc.value else {
            throw corrupt(.dataCorrupt(offset: offset))
        }
        offset += RecordFile.recordOverhead + length
        recordsRead += 1
    }

    private func corrupt(_ error: RecordError) -> RecordError {
        corruption = error
        return error
    }

    // MARK: - Buffer

    /// Up to `count` (at most the buffer's capacity) file bytes from `position`, fewer only at
    /// end of file. Valid until the next call.
    private func bytes(at position: Int, count: Int) throws(RecordError) -> UnsafeRawBufferPointer {
        let bufferEnd = bufferStart + bufferCount
        if position < bufferStart || position > bufferEnd {
            bufferStart = position
            bufferCount = 0
        } else if position + count > bufferEnd {
            // Keep the unread bytes, move them to the front, fill the rest from the file.
            let kept = bufferEnd - position
            if kept > 0 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + (position - bufferStart), byteCount: kept)
            }
            bufferStart = position
            bufferCount = kept
        } else {
            return UnsafeRawBufferPointer(rebasing: buffer[(position - bufferStart)..<(position - bufferStart + count)])
        }
        let free = UnsafeMutableRawBufferPointer(rebasing: buffer[bufferCount...])
        bufferCount += try file!.read(into: free, at: bufferStart + bufferCount)
        return UnsafeRawBufferPointer(rebasing: buffer[0..<min(count, bufferCount)])
    }
}
