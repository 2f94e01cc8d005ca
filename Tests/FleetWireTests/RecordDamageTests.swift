import XCTest
@testable import FleetWire

/// Reliability test 14 in small: a file cut at every byte offset, and every single-bit flip.
final class RecordDamageTests: RecordFileTestCase {
    private let records: [[UInt8]] = [[], [0x42], Array("a complete record".utf8), [0, 0, 0, 0, 0], [0xFF, 0xEE]]
    private let runID = "run-cut"
    private var headerSize: Int { 22 + runID.utf8.count }

    /// Offsets where a record ends (the first one is the end of the header).
    private var boundaries: [Int] {
        records.reduce(into: [headerSize]) { $0.append($0.last! + $1.count + 16) }
    }

    func testCutAtEveryOffset() throws {
        let bytes = try writeFile("full.rec", records, runID: runID)
        XCTAssertEqual(bytes.count, boundaries.last)
        var clean = 0, torn = 0, header = 0
        for cut in 0...bytes.count {
            try setFileBytes("cut.rec", Array(bytes[..<cut]))
            let read = readAll("cut.rec")
            let complete = boundaries.lastIndex { $0 <= cut }
            guard let complete else {
                XCTAssertEqual(read.end, .headerTruncated(length: cut), "cut at \(cut)")
                header += 1
                continue
            }
            XCTAssertEqual(read.records, Array(records[..<complete]), "cut at \(cut)")
            if boundaries[complete] == cut {
                XCTAssertNil(read.end, "cut at \(cut)")
                clean += 1
            } else {
                XCTAssertEqual(read.end, .tornTail(offset: boundaries[complete]), "cut at \(cut)")
                torn += 1
            }
        }
        XCTAssertEqual(clean, records.count + 1)
        XCTAssertEqual(header, headerSize)
        XCTAssertEqual(clean + torn + header, bytes.count + 1)
    }

    func testEverySingleBitFlipIsDetected() throws {
        let bytes = try writeFile("full.rec", records, runID: runID)
        var outcomes: [String: Int] = [:]
        for bit in 0..<(bytes.count * 8) {
            var flipped = bytes
            flipped[bit / 8] ^= 1 << (bit % 8)
            try setFileBytes("flip.rec", flipped)
            let read = readAll("flip.rec")
            XCTAssertNotNil(read.end, "bit \(bit) flipped and the file still reads cleanly")
            XCTAssertEqual(read.records, Array(records.prefix(read.records.count)), "bit \(bit): a damaged record was returned")
            // Records before the flipped byte are all returned.
            let damagedRecord = boundaries.lastIndex { $0 <= bit / 8 } ?? 0
            if bit / 8 >= headerSize { XCTAssertEqual(read.records.count, damagedRecord, "bit \(bit)") }
            outcomes[read.end.map(Self.kind) ?? "clean", default: 0] += 1
        }
        XCTAssertNil(outcomes["clean"])
        XCTAssertEqual(outcomes.values.reduce(0, +), bytes.count * 8)
        // The header's bits are caught by the header checks, the records' by their checksums.
        let headerErrors = ["badMagic", "unsupportedFormatVersion", "headerCorrupt", "headerTruncated"]
            .reduce(0) { $0 + outcomes[$1, default: 0] }
        XCTAssertEqual(headerErrors, headerSize * 8)
        XCTAssertEqual(outcomes["badMagic"], 64)
        XCTAssertEqual(outcomes["lengthCorrupt"], records.count * 12 * 8)
        XCTAssertEqual(outcomes["dataCorrupt"], records.reduce(0) { $0 + $1.count + 4 } * 8)
        print("single-bit flips of a \(bytes.count)-byte file:", outcomes.sorted { $0.key < $1.key })
    }

    /// Random cuts and flips of a larger file read through a small buffer.
    func testSeededCutsAndFlipsOfALargerFile() throws {
        var rng = SeededGenerator(seed: 14)
        let records = (0..<40).map { _ in rng.bytes(Int(rng.next() % 6000)) }
        let writer = try RecordWriter.create(path: path("big.rec"), schemaVersion: 1, runID: "r")
        for record in records { try writer.append(record) }
        try writer.close()
        let bytes = try fileBytes("big.rec")
        let boundaries = records.reduce(into: [23]) { $0.append($0.last! + $1.count + 16) }
        for _ in 0..<100 {
            let cut = Int(rng.next() % UInt64(bytes.count - 23)) + 23
            try setFileBytes("cut.rec", Array(bytes[..<cut]))
            let read = readAll("cut.rec")
            let complete = boundaries.lastIndex { $0 <= cut }!
            XCTAssertEqual(read.records.count, complete)
            XCTAssertTrue(read.records == Array(records[..<complete]))
            XCTAssertEqual(read.end, boundaries[complete] == cut ? nil : .tornTail(offset: boundaries[complete]))

            let bit = Int(rng.next() % UInt64(bytes.count * 8))
            var flipped = bytes
            flipped[bit / 8] ^= 1 << (bit % 8)
            try setFileBytes("flip.rec", flipped)
            let damaged = readAll("flip.rec")
            XCTAssertNotNil(damaged.end)
            XCTAssertTrue(damaged.records == Array(records.prefix(damaged.records.count)))
        }
    }

    private static func kind(_ error: RecordError) -> String {
        switch error {
        case .badMagic: "badMagic"
        case .unsupportedFormatVersion: "unsupportedFormatVersion"
        case .headerTruncated: "headerTruncated"
        case .headerCorrupt: "headerCorrupt"
        case .lengthCorrupt: "lengthCorrupt"
        case .dataCorrupt: "dataCorrupt"
        case .recordTooLong: "recordTooLong"
        case .tornTail: "tornTail"
        default: "\(error)"
        }
    }
}
