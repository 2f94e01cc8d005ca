import Foundation
import XCTest

@testable import FleetBench

/// The capacity probe `fleet bench` runs before its suites: its readings are well formed, the
/// JSON report holds them under `capacity`, and the table shows the block; no timing is asserted.
final class CapacityProbeTests: XCTestCase {
    func testQuickProbeGivesPositiveFiniteReadings() {
        let capacity = CapacityProbe.measure(quick: true)
        XCTAssertFalse(capacity.cpuModel.isEmpty)
        XCTAssertGreaterThanOrEqual(capacity.onlineCores, 1)
        for (name, value) in [
            ("memcpy", capacity.memcpyGBPerSecond), ("sgemm", capacity.sgemmGFLOPS), ("scalar", capacity.scalarGOPS),
            ("probe seconds", capacity.probeSeconds),
        ] {
            XCTAssertTrue(value.isFinite && value > 0, "\(name): \(value)")
        }
        XCTAssertEqual(capacity.sgemmThreads, 1)
        XCTAssertGreaterThan(capacity.memcpyBytes, 1 << 20)
        if FileManager.default.fileExists(atPath: "/proc/loadavg") {
            let load = try? XCTUnwrap(capacity.loadAverage1Minute)
            XCTAssertTrue(load.map { $0.isFinite && $0 >= 0 } ?? false, "load \(String(describing: load))")
        }
    }

    func testJSONReportHasTheCapacityKeys() throws {
        let report = BenchReport(figures: [], capacity: Self.sample)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: try report.json()) as? [String: Any])
        XCTAssertNotNil(object["machine"])
        XCTAssertNotNil(object["date"])
        let capacity = try XCTUnwrap(object["capacity"] as? [String: Any])
        XCTAssertEqual(
            Set(capacity.keys),
            [
                "cpu_model", "online_cores", "load_average_1m", "memcpy_gb_per_s", "memcpy_bytes", "sgemm_gflops",
                "sgemm_size", "sgemm_threads", "scalar_gops", "probe_seconds", "blas_kernels",
            ])
        XCTAssertEqual(capacity["cpu_model"] as? String, "Test CPU @ 1.00GHz")
        XCTAssertEqual(capacity["online_cores"] as? Int, 2)
        XCTAssertEqual(capacity["memcpy_gb_per_s"] as? Double, 9.5)
        XCTAssertEqual(capacity["scalar_gops"] as? Double, 0.4125)

        var unknownLoad = Self.sample
        unknownLoad.loadAverage1Minute = nil
        let withNull = try XCTUnwrap(
            JSONSerialization.jsonObject(with: try BenchReport(figures: [], capacity: unknownLoad).json()) as? [String: Any])
        XCTAssertTrue((withNull["capacity"] as? [String: Any])?["load_average_1m"] is NSNull)
    }

    func testTableShowsTheBlockAboveTheFigures() {
        let figure = BenchFigure(suite: "wire", name: "decode", value: 10, unit: "MB/s", baseline: "memcpy", baselineValue: 20)
        let report = BenchReport(figures: [figure], capacity: Self.sample)
        let block = Self.sample.block
        XCTAssertEqual(
            block,
            """
            capacity (probed in 0.25 s, before the suites)
              cpu     Test CPU @ 1.00GHz, 2 cores online
              load    1.50 (1-minute average at start)
              memcpy  9.5 GB/s (64 MiB buffer)
              sgemm   61.2 GFLOP/s (384x384, 1 BLAS thread)
              blas    Haswell kernels (OpenBLAS's pick)
              scalar  0.412 G multiply-adds/s (dependent chain, 1 thread)

            """)
        let table = report.table()
        XCTAssertTrue(table.hasPrefix(block + "\n"), table)
        XCTAssertTrue(table.contains("suite  figure"), table)
        XCTAssertFalse(report.table(includingCapacity: false).contains("capacity"))
        XCTAssertFalse(BenchReport(figures: [figure]).table().contains("capacity"))
    }

    func testProcFilesAreParsed() {
        let x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
        XCTAssertEqual(CapacityProbe.cpuModel(cpuinfo: x86), "AMD EPYC 7B13")
        XCTAssertEqual(CapacityProbe.cpuModel(cpuinfo: "processor\t: 0\nBogoMIPS\t: 50.00\n\nHardware\t: BCM2835\n"), "BCM2835")
        XCTAssertNil(CapacityProbe.cpuModel(cpuinfo: "processor\t: 0\nmodel name\t:\n"))
        XCTAssertEqual(CapacityProbe.loadAverage1Minute(loadavg: "4.23 2.31 0.97 3/147 8448\n"), 4.23)
        XCTAssertNil(CapacityProbe.loadAverage1Minute(loadavg: ""))
        XCTAssertNil(CapacityProbe.loadAverage1Minute(loadavg: "nan 1 1"))
    }

    static let sample = MachineCapacity(
        cpuModel: "Test CPU @ 1.00GHz", onlineCores: 2, loadAverage1Minute: 1.5, memcpyGBPerSecond: 9.5,
        memcpyBytes: 64 << 20, sgemmGFLOPS: 61.24, sgemmSize: 384, sgemmThreads: 1, scalarGOPS: 0.4125,
        probeSeconds: 0.25, blasKernels: "Haswell kernels (OpenBLAS's pick)")
}
