import Foundation
import XCTest

/// `fleet status ENDPOINT` against a live cluster started by `fleet launch`.
final class StatusTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    func testStatusPrintsTheLearnersCountersAsJSON() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-status-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let runDir = directory.appendingPathComponent("run")
        let launch = try ChildProcess(
            ["launch", config, "--actors", "2", "--set", "total_timesteps=50000000", "--run-dir", runDir.path],
            outputDirectory: directory, name: "launch", test: self)
        defer {
            launch.process.interrupt()
            _ = launch.wait(seconds: 15)
        }
        // The launch names the endpoint; wait until the learner has done a few updates.
        var endpoint: String?
        var document: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if endpoint == nil,
                let line = launch.stdout.split(separator: "\n").first(where: { $0.contains("fleet status ") })
            {
                endpoint = line.components(separatedBy: "fleet status ").last
            }
            if let endpoint {
                let result = try FleetProcess.run(["status", endpoint, "--timeout", "2"])
                if result.status == 0,
                    let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                    (parsed["policy_version"] as? Int ?? 0) >= 3
                {
                    document = parsed
                    break
                }
            }
            usleep(200_000)
        }
        XCTAssertNotNil(endpoint, launch.stdout)
        XCTAssertEqual(document["env"] as? String, "CartPole-v1")
        let actors = try XCTUnwrap(document["actors"] as? [String: [String: Any]], "\(document)")
        XCTAssertEqual(Set(actors.keys), ["actor-0", "actor-1"])
        for (id, actor) in actors {
            XCTAssertEqual(actor["state"] as? String, "live", id)
            XCTAssertEqual(actor["joins"] as? Int, 1, id)
            XCTAssertGreaterThan(actor["batches_accepted"] as? Int ?? 0, 0, id)
            XCTAssertNotNil(actor["weights_version"], id)
        }
        let queue = try XCTUnwrap(document["queue"] as? [String: Any])
        XCTAssertEqual(queue["byte_budget"] as? Int, 268_435_456)
        let histogram = try XCTUnwrap(document["policy_lag_histogram"] as? [String: Int])
        XCTAssertGreaterThan(histogram.values.reduce(0, +), 0)
        let sync = try XCTUnwrap(document["weight_sync"] as? [String: Any])
        XCTAssertGreaterThan(sync["versions_measured"] as? Int ?? 0, 0)
        XCTAssertEqual(document["rejected"] as? [String: Int], [:])
    }

    func testStatusSaysSoWhenNoLearnerAnswers() throws {
        let result = try FleetProcess.run(["status", "ipc:///tmp/fleet-no-such-learner-\(getpid())", "--timeout", "0.5"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no answer"), result.stderr)
        let malformed = try FleetProcess.run(["status", "localhost:5557"])
        XCTAssertEqual(malformed.status, 64)
    }
}
