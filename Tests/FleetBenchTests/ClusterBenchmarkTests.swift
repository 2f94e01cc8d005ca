import FleetCluster
import Foundation
import XCTest

@testable import FleetBench

/// `fleet bench cluster`: its figures are well formed and its pieces behave; no timing is asserted.
final class ClusterBenchmarkTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `fleet` executable beside the test bundle (built for this target): the benchmark's peer.
    static var fleetExecutable: String { Bundle.main.bundleURL.appendingPathComponent("fleet").path }

    func testBroadcastLatencyFiguresAreWellFormed() throws {
        let settings = WeightsBroadcastBenchmark.Settings(rounds: 1, warmUp: 3, cartPoleRoundTrips: 10, largeRoundTrips: 3)
        let figures = try WeightsBroadcastBenchmark.figures(settings: settings, fleetExecutable: Self.fleetExecutable)
        XCTAssertEqual(figures.count, 2)
        for figure in figures {
            XCTAssertEqual(figure.suite, "cluster")
            XCTAssertEqual(figure.unit, "µs")
            XCTAssertFalse(figure.higherIsBetter)
            for number in [figure.value, figure.baselineValue, figure.ratio] {
                XCTAssertTrue(number.isFinite && number > 0, "\(figure.name): \(number)")
            }
            XCTAssertTrue(figure.detail?.hasPrefix("p99 ") ?? false, figure.detail ?? "no detail")
        }
        XCTAssertTrue(figures[0].name.contains("CartPole"), figures[0].name)
        XCTAssertEqual(figures[0].goal, WeightsBroadcastBenchmark.cartPoleGoal)
        XCTAssertTrue(figures[1].name.contains("4.00 MiB"), figures[1].name)
        XCTAssertNil(figures[1].goal)
        XCTAssertTrue(BenchReport(figures: figures).table().contains("<= 1.50"))
    }

    func testEmbeddedCartPoleConfigMatchesTheClusterFile() throws {
        let file = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        XCTAssertEqual(try ClusterBenchmark.cartPoleRunConfig().resolved, try RunConfig(file: file).resolved)
    }

    func testALatencyGoalIsACeiling() {
        func figure(_ value: Double) -> BenchFigure {
            BenchFigure(
                suite: "cluster", name: "latency", value: value, unit: "µs", baseline: "raw", baselineValue: 100,
                goal: 1.5, higherIsBetter: false)
        }
        XCTAssertTrue(figure(140).meetsGoal)
        XCTAssertFalse(figure(160).meetsGoal)
        XCTAssertTrue(BenchReport(figures: [figure(160)]).table().contains("<= 1.50 MISSED"))
        let rate = BenchFigure(suite: "wire", name: "rate", value: 90, unit: "MB/s", baseline: "memcpy", baselineValue: 100, goal: 0.8)
        XCTAssertTrue(rate.meetsGoal)
        XCTAssertTrue(BenchReport(figures: [rate]).table().contains(">= 0.80 met"))
    }

    func testMedianAndPercentile() {
        XCTAssertEqual(ClusterBenchmark.median([3, 1, 2]), 2)
        XCTAssertEqual(ClusterBenchmark.median([4, 1, 3, 2]), 2.5)
        let values = (1...100).map(Double.init)
        XCTAssertEqual(WeightsBroadcastBenchmark.percentile(values, 0.99), 99)
        XCTAssertEqual(WeightsBroadcastBenchmark.percentile(values, 0.5), 50)
        XCTAssertEqual(WeightsBroadcastBenchmark.percentile([7], 0.99), 7)
    }

    func testLongestPauseComesFromTheMetricsLines() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-metrics-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        let lines = [100.0, 100.1, 102.1, 102.2].map { "{\"step\": 1, \"wall_time\": \($0)}" }
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        // Lines span 2.2 s of a 2.5 s run: 0.3 s before the first update, 2.0 s between two.
        XCTAssertEqual(try XCTUnwrap(ClusterBenchmark.longestPause(metrics: url, wallSeconds: 2.5)), 2.0, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(ClusterBenchmark.longestPause(metrics: url, wallSeconds: 4.5)), 2.3, accuracy: 1e-9)
    }

    /// A child that ignores SIGTERM is killed after the grace period, with the processes it started.
    func testStoppingAChildKillsItsWholeTree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try BenchChildProcess(
            name: "sh", executable: "/bin/sh", arguments: ["-c", "trap '' TERM; sleep 60 & sleep 60 & wait"],
            outputDirectory: directory.path, stopGrace: 0.5)
        var tree: [Int32] = []
        let deadline = Date().addingTimeInterval(10)
        while tree.count < 2 && Date() < deadline {
            usleep(20_000)
            tree = BenchChildProcess.descendants(of: child.pid)
        }
        XCTAssertEqual(tree.count, 2)
        XCTAssertThrowsError(try child.waitForSuccess(timeout: 60, stopRequested: { true })) { error in
            XCTAssertTrue(error is BenchInterrupted, "\(error)")
        }
        XCTAssertFalse(child.isRunning)
        usleep(100_000)
        for pid in tree { XCTAssertFalse(isAlive(pid), "process \(pid) survived") }
    }


    /// Whether `pid` runs (a zombie waiting for its reaper does not).
    private func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
