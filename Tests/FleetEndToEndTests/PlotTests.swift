import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import FleetProcessTesting
import XCTest

/// `fleet plot` on a run `fleet train` wrote.
final class PlotTests: XCTestCase {
    func testPlotDrawsATrainedRunsLearningCurve() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-plot-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let runDir = root.appendingPathComponent("run")
        let config = TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let train = try FleetProcess.run(["train", config, "--set", "total_timesteps=2048", "--run-dir", runDir.path])
        XCTAssertEqual(train.status, 0, train.stderr)

        let out = root.appendingPathComponent("curve.svg")
        let plot = try FleetProcess.run(["plot", runDir.path, "--out", out.path])
        XCTAssertEqual(plot.status, 0, plot.stderr)
        XCTAssertTrue(plot.stdout.contains("charts/episodic_return"), plot.stdout)
        let parser = try XCTUnwrap(XMLParser(contentsOf: out))
        XCTAssertTrue(parser.parse(), "\(String(describing: parser.parserError))")
        let svg = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(svg.contains("data-run=\"run\""), svg)

        let missing = try FleetProcess.run(["plot", runDir.path, "--metric", "eval/accuracy", "--out", out.path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("losses/value_loss"), missing.stderr)
        let notARun = try FleetProcess.run(["plot", root.path, "--out", out.path])
        XCTAssertEqual(notARun.status, 1)
        XCTAssertTrue(notARun.stderr.contains("no metrics.jsonl"), notARun.stderr)
    }
}
