import FleetCluster
import FleetWire
import Foundation
import Logging
import XCTest
import FleetTestSupport
import FleetConfig

/// The bytes of TensorBoard event files: TFRecord framing with masked CRC-32C, and the hand-encoded
/// `Event` / `Summary` / `Value` messages.
final class TensorBoardEventFileTests: XCTestCase {
    /// Written by TensorBoard's own Python `RecordWriter` from `event_pb2.Event`s: the file_version
    /// event at wall time 1.5, then step 512 at wall time 2.25 with `charts/SPS` 5120 and
    /// `losses/value_loss` 0.5.
    static let golden = bytes(hex:
        "1800000000000000a37f4b2209000000000000f83f1a0d627261696e2e4576656e743a322a28646c"
        + "3b000000000000001a23ac5c0900000000000002401080042a2d0a110a0a6368617274732f53505315"
        + "0000a0450a180a116c6f737365732f76616c75655f6c6f7373150000003f0bca9d16")

    private func writer(in directory: URL, clock: ManualClock, flushInterval: Double = 5) throws -> TensorBoardEventWriter {
        try TensorBoardEventWriter(directory: directory, flushInterval: flushInterval, hostname: "testhost", clock: clock.read)
    }

    func testTinyFileMatchesTensorBoardsOwnBytes() throws {
        let directory = try makeTemporaryDirectory(self)
        let events = try writer(in: directory, clock: ManualClock(1.5))
        try events.write(
            step: 512, scalars: [MetricScalar("charts/SPS", 5120), MetricScalar("losses/value_loss", 0.5)], wallTime: 2.25)
        try events.close()
        XCTAssertEqual(events.fileURL.lastPathComponent, "events.out.tfevents.1.testhost")
        XCTAssertEqual(hex(try Data(contentsOf: events.fileURL)), hex(Self.golden))
    }

    func testEveryRecordsFramingChecksOut() throws {
        let directory = try makeTemporaryDirectory(self)
        let events = try writer(in: directory, clock: ManualClock(1_764_000_000.25))
        for step in stride(from: 0, to: 5000, by: 512) {
            try events.write(step: step, scalars: [MetricScalar(MetricTag.episodicReturn, Double(step) / 10)])
        }
        try events.close()
        let file = [UInt8](try Data(contentsOf: events.fileURL))
        var offset = 0, records = 0
        func uint32(_ at: Int) -> UInt32 { file[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        while offset < file.count {
            let length = Int(file[offset..<offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            XCTAssertEqual(uint32(offset + 8), CRC32C.mask(CRC32C.checksum(file[offset..<offset + 8])), "length CRC")
            let data = file[offset + 12..<offset + 12 + length]
            XCTAssertEqual(uint32(offset + 12 + length), CRC32C.mask(CRC32C.checksum(data)), "data CRC")
            if records == 0 { XCTAssertTrue(hex(data).contains(hex(Array("brain.Event:2".utf8)))) }
            offset += 16 + length
            records += 1
        }
        XCTAssertEqual(offset, file.count)
        XCTAssertEqual(records, 1 + 10)
    }

    func testEventsAreBufferedUntilTheFlushInterval() throws {
        let directory = try makeTemporaryDirectory(self)
        let clock = ManualClock(100)
        let events = try writer(in: directory, clock: clock, flushInterval: 5)
        func size() throws -> Int { try Data(contentsOf: events.fileURL).count }
        let header = try size()
        XCTAssertEqual(header, 40, "the file_version event is on disk at once")
        clock.now = 102
        try events.write(step: 1, scalars: [MetricScalar("a", 1)])
        XCTAssertEqual(try size(), header, "buffered")
        clock.now = 105
        try events.write(step: 2, scalars: [MetricScalar("a", 2)])
        let flushed = try size()
        XCTAssertGreaterThan(flushed, header, "flushed after 5 s")
        clock.now = 106
        try events.write(step: 3, scalars: [MetricScalar("a", 3)])
        XCTAssertEqual(try size(), flushed)
        try events.close()
        XCTAssertGreaterThan(try size(), flushed, "flushed on close")
    }

    func testTwoWritersInTheSameSecondGetTwoFiles() throws {
        let directory = try makeTemporaryDirectory(self)
        let first = try writer(in: directory, clock: ManualClock(7))
        let second = try writer(in: directory, clock: ManualClock(7))
        XCTAssertNotEqual(first.fileURL, second.fileURL)
        XCTAssertTrue(second.fileURL.lastPathComponent.hasPrefix("events.out.tfevents.7.testhost"))
    }

    func testHostnameIsNotEmpty() {
        XCTAssertFalse(TensorBoardEventWriter.hostname.isEmpty)
        XCTAssertFalse(TensorBoardEventWriter.hostname.contains("\0"))
    }
}

final class MetricsFileTests: XCTestCase {
    func testJSONLineHoldsStepWallTimeAndEveryScalarInOrder() throws {
        let line = MetricsJSONLWriter.line(
            step: 512, wallTime: 1_764_000_000.5,
            scalars: [MetricScalar("charts/SPS", 5120), MetricScalar("losses/approx_kl", 1e-05),
                      MetricScalar("odd \"tag\"", .nan)])
        XCTAssertEqual(
            line,
            #"{"step": 512, "wall_time": 1764000000.5, "charts/SPS": 5120.0, "losses/approx_kl": 1e-05, "odd \"tag\"": null}"#)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["losses/approx_kl"] as? Double, 1e-05)
    }

    func testLoggerFansEachStepToEventsJSONLAndProgress() throws {
        let root = try makeTemporaryDirectory(self)
        let directory = try RunDirectory(creating: root.appendingPathComponent("run").path)
        let clock = ManualClock(1000)
        var shown: [String] = []
        let progress = ProgressLine(isTerminal: false, clock: clock.read, output: { shown.append($0) })
        let logger = try MetricsLogger(directory: directory, progress: progress, clock: clock.read)
        try logger.log(step: 512, [MetricTag.stepsPerSecond: 512, MetricTag.valueLoss: 0.25])
        clock.now = 1001
        try logger.log(step: 1024, [MetricTag.stepsPerSecond: 600, MetricTag.returnMean100: 22])
        try logger.close()

        let lines = try String(contentsOf: directory.metricsFile, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines, [
            #"{"step": 512, "wall_time": 1000.0, "charts/SPS": 512.0, "losses/value_loss": 0.25}"#,
            #"{"step": 1024, "wall_time": 1001.0, "charts/SPS": 600.0, "charts/return_mean100": 22.0}"#,
        ])
        let eventFiles = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
            .filter { $0.hasPrefix("events.out.tfevents.1000.") }
        XCTAssertEqual(eventFiles.count, 1)
        XCTAssertEqual(shown.first, "steps 512 | SPS 512 | return100 - | policy - | lag - | queue -\n")
        XCTAssertEqual(shown.last, "steps 1024 | SPS 600 | return100 22.00 | policy - | lag - | queue -\n")
    }
}
