import XCTest
@testable import FleetWire

final class RecordFileTests: RecordFileTestCase {
    func testWriteThenReadBack() throws {
        var rng = SeededGenerator(seed: 1)
        let records = (0..<200).map { i in rng.bytes(Int(rng.next() % 3000) + (i % 7 == 0 ? 0 : 1)) }
        let writer = try RecordWriter.create(path: path("a.rec"), schemaVersion: 1, runID: "run-α", bufferCapacity: 4096)
        for record in records { try writer.append(record) }
        XCTAssertEqual(writer.recordsWritten, records.count)
        try writer.close()

        let size = try fileBytes("a.rec").count
        let headerSize = 8 + 4 + 4 + 2 + "run-α".utf8.count + 4
        XCTAssertEqual(writer.bytesWritten, size)
        XCTAssertEqual(writer.offset, size)
        XCTAssertEqual(size, headerSize + records.reduce(0) { $0 + $1.count + 16 })

        let reader = try RecordReader(path: path("a.rec"), bufferCapacity: 4096)
        XCTAssertEqual(reader.header, RecordFileHeader(schemaVersion: 1, runID: "run-α"))
        XCTAssertEqual(reader.header.formatVersion, 1)
        var read: [[UInt8]] = []
        while let record = try reader.next() { read.append(record) }
        XCTAssertEqual(read, records)
        XCTAssertEqual(reader.recordsRead, records.count)
        XCTAssertEqual(reader.offset, size)
        XCTAssertNil(try reader.next(), "a clean end stays a clean end")
    }

    func testEmptyRecordsAndEmptyFile() throws {
        try writeFile("empty.rec", [])
        let none = readAll("empty.rec")
        XCTAssertEqual(none.records, [])
        XCTAssertNil(none.end)

        let bytes = try writeFile("zeros.rec", [[], [], [7], []])
        let read = readAll("zeros.rec")
        XCTAssertEqual(read.records, [[], [], [7], []])
        XCTAssertNil(read.end)
        XCTAssertEqual(bytes.count, 8 + 4 + 4 + 2 + "run-test".utf8.count + 4 + 4 * 16 + 1)
    }

    /// The header and a record's framing byte for byte, as documented on `RecordFile`.
    func testLayoutIsTheDocumentedOne() throws {
        let bytes = try writeFile("layout.rec", [Array("hello".utf8)], runID: "r1")
        XCTAssertEqual(Array(bytes[0..<8]), Array("FLEETREC".utf8))
        XCTAssertEqual(Array(bytes[8..<12]), [1, 0, 0, 0])  // format version
        XCTAssertEqual(Array(bytes[12..<16]), [1, 0, 0, 0])  // schema version
        XCTAssertEqual(Array(bytes[16..<18]), [2, 0])  // run id length
        XCTAssertEqual(Array(bytes[18..<20]), Array("r1".utf8))
        XCTAssertEqual(le32(bytes, 20), CRC32C.mask(CRC32C.checksum(bytes[0..<20])))
        XCTAssertEqual(Array(bytes[24..<32]), [5, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(le32(bytes, 32), CRC32C.mask(CRC32C.checksum(bytes[24..<32])))
        XCTAssertEqual(Array(bytes[36..<41]), Array("hello".utf8))
        XCTAssertEqual(le32(bytes, 41), CRC32C.mask(CRC32C.checksum(Array("hello".utf8))))
        XCTAssertEqual(bytes.count, 45)
    }

    /// Records larger than the reader's and writer's buffers, read with `next()` and `skip()`.
    func testRecordsLargerThanTheBuffers() throws {
        var rng = SeededGenerator(seed: 2)
        let records = [rng.bytes(10_000), rng.bytes(3), rng.bytes(100_000), rng.bytes(4096), rng.bytes(4079)]
        let writer = try RecordWriter.create(path: path("big.rec"), schemaVersion: 1, runID: "r", bufferCapacity: 4096)
        for record in records { try writer.append(record) }
        try writer.close()
        XCTAssertEqual(readAll("big.rec").records, records)
        XCTAssertNil(readAll("big.rec").end)

        let skipping = try RecordReader(path: path("big.rec"), bufferCapacity: 4096)
        var skipped = 0
        while try skipping.skip() { skipped += 1 }
        XCTAssertEqual(skipped, records.count)
        XCTAssertEqual(skipping.offset, try fileBytes("big.rec").count)
    }

    func testWriterRefusesToOverwrite() throws {
        let original = try writeFile("a.rec", [[1, 2, 3]])
        XCTAssertThrowsError(try RecordWriter.create(path: path("a.rec"), schemaVersion: 1, runID: "x")) {
            XCTAssertEqual($0 as? RecordError, .fileExists(path: path("a.rec")))
        }
        XCTAssertEqual(try fileBytes("a.rec"), original, "a refused create leaves the file untouched")

        let writer = try RecordWriter.create(path: path("a.rec"), schemaVersion: 2, runID: "x", overwrite: true)
        try writer.append([9])
        try writer.close()
        let reader = try RecordReader(path: path("a.rec"))
        XCTAssertEqual(reader.header.schemaVersion, 2)
        XCTAssertEqual(try reader.next(), [9])
        XCTAssertNil(try reader.next())
    }

    func testWriterLimits() throws {
        XCTAssertThrowsError(
            try RecordWriter.create(path: path("long.rec"), schemaVersion: 1, runID: String(repeating: "x", count: 1025))
        ) { XCTAssertEqual($0 as? RecordError, .runIDTooLong(length: 1025)) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("long.rec")))

        let writer = try RecordWriter.create(path: path("w.rec"), schemaVersion: 1, runID: "r", maxRecordLength: 10)
        try writer.append([UInt8](repeating: 1, count: 10))
        XCTAssertThrowsError(try writer.append([UInt8](repeating: 1, count: 11))) {
            XCTAssertEqual($0 as? RecordError, .recordTooLong(offset: writer.offset, length: 11))
        }
        XCTAssertEqual(writer.recordsWritten, 1)
        try writer.close()
        try writer.close()
        XCTAssertThrowsError(try writer.append([1])) { XCTAssertEqual($0 as? RecordError, .closed) }
        XCTAssertEqual(readAll("w.rec").records, [[UInt8](repeating: 1, count: 10)])
    }

    func testReaderRefusesRecordsAboveItsMaximum() throws {
        try writeFile("a.rec", [[1, 2, 3], [UInt8](repeating: 4, count: 11), [5]])
        let read = readAll("a.rec", maxRecordLength: 10)
        XCTAssertEqual(read.records, [[1, 2, 3]])
        XCTAssertEqual(read.end, .recordTooLong(offset: 22 + "run-test".utf8.count + 19, length: 11))
        XCTAssertEqual(readAll("a.rec", maxRecordLength: 11).records.count, 3)
    }

    /// A record claiming 2^40 bytes with a valid length checksum is refused before any
    /// allocation (allocating it would fail), and the refusal is sticky.
    func testHugeLengthIsRefusedBeforeAllocating() throws {
        var bytes = try writeFile("huge.rec", [[1]])
        let headerSize = 22 + "run-test".utf8.count
        let length = [UInt8](withUnsafeBytes(of: (UInt64(1) << 40).littleEndian) { Array($0) })
        var frame = length
        withUnsafeBytes(of: CRC32C.mask(CRC32C.checksum(length)).littleEndian) { frame += $0 }
        bytes += frame + [UInt8](repeating: 0xAB, count: 64)
        try setFileBytes("huge.rec", bytes)

        let reader = try RecordReader(path: path("huge.rec"))
        XCTAssertEqual(try reader.next(), [1])
        let expected = RecordError.recordTooLong(offset: headerSize + 17, length: 1 << 40)
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? RecordError, expected) }
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? RecordError, expected) }
        XCTAssertEqual(reader.offset, headerSize + 17)

        // With no maximum, the same length is a torn tail (the file is far shorter), and a
        // length near Int.max does not overflow the reader's arithmetic.
        let unbounded = readAll("huge.rec", maxRecordLength: .max)
        XCTAssertEqual(unbounded.records, [[1]])
        XCTAssertEqual(unbounded.end, .tornTail(offset: headerSize + 17))
        let nearMax = [UInt8](withUnsafeBytes(of: UInt64(Int.max - 8).littleEndian) { Array($0) })
        var nearMaxFrame = nearMax
        withUnsafeBytes(of: CRC32C.mask(CRC32C.checksum(nearMax)).littleEndian) { nearMaxFrame += $0 }
        bytes.replaceSubrange((headerSize + 17)..<(headerSize + 29), with: nearMaxFrame)
        try setFileBytes("huge.rec", bytes)
        XCTAssertEqual(readAll("huge.rec", maxRecordLength: .max).end, .tornTail(offset: headerSize + 17))
    }

    func testHeaderErrors() throws {
        let good = try writeFile("a.rec", [[1]], runID: "run")
        func open(_ bytes: [UInt8]) -> RecordError? {
            do {
                try setFileBytes("bad.rec", bytes)
                _ = try RecordReader(path: path("bad.rec"))
                return nil
            } catch {
                return error as? RecordError
            }
        }
        var bytes = good
        bytes[0] = UInt8(ascii: "X")
        XCTAssertEqual(open(bytes), .badMagic)
        XCTAssertEqual(open(Array("NOTAREC".utf8)), .badMagic)
        bytes = good
        bytes[8] = 2
        XCTAssertEqual(open(bytes), .unsupportedFormatVersion(2))
        bytes = good
        bytes[19] ^= 1  // in the run id
        XCTAssertEqual(open(bytes), .headerCorrupt)
        bytes = good
        bytes[17] = 0xFF  // run id length above the bound
        XCTAssertEqual(open(bytes), .headerCorrupt)
        XCTAssertEqual(open(Array(good[..<20])), .headerTruncated(length: 20))
        XCTAssertEqual(open([]), .headerTruncated(length: 0))
        XCTAssertThrowsError(try RecordReader(path: path("missing.rec"))) {
            XCTAssertEqual($0 as? RecordError, .io(operation: "open", path: path("missing.rec"), errno: ENOENT))
        }
    }

    /// A torn tail may be a record still being written: reading again sees the bytes added since.
    func testTornTailThenCompletedByAWriter() throws {
        let bytes = try writeFile("a.rec", [[1, 2], [3, 4, 5]])
        try setFileBytes("live.rec", Array(bytes[..<(bytes.count - 3)]))
        let reader = try RecordReader(path: path("live.rec"))
        XCTAssertEqual(try reader.next(), [1, 2])
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? RecordError, .tornTail(offset: reader.offset)) }
        try setFileBytes("live.rec", bytes)
        XCTAssertEqual(try reader.next(), [3, 4, 5])
        XCTAssertNil(try reader.next())
        reader.close()
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? RecordError, .closed) }
    }

    private func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
    }
}
