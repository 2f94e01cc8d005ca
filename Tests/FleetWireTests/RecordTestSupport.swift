import Foundation
import XCTest
@testable import FleetWire

/// A small deterministic generator for record tests (SplitMix64).
struct RecordTestRNG: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

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
}
