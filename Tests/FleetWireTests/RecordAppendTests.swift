import XCTest
@testable import FleetWire

final class RecordAppendTests: RecordFileTestCase {
    private let records: [[UInt8]] = [[1], [], Array("third".utf8), [4, 4, 4, 4]]

    func testAppendToACleanFileReturnsItsHeader() throws {
        try writeFile("a.rec", records, runID: "run-9")
        let writer = try RecordWriter.openForAppend(path: path("a.rec"))
        XCTAssertEqual(writer.header, RecordFileHeader(schemaVersion: 1, runID: "run-9"))
        XCTAssertEqual(writer.existingRecords, records.count)
        XCTAssertEqual(writer.truncatedBytes, 0)
        try writer.append([5])
        XCTAssertEqual(writer.bytesWritten, 17)
        XCTAssertEqual(writer.recordsWritten, 1)
        try writer.close()
        let read = readAll("a.rec")
        XCTAssertEqual(read.records, records + [[5]])
        XCTAssertNil(read.end)
    }

    /// Cut in every record-area offset: append cuts the torn tail back to the last complete
    /// record, and the file then reads cleanly with the old complete records and the new ones.
    func testAppendCutsATornTailAtEveryOffset() throws {
        let bytes = try writeFile("full.rec", records, runID: "r")
        let boundaries = records.reduce(into: [23]) { $0.append($0.last! + $1.count + 16) }
        for cut in 23...bytes.count {
            try setFileBytes("cut.rec", Array(bytes[..<cut]))
            let complete = boundaries.lastIndex { $0 <= cut }!
            let writer = try RecordWriter.openForAppend(path: path("cut.rec"))
            XCTAssertEqual(writer.existingRecords, complete, "cut at \(cut)")
            XCTAssertEqual(writer.truncatedBytes, cut - boundaries[complete], "cut at \(cut)")
            XCTAssertEqual(writer.offset, boundaries[complete])
            try writer.append([0xA1, 0xA2])
            try writer.append([])
            try writer.close()
            let read = readAll("cut.rec")
            XCTAssertNil(read.end, "cut at \(cut)")
            XCTAssertEqual(read.records, Array(records[..<complete]) + [[0xA1, 0xA2], []], "cut at \(cut)")
        }
    }

    func testAppendRefusesACorruptRecordInTheMiddle() throws {
        var bytes = try writeFile("a.rec", records, runID: "r")
        let third = 23 + 17 + 16  // offset of the third record
        bytes[third + 12] ^= 0x10  // a data byte of "third"
        try setFileBytes("a.rec", bytes)
        XCTAssertThrowsError(try RecordWriter.openForAppend(path: path("a.rec"))) {
            XCTAssertEqual($0 as? RecordError, .dataCorrupt(offset: third))
        }
        bytes[third + 12] ^= 0x10
        bytes[third + 3] ^= 0x01  // its length
        try setFileBytes("a.rec", bytes)
        XCTAssertThrowsError(try RecordWriter.openForAppend(path: path("a.rec"))) {
            XCTAssertEqual($0 as? RecordError, .lengthCorrupt(offset: third))
        }
        XCTAssertEqual(try fileBytes("a.rec"), bytes, "a refused append leaves the file untouched")
        XCTAssertThrowsError(try RecordWriter.openForAppend(path: path("a.rec"), maxRecordLength: 3)) {
            XCTAssertEqual($0 as? RecordError, .lengthCorrupt(offset: third))
        }
    }

    func testAppendRefusesAFileThatIsNotARecordFile() throws {
        let bytes = try writeFile("a.rec", records, runID: "r")
        try setFileBytes("torn-header.rec", Array(bytes[..<10]))
        XCTAssertThrowsError(try RecordWriter.openForAppend(path: path("torn-header.rec"))) {
            XCTAssertEqual($0 as? RecordError, .headerTruncated(length: 10))
        }
        try setFileBytes("other.rec", Array("something else entirely".utf8))
        XCTAssertThrowsError(try RecordWriter.openForAppend(path: path("other.rec"))) {
            XCTAssertEqual($0 as? RecordError, .badMagic)
        }
        XCTAssertEqual(try fileBytes("other.rec"), Array("something else entirely".utf8))
    }

    func testAppendToAHeaderOnlyFileAndAcrossReopens() throws {
        try writeFile("a.rec", [], runID: "r")
        for round in 0..<3 {
            let writer = try RecordWriter.openForAppend(path: path("a.rec"), bufferCapacity: 64)
            XCTAssertEqual(writer.existingRecords, round * 2)
            try writer.append([UInt8](repeating: UInt8(round), count: 100))
            try writer.append([UInt8(round)])
            try writer.close()
        }
        let read = readAll("a.rec")
        XCTAssertNil(read.end)
        XCTAssertEqual(read.records.count, 6)
        XCTAssertEqual(read.records[4], [UInt8](repeating: 2, count: 100))
    }
}
