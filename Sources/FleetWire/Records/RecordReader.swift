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
///   ``RecordError/recordTooLong(offset:length:)``, and every later call throws it again until
///   ``skipDamage()``: the reader does not go past a corrupt record on its own. The length is checked before any
///   allocation.
///
/// Callers that accept a torn tail catch `.tornTail` (the records before it are all there).
/// Lenient callers (replay) report a corrupt record and carry on after it with ``skipDamage()``;
/// every record returned still has both checksums verified:
///
/// ```swift
/// while true {
///     do {
///         guard let record = try reader.next() else { break }
///         handle(record)
///     } catch .tornTail {
///         break
///     } catch {
///         guard let skip = try reader.skipDamage() else { throw error }
///         report(error, skip)
///     }
/// }
/// ```
///
/// ``offset`` is always where the next record is read: the end of the last complete record
/// returned or skipped, or where reading resumed after ``skipDamage()``.
/// A reader belongs to one task at a time.
public final class RecordReader {
    /// The file being read.
    public let path: String
    /// The file's header, validated when the reader was opened.
    public let header: RecordFileHeader
    /// Records longer than this many bytes are refused (before allocating for them).
    public let maxRecordLength: Int
    /// Byte offset of the next record: the end of the last complete record read so far, or
    /// where ``skipDamage()`` resumed reading. While a corruption is pending, the corrupt record's.
    public private(set) var offset: Int
    /// Number of complete, valid records returned or skipped so far (damaged records skipped by
    /// ``skipDamage()`` are not counted).
    public private(set) var recordsRead = 0

    private var file: _RecordFileDescriptor?
    private let ownsFile: Bool
    /// Holds file bytes `[bufferStart, bufferStart + bufferCount)`.
    private let buffer: UnsafeMutableRawBufferPointer
    private var bufferStart = 0
    private var bufferCount = 0
    /// The file size last seen, refreshed when a record seems to reach past it.
    private var knownFileSize: Int
    /// The corruption found, thrown again by every later call until ``skipDamage()``, with the
    /// corrupt record's length when its checksum matched (`nil` after `.lengthCorrupt`).
    private var corruption: (error: RecordError, length: UInt64?)?

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
                crc = try readData(of: offset, length: length, into: UnsafeMutableRawBufferPointer(storage))
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
        let crc = try readData(of: offset, length: length, into: nil)
        try finishRecord(length: length, crc: crc)
        return true
    }

    /// Skips the corrupt record that ``next()`` or ``skip()`` threw about, so that reading carries
    /// on after it; returns `nil` and skips nothing when no corruption is pending.
    ///
    /// Reading resumes:
    /// - after ``RecordError/dataCorrupt(offset:)`` or ``RecordError/recordTooLong(offset:length:)``,
    ///   whose length field checked, where that length says the record ends. Its data is not
    ///   searched, so a record inside a payload is never taken for one of the file's. A too-long
    ///   record that runs past the end of the file resumes at the end of the file.
    /// - after ``RecordError/lengthCorrupt(offset:)``, at the first later offset where a complete
    ///   record's length is at most ``maxRecordLength`` and its length checksum and data checksum
    ///   both match. The length field is checked first, so a false candidate is rarer than 1 in
    ///   2^32, and only then is a candidate's data checksummed, through the reader's buffer and
    ///   without allocating. Failing that, at the first later offset whose length checks but whose
    ///   record runs past the end of the file (a record being written: ``next()`` throws
    ///   ``RecordError/tornTail(offset:)`` there); failing that, at the end of the file.
    ///
    /// The record where reading resumes is read by ``next()`` as any other: if it is damaged too,
    /// that is thrown and can be skipped in turn.
    ///
    /// - Throws: ``RecordError/closed`` or an I/O error (the corruption then stays pending).
    public func skipDamage() throws(RecordError) -> RecordDamageSkip? {
        guard file != nil else { throw .closed }
        guard let (_, length) = corruption else { return nil }
        knownFileSize = try file!.size()
        let resume: Int
        if let length {
            resume = recordFits(length: length, at: offset) ? offset + RecordFile.recordOverhead + Int(length) : knownFileSize
        } else {
            resume = try firstRecordOrTornTail(after: offset)
        }
        let skip = RecordDamageSkip(damagedOffset: offset, resumeOffset: resume)
        offset = resume
        corruption = nil
        return skip
    }

    /// Closes the file. Later calls throw ``RecordError/closed``.
    public func close() {
        if ownsFile { try? file?.close() }
        file = nil
    }

    // MARK: - Record steps

    /// Reads and checks the length of the record at ``offset``: `nil` at a clean end.
    private func nextLength() throws(RecordError) -> Int? {
        if let corruption { throw corruption.error }
        guard file != nil else { throw .closed }
        let prefix = try bytes(at: offset, count: RecordFile.recordPrefixSize)
        if prefix.isEmpty { return nil }
        guard prefix.count == RecordFile.recordPrefixSize else { throw .tornTail(offset: offset) }
        guard let length = Self.checkedLength(prefix) else {
            throw corrupt(.lengthCorrupt(offset: offset), length: nil)
        }
        guard length <= UInt64(maxRecordLength) else {
            throw corrupt(.recordTooLong(offset: offset, length: length), length: length)
        }
        if !recordFits(length: length, at: offset) {
            knownFileSize = try file!.size()
            guard recordFits(length: length, at: offset) else { throw .tornTail(offset: offset) }
        }
        return Int(length)
    }

    /// The length in a record's 12-byte prefix, or `nil` if the length checksum does not match.
    private static func checkedLength(_ prefix: UnsafeRawBufferPointer) -> UInt64? {
        let storedCRC = _RecordBytes.load(prefix, UInt32.self, at: 8)
        guard CRC32C.unmask(storedCRC) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: prefix[..<8])) else {
            return nil
        }
        return _RecordBytes.load(prefix, UInt64.self, at: 0)
    }

    /// Whether a record of `length` data bytes at `record` ends within the file size last seen.
    private func recordFits(length: UInt64, at record: Int) -> Bool {
        // Compared without adding to the offset: a length near Int.max must not overflow.
        length <= UInt64(max(0, knownFileSize - record - RecordFile.recordOverhead))
    }

    /// Reads the data of the record at `record` into `destination` (if any), returning its CRC.
    private func readData(
        of record: Int, length: Int, into destination: UnsafeMutableRawBufferPointer?
    ) throws(RecordError) -> CRC32C {
        var crc = CRC32C()
        var position = record + RecordFile.recordPrefixSize
        var done = 0
        while done < length {
            let remaining = length - done
            if let destination, remaining >= buffer.count, position >= bufferStart + bufferCount {
                // Large remainder, nothing buffered: read straight into the record.
                let target = UnsafeMutableRawBufferPointer(rebasing: destination[done...])
                let count = try file!.read(into: target, at: position)
                guard count == remaining else { throw .tornTail(offset: record) }
                crc.update(UnsafeRawBufferPointer(target))
                return crc
            }
            let chunk = try bytes(at: position, count: min(remaining, buffer.count))
            guard !chunk.isEmpty else { throw .tornTail(offset: record) }
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
        guard let stored = try storedDataCRC(of: offset, length: length) else { throw .tornTail(offset: offset) }
        guard stored == crc.value else {
            throw corrupt(.dataCorrupt(offset: offset), length: UInt64(length))
        }
        offset += RecordFile.recordOverhead + length
        recordsRead += 1
    }

    /// The (unmasked) data checksum stored after the data, or `nil` if the file ends before it.
    private func storedDataCRC(of record: Int, length: Int) throws(RecordError) -> UInt32? {
        let suffix = try bytes(at: record + RecordFile.recordPrefixSize + length, count: 4)
        guard suffix.count == 4 else { return nil }
        return CRC32C.unmask(_RecordBytes.load(suffix, UInt32.self, at: 0))
    }

    private func corrupt(_ error: RecordError, length: UInt64?) -> RecordError {
        corruption = (error, length)
        return error
    }

    // MARK: - Resynchronization

    /// The first offset after `damaged` where a complete, valid record starts; else the first
    /// where a record whose length checks runs past the end of the file; else the file size.
    private func firstRecordOrTornTail(after damaged: Int) throws(RecordError) -> Int {
        var tornRecord: Int?
        var start = damaged + 1
        while let (candidate, length) = try nextLengthField(from: start) {
            start = candidate + 1
            if !recordFits(length: length, at: candidate) {
                if tornRecord == nil { tornRecord = candidate }
            } else if try dataChecksumMatches(of: candidate, length: Int(length)) {
                return candidate
            }
        }
        return tornRecord ?? knownFileSize
    }

    /// The first offset from `start` whose 12 bytes are a length field with a matching checksum
    /// and a length of at most ``maxRecordLength``, and that length; `nil` if there is none before
    /// the end of the file. The length is compared first: it is cheaper than the checksum.
    private func nextLengthField(from start: Int) throws(RecordError) -> (offset: Int, length: UInt64)? {
        let prefixSize = RecordFile.recordPrefixSize
        let maxLength = UInt64(maxRecordLength)
        var position = start
        while true {
            let window = try bytes(at: position, count: buffer.count)
            guard window.count >= prefixSize else { return nil }
            let base = window.baseAddress!
            var i = 0
            while i <= window.count - prefixSize {
                if UInt64(littleEndian: (base + i).loadUnaligned(as: UInt64.self)) <= maxLength,
                    let length = Self.checkedLength(UnsafeRawBufferPointer(start: base + i, count: prefixSize))
                {
                    return (position + i, length)
                }
                i += 1
            }
            position += window.count - prefixSize + 1
        }
    }

    /// Whether the record at `record`, which fits in the file, has a matching data checksum.
    private func dataChecksumMatches(of record: Int, length: Int) throws(RecordError) -> Bool {
        let crc: CRC32C
        do {
            crc = try readData(of: record, length: length, into: nil)
        } catch .tornTail {
            return false  // the file shrank since its size was read
        }
        return try storedDataCRC(of: record, length: length) == crc.value
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
