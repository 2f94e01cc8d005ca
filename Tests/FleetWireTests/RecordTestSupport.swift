import Foundation
import XCTest
@testable import FleetWire

/// A fresh temporary directory per test, removed in `tearDown`.
class RecordFileTestCase: XCTestCase {
    private(set) var directory = ""

    override func setUpWithError() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-records-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        directory = url.path
    }

    override func tearDownWithError() throws {
        if !directory.isEmpty { try FileManager.default.removeItem(atPath: directory) }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Writes `records` to a new file and returns the file's bytes.
    @discardableResult
    func writeFile(_ name: String, _ records: [[UInt8]], runID: String = "run-test") throws -> [UInt8] {
        let writer = try RecordWriter.create(path: path(name), schemaVersion: 1, runID: runID)
        for record in records { try writer.append(record) }
        try writer.close()
        return try fileBytes(name)
    }

    func fileBytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    func setFileBytes(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
    }

    /// Reads every record of a file: the records returned and how the reading ended
    /// (`nil` for a clean end, else the error thrown).
    func readAll(_ name: String, maxRecordLength: Int = RecordFile.defaultMaxRecordLength)
        -> (records: [[UInt8]], end: RecordError?)
    {
        var records: [[UInt8]] = []
        do {
            let reader = try RecordReader(path: path(name), maxRecordLength: maxRecordLength, bufferCapacity: 4096)
            while let record = try reader.next() { records.append(record) }
            return (records, nil)
        } catch {
            return (records, error)
        }
    }

    /// Reads every record of a file as replay does: a corrupt record is skipped with
    /// `skipDamage()` and reading goes on. Returns the records, the corruption errors with their
    /// skips, and how the reading ended (`nil` for a clean end, else the error that ended it).
    func readLeniently(_ name: String, maxRecordLength: Int = RecordFile.defaultMaxRecordLength)
        -> (records: [[UInt8]], damage: [RecordError], skips: [RecordDamageSkip], end: RecordError?)
    {
        var records: [[UInt8]] = []
        var damage: [RecordError] = []
        var skips: [RecordDamageSkip] = []
        do throws(RecordError) {
            let reader = try RecordReader(path: path(name), maxRecordLength: maxRecordLength, bufferCapacity: 4096)
            while true {
                do throws(RecordError) {
                    guard let record = try reader.next() else { return (records, damage, skips, nil) }
                    records.append(record)
                } catch .tornTail(let offset) {
                    return (records, damage, skips, .tornTail(offset: offset))
                } catch {
                    guard let skip = try reader.skipDamage() else { throw error }
                    XCTAssertGreaterThan(skip.resumeOffset, skip.damagedOffset, "reading must move forward")
                    damage.append(error)
                    skips.append(skip)
                }
            }
        } catch {
            return (records, damage, skips, error)
        }
    }

    /// A record framed as ``RecordWriter`` frames it: length, its checksum, data, data checksum.
    func framed(_ record: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        _RecordBytes.append(&bytes, UInt64(record.count))
        _RecordBytes.append(&bytes, CRC32C.mask(CRC32C.checksum(bytes)))
        bytes += record
        _RecordBytes.append(&bytes, CRC32C.mask(CRC32C.checksum(record)))
        return bytes
    }
}
