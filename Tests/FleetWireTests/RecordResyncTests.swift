import XCTest
@testable import FleetWire

/// Lenient reading: a corrupt record is reported, skipped with `skipDamage()`, and the records
/// after it are read, each with both checksums verified.
final class RecordResyncTests: RecordFileTestCase {
    private let runID = "run-resync"
    private var headerSize: Int { 22 + runID.utf8.count }

    /// Offsets where each record starts, then the end of the last one.
    private func boundaries(_ records: [[UInt8]]) -> [Int] {
        records.reduce(into: [headerSize]) { $0.append($0.last! + $1.count + 16) }
    }

    private func assertThrows(
        _ expected: RecordError, _ call: () throws -> some Any, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try call(), file: file, line: line) {
            XCTAssertEqual($0 as? RecordError, expected, file: file, line: line)
        }
    }

    func testDataCorruptionInTheMiddleRecordIsSkipped() throws {
        var rng = SeededGenerator(seed: 21)
        let records = [100, 200, 300, 400, 50].map { rng.bytes($0) }
        let b = boundaries(records)
        var bytes = try writeFile("a.rec", records, runID: runID)
        bytes[b[2] + 12 + 10] ^= 0x10
        try setFileBytes("a.rec", bytes)

        let reader = try RecordReader(path: path("a.rec"), bufferCapacity: 4096)
        XCTAssertEqual(try reader.next(), records[0])
        XCTAssertEqual(try reader.next(), records[1])
        assertThrows(.dataCorrupt(offset: b[2])) { try reader.next() }
        assertThrows(.dataCorrupt(offset: b[2]), reader.skip)  // pending until skipped
        XCTAssertEqual(reader.offset, b[2])

        let skip = try reader.skipDamage()
        XCTAssertEqual(skip, RecordDamageSkip(damagedOffset: b[2], resumeOffset: b[3]))
        XCTAssertEqual(skip?.skippedBytes, 300 + 16)
        XCTAssertEqual(reader.offset, b[3])
        XCTAssertEqual(reader.recordsRead, 2, "the damaged record is not counted")

        XCTAssertEqual(try reader.next(), records[3])
        XCTAssertEqual(try reader.next(), records[4])
        XCTAssertNil(try reader.next())
        XCTAssertEqual(reader.recordsRead, 4)
        XCTAssertEqual(reader.offset, b[5])
        XCTAssertNil(try reader.skipDamage(), "nothing pending any more")
    }

    /// A damaged length field gives no length to trust: the reader scans for the next record,
    /// here across a damaged record larger than its buffer.
    func testLengthCorruptionIsSkippedByScanning() throws {
        var rng = SeededGenerator(seed: 22)
        let records = [rng.bytes(500), rng.bytes(10_000), rng.bytes(3000), [], rng.bytes(7)]
        let b = boundaries(records)
        let bytes = try writeFile("a.rec", records, runID: runID)
        // A bit of the length, a bit of its checksum.
        for damagedByte in [b[1] + 1, b[1] + 10] {
            var damaged = bytes
            damaged[damagedByte] ^= 0x04
            try setFileBytes("a.rec", damaged)

            let reader = try RecordReader(path: path("a.rec"), bufferCapacity: 4096)
            XCTAssertTrue(try reader.skip())
            assertThrows(.lengthCorrupt(offset: b[1]), reader.skip)
            XCTAssertEqual(try reader.skipDamage(), RecordDamageSkip(damagedOffset: b[1], resumeOffset: b[2]))
            var rest: [[UInt8]] = []
            while let record = try reader.next() { rest.append(record) }
            XCTAssertEqual(rest, Array(records[2...]))
            XCTAssertEqual(reader.recordsRead, 4)
        }
    }

    /// A record longer than the reader accepts has a length that checks: it is skipped whole.
    func testTooLongRecordIsSkippedByItsLength() throws {
        var rng = SeededGenerator(seed: 23)
        let records = [rng.bytes(10), rng.bytes(100), rng.bytes(10)]
        let b = boundaries(records)
        let bytes = try writeFile("a.rec", records, runID: runID)

        let read = readLeniently("a.rec", maxRecordLength: 50)
        XCTAssertEqual(read.records, [records[0], records[2]])
        XCTAssertEqual(read.damage, [.recordTooLong(offset: b[1], length: 100)])
        XCTAssertEqual(read.skips, [RecordDamageSkip(damagedOffset: b[1], resumeOffset: b[2])])
        XCTAssertNil(read.end)

        // One that runs past the end of the file: nothing follows it.
        try setFileBytes("a.rec", Array(bytes[..<(b[1] + 50)]))
        let cut = readLeniently("a.rec", maxRecordLength: 50)
        XCTAssertEqual(cut.records, [records[0]])
        XCTAssertEqual(cut.skips, [RecordDamageSkip(damagedOffset: b[1], resumeOffset: b[1] + 50)])
        XCTAssertNil(cut.end)
    }

    /// After the damage, a record still being written is a torn tail, as it is without damage.
    func testDamageBeforeATornTailResumesAtTheTornRecord() throws {
        var rng = SeededGenerator(seed: 24)
        let records = [rng.bytes(100), rng.bytes(200), rng.bytes(300)]
        let b = boundaries(records)
        let bytes = try writeFile("a.rec", records, runID: runID)
        for (damagedByte, error) in [(b[1] + 12 + 5, RecordError.dataCorrupt(offset: b[1])), (b[1] + 2, .lengthCorrupt(offset: b[1]))] {
            var damaged = bytes
            damaged[damagedByte] ^= 0x01
            try setFileBytes("a.rec", Array(damaged[..<(b[2] + 20)]))

            let reader = try RecordReader(path: path("a.rec"), bufferCapacity: 4096)
            XCTAssertEqual(try reader.next(), records[0])
            assertThrows(error) { try reader.next() }
            XCTAssertEqual(try reader.skipDamage(), RecordDamageSkip(damagedOffset: b[1], resumeOffset: b[2]))
            assertThrows(.tornTail(offset: b[2])) { try reader.next() }
            // The writer finishes the record: the reader picks it up.
            try setFileBytes("a.rec", damaged)
            XCTAssertEqual(try reader.next(), records[2])
            XCTAssertNil(try reader.next())
        }
    }

    /// A torn record whose length field is itself cut cannot be told from garbage after a damaged
    /// length: the scan finds nothing and reading resumes at the end of the file.
    func testTornLengthFieldAfterDamagedLengthResumesAtTheEnd() throws {
        var rng = SeededGenerator(seed: 25)
        let records = [rng.bytes(100), rng.bytes(200), rng.bytes(300)]
        let b = boundaries(records)
        var bytes = try writeFile("a.rec", records, runID: runID)
        bytes[b[1] + 2] ^= 0x01
        try setFileBytes("a.rec", Array(bytes[..<(b[2] + 5)]))
        let read = readLeniently("a.rec")
        XCTAssertEqual(read.records, [records[0]])
        XCTAssertEqual(read.skips, [RecordDamageSkip(damagedOffset: b[1], resumeOffset: b[2] + 5)])
        XCTAssertNil(read.end)
    }

    func testConsecutiveDamagedRecordsAreEachReported() throws {
        var rng = SeededGenerator(seed: 26)
        let records = (0..<5).map { _ in rng.bytes(64) }
        let b = boundaries(records)
        var bytes = try writeFile("a.rec", records, runID: runID)
        bytes[b[1] + 12 + 3] ^= 0x80  // data of record 1
        bytes[b[2] + 4] ^= 0x80  // length of record 2
        try setFileBytes("a.rec", bytes)

        let read = readLeniently("a.rec")
        XCTAssertEqual(read.records, [records[0], records[3], records[4]])
        XCTAssertEqual(read.damage, [.dataCorrupt(offset: b[1]), .lengthCorrupt(offset: b[2])])
        XCTAssertEqual(read.skips, [
            RecordDamageSkip(damagedOffset: b[1], resumeOffset: b[2]),
            RecordDamageSkip(damagedOffset: b[2], resumeOffset: b[3]),
        ])
        XCTAssertNil(read.end)
    }

    /// A payload holding a framed record: when the outer record's length checks, its data is not
    /// searched, so the inner record is never returned as one of the file's.
    func testRecordInsideADamagedPayloadIsNotReturned() throws {
        let inner = framed(Array("inner".utf8))
        let records: [[UInt8]] = [[1, 2, 3], [9, 9, 9] + inner + [9, 9, 9], [4]]
        let b = boundaries(records)
        var bytes = try writeFile("a.rec", records, runID: runID)
        bytes[b[1] + 12 + 1] ^= 0x02
        try setFileBytes("a.rec", bytes)

        let read = readLeniently("a.rec")
        XCTAssertEqual(read.records, [records[0], records[2]])
        XCTAssertEqual(read.skips, [RecordDamageSkip(damagedOffset: b[1], resumeOffset: b[2])])
    }

    func testNothingToSkipWithoutCorruption() throws {
        let records: [[UInt8]] = [[1], [2, 2]]
        let b = boundaries(records)
        let bytes = try writeFile("a.rec", records, runID: runID)
        try setFileBytes("a.rec", Array(bytes.dropLast()))

        let reader = try RecordReader(path: path("a.rec"), bufferCapacity: 4096)
        XCTAssertNil(try reader.skipDamage())
        XCTAssertEqual(reader.offset, b[0])
        XCTAssertEqual(try reader.next(), records[0])
        assertThrows(.tornTail(offset: b[1])) { try reader.next() }
        XCTAssertNil(try reader.skipDamage(), "a torn tail is not damage")
        XCTAssertEqual(reader.offset, b[1])
        reader.close()
        assertThrows(.closed) { try reader.skipDamage() }
    }

    /// Reliability test 14: files cut at random offsets and with random bit flips. Every complete
    /// record before a cut is recovered and the end is told right; every single-bit flip is
    /// detected, and read leniently every record but the damaged one is recovered, none altered.
    /// Half the flips hit a length field or its checksum, so that the scan is exercised too.
    func testRandomCutsAndSingleBitFlips() throws {
        let trials = 2000
        let header = try writeFile("header.rec", [], runID: runID)
        XCTAssertEqual(header.count, headerSize)
        var rng = SeededGenerator(seed: 14)
        // Records are slices of a random pool, and files are rewritten in place through open
        // descriptors: both keep 2,000 trials fast in a debug build.
        var pool = [UInt8](repeating: 0, count: 1 << 16)
        pool.withUnsafeMutableBytes { pool in
            for i in 0..<(pool.count / 8) { pool.storeBytes(of: rng.next(), toByteOffset: i * 8, as: UInt64.self) }
        }
        func randomRecord() -> [UInt8] {
            let count = Int(rng.next() % 2001)
            let start = Int(rng.next() % UInt64(pool.count - count))
            return Array(pool[start..<(start + count)])
        }
        let cutFile = try FileForRewriting(path("cut.rec"))
        let flipFile = try FileForRewriting(path("flip.rec"))

        var cutsClean = 0, cutsTorn = 0, cutsInHeader = 0
        var flips = 0, flipsDetected = 0, lengthFlips = 0, recovered = 0, expected = 0, wrongRecords = 0
        for trial in 0..<trials {
            let records = (0..<(1 + rng.next() % 8)).map { _ in randomRecord() }
            let bytes = header + records.flatMap(framed)
            if trial == 0 { XCTAssertEqual(bytes, try writeFile("written.rec", records, runID: runID)) }
            let b = boundaries(records)

            // (a) Cut at a random offset.
            let cut = Int(rng.next() % UInt64(bytes.count + 1))
            try cutFile.rewrite(bytes[..<cut])
            let cutRead = readLeniently("cut.rec")
            XCTAssertEqual(cutRead.skips, [], "trial \(trial): cut at \(cut)")
            if let complete = b.lastIndex(where: { $0 <= cut }) {
                XCTAssertTrue(cutRead.records == Array(records[..<complete]), "trial \(trial): cut at \(cut)")
                if b[complete] == cut {
                    XCTAssertNil(cutRead.end, "trial \(trial): cut at \(cut)")
                    cutsClean += 1
                } else {
                    XCTAssertEqual(cutRead.end, .tornTail(offset: b[complete]), "trial \(trial): cut at \(cut)")
                    cutsTorn += 1
                }
            } else {
                XCTAssertEqual(cutRead.end, .headerTruncated(length: cut))
                cutsInHeader += 1
            }

            // (b) Flip one random bit after the header; (c) one in a random record's length field
            // or its checksum, which leaves no length to trust.
            let anyBit = headerSize * 8 + Int(rng.next() % UInt64((bytes.count - headerSize) * 8))
            let lengthBit = b[Int(rng.next() % UInt64(records.count))] * 8 + Int(rng.next() % (12 * 8))
            for bit in [anyBit, lengthBit] {
                var flipped = bytes
                flipped[bit / 8] ^= 1 << (bit % 8)
                try flipFile.rewrite(flipped[...])
                let damaged = b.lastIndex { $0 <= bit / 8 }!
                let inLength = bit / 8 - b[damaged] < 12
                var others = records
                others.remove(at: damaged)

                let read = readLeniently("flip.rec")
                flips += 1
                if !read.damage.isEmpty { flipsDetected += 1 }
                wrongRecords += read.records.filter { !records.contains($0) }.count
                expected += others.count
                recovered += zip(read.records, others).prefix { $0 == $1 }.count
                if inLength { lengthFlips += 1 }
                let error: RecordError = inLength ? .lengthCorrupt(offset: b[damaged]) : .dataCorrupt(offset: b[damaged])
                XCTAssertEqual(read.damage, [error], "trial \(trial): bit \(bit)")
                XCTAssertEqual(read.skips, [RecordDamageSkip(damagedOffset: b[damaged], resumeOffset: b[damaged + 1])], "trial \(trial): bit \(bit)")
                XCTAssertTrue(read.records == others, "trial \(trial): bit \(bit)")
                XCTAssertNil(read.end, "trial \(trial): bit \(bit)")
            }
        }
        XCTAssertEqual(cutsClean + cutsTorn + cutsInHeader, trials)
        XCTAssertEqual(flipsDetected, flips)
        XCTAssertEqual(recovered, expected)
        XCTAssertEqual(wrongRecords, 0)
        print("""
            reliability 14, \(trials) trials: cuts \(cutsClean) clean, \(cutsTorn) torn, \(cutsInHeader) in the header, \
            every complete record before the cut recovered; single-bit flips \
            detected \(flipsDetected)/\(flips) (\(lengthFlips) in a length field or its checksum), \
            records recovered \(recovered)/\(expected), wrong records returned \(wrongRecords)
            """)
    }
}

/// A file kept open to replace its contents quickly (`pwrite` and `ftruncate`, no fsync).
private final class FileForRewriting {
    private let descriptor: Int32

    init(_ path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    deinit { close(descriptor) }

    func rewrite(_ bytes: ArraySlice<UInt8>) throws {
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count, ftruncate(descriptor, off_t(bytes.count)) == 0 else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
    }
}
