import FleetWire
import Foundation
import XCTest
import FleetTestSupport

/// Capture entries, rotating capture files, and reading them back through damage.
final class CaptureFileTests: XCTestCase {
    private func entry(_ version: UInt64, kind: CaptureEntry.Kind = .consumed, reason: String = "", size: Int = 100)
        -> CaptureEntry
    {
        CaptureEntry(
            kind: kind, learnerVersion: version, arrivalSeconds: Double(version) / 4, eventSeconds: Double(version) / 2,
            reason: reason, frame: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(version)) })
    }

    func testEntriesRoundTripEveryField() throws {
        for kind in CaptureEntry.Kind.allCases {
            let original = entry(7, kind: kind, reason: kind == .dropped ? "stale" : "")
            XCTAssertEqual(try CaptureEntry(decoding: original.encoded()), original)
        }
        let empty = CaptureEntry(kind: .sent, learnerVersion: .max, arrivalSeconds: 0, eventSeconds: -1, frame: [])
        XCTAssertEqual(try CaptureEntry(decoding: empty.encoded()), empty)
        XCTAssertEqual(empty.encoded().count, 32, "the fixed fields only")
    }

    func testBytesThatAreNotAnEntryAreRefusedWithTheReason() {
        let good = entry(1, kind: .dropped, reason: "stale").encoded()
        func refusal(_ bytes: [UInt8]) -> CaptureEntryError? {
            do {
                _ = try CaptureEntry(decoding: bytes)
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(refusal(Array(good.prefix(31))), .tooShort(length: 31))
        var version = good
        version[0] = 2
        XCTAssertEqual(refusal(version), .unsupportedLayoutVersion(2))
        var kind = good
        kind[1] = 9
        XCTAssertEqual(refusal(kind), .unknownKind(9))
        var reasonLength = good
        reasonLength[2] = 0xFF
        reasonLength[3] = 0x7F
        XCTAssertEqual(refusal(reasonLength), .badReasonLength(0x7FFF))
        var reason = good
        reason[32] = 0xFF
        XCTAssertEqual(refusal(reason), .reasonNotUTF8)
    }

    func testAReasonTooLongIsCutToTheLimit() throws {
        let long = entry(1, kind: .dropped, reason: String(repeating: "é", count: 600))
        let decoded = try CaptureEntry(decoding: long.encoded())
        XCTAssertLessThanOrEqual(decoded.reason.utf8.count, CaptureEntry.maxReasonLength)
        XCTAssertTrue(decoded.reason.allSatisfy { $0 == "é" })
        // A three-byte character across the limit is left out whole, not cut in half.
        let straddling = entry(1, kind: .dropped, reason: String(repeating: "a", count: 1023) + "€b")
        let cut = try CaptureEntry(decoding: straddling.encoded())
        XCTAssertEqual(cut.reason, String(repeating: "a", count: 1023))
    }

    func testFilesRotatePastTheirSizeAndReadBackInOrder() throws {
        let directory = try makeTemporaryDirectory(self)
        let series = CaptureFileSeries(directory: directory, prefix: "consumed", kind: .consumed, runID: "r", maxFileBytes: 1000)
        for version in 0..<20 { try series.append(entry(UInt64(version), size: 200)) }
        try series.close()
        // 200 data + 32 fixed + 16 framing = 248 bytes a record, after a 23-byte header: 3 records a file.
        XCTAssertEqual(series.files.map(\.records), [3, 3, 3, 3, 3, 3, 2])
        XCTAssertEqual(series.files.map(\.name).first, "consumed-00000.fleetrec")
        XCTAssertTrue(series.files.allSatisfy { $0.bytes <= 1000 })
        let reader = CaptureReader(files: series.files.map { directory.appendingPathComponent($0.name).path })
        XCTAssertEqual(try reader.readAll().map(\.entry.learnerVersion), (0..<20).map(UInt64.init))
        XCTAssertEqual(reader.damage, [])
    }

    func testARecordLargerThanAFileStillGetsOne() throws {
        let directory = try makeTemporaryDirectory(self)
        let series = CaptureFileSeries(directory: directory, prefix: "dropped", kind: .dropped, runID: "r", maxFileBytes: 100)
        for version in 0..<3 { try series.append(entry(UInt64(version), kind: .dropped, reason: "stale", size: 500)) }
        try series.close()
        XCTAssertEqual(series.files.map(\.records), [1, 1, 1])
    }

    /// A corrupt record in the first file and a torn tail in the second: lenient reading reports
    /// both with their offsets and returns every other entry; strict reading throws at the first.
    func testDamageIsReportedAndSkippedLenientlyAndFatalStrictly() throws {
        let directory = try makeTemporaryDirectory(self)
        let series = CaptureFileSeries(directory: directory, prefix: "consumed", kind: .consumed, runID: "r", maxFileBytes: 800)
        for version in 0..<6 { try series.append(entry(UInt64(version), size: 200)) }
        try series.close()
        let paths = series.files.map { directory.appendingPathComponent($0.name).path }
        XCTAssertEqual(series.files.map(\.records), [3, 3])
        let header = 23, record = 248
        // A flipped byte in the data of the first file's second record.
        let first = try FileHandle(forUpdating: URL(fileURLWithPath: paths[0]))
        try first.seek(toOffset: UInt64(header + record + 100))
        try first.write(contentsOf: [0xA5])
        try first.close()
        // The second file cut inside its last record.
        let second = try FileHandle(forUpdating: URL(fileURLWithPath: paths[1]))
        try second.truncate(atOffset: UInt64(header + 2 * record + 50))
        try second.close()

        let lenient = CaptureReader(files: paths)
        XCTAssertEqual(try lenient.readAll().map(\.entry.learnerVersion), [0, 2, 3, 4])
        XCTAssertEqual(lenient.damage.map(\.kind), ["corrupt_record", "torn_tail"])
        XCTAssertEqual(lenient.damage.map(\.offset), [header + record, header + 2 * record])
        XCTAssertEqual(lenient.damage.map(\.file), paths)
        XCTAssertEqual(lenient.damage.map(\.skippedBytes), [record, 50])

        let strict = CaptureReader(files: paths, mode: .strict)
        XCTAssertEqual(try strict.next()?.entry.learnerVersion, 0)
        XCTAssertThrowsError(try strict.next()) { error in
            XCTAssertTrue("\(error)".contains("corrupt record data at offset \(header + record)"), "\(error)")
        }
    }
}
