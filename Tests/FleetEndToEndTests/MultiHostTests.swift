import Foundation
import XCTest

/// `fleet learner` and `fleet actor` on three hosts over tcp://: network namespaces joined by a
/// bridge (see ``TestHosts``), running `cluster/multihost-cartpole-ppo.yaml` with the commands its
/// header gives. Skipped where network namespaces cannot be made (not root, no `ip`).
final class MultiHostTests: XCTestCase {
    private var config: String {
        TrainTests.packageRoot.appendingPathComponent("cluster/multihost-cartpole-ppo.yaml").path
    }

    /// The config's ports: batches, weights, control.
    private let ports: Set<UInt16> = [5555, 5556, 5557]

    private func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/fleet-mh-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testLearnerAndActorsOnThreeHostsTrainOverTCP() throws {
        let network = try TestHosts.make(count: 3, test: self)
        let learnerHost = network.hosts[0], actorHosts = Array(network.hosts.dropFirst())
        print(
            "MultiHostTests: learner in \(learnerHost.name) (\(learnerHost.address)), actors in "
                + actorHosts.map { "\($0.name) (\($0.address))" }.joined(separator: ", "))
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")

        // The header's commands, with a short run and a known run directory.
        let learner = try ChildProcess(
            ["learner", config, "--set", "total_timesteps=4096", "--run-dir", runDir.path],
            outputDirectory: directory, name: "learner", test: self, launcher: network.launcher(learnerHost))
        let actors = try actorHosts.enumerated().map { index, host in
            try ChildProcess(
                ["actor", config, "--connect", "tcp://\(learnerHost.address)", "--index", "\(index)"],
                outputDirectory: directory, name: "actor-\(index)", test: self, launcher: network.launcher(host))
        }

        // While they run: each process is in its own host's namespace (none in the test's), and the
        // learner's connections on the three ports come from the actor hosts' addresses.
        let own = try XCTUnwrap(TestHosts.namespaceInode(ofProcess: getpid()))
        let processes = [(learner, learnerHost)] + zip(actors, actorHosts).map { ($0, $1) }
        let inodes = try Dictionary(uniqueKeysWithValues: network.hosts.map { ($0.name, try network.namespaceInode($0)) })
        XCTAssertEqual(Set(inodes.values).count, 3, "three distinct namespaces")
        XCTAssertFalse(inodes.values.contains(own), "a host is the test's own network namespace")
        var placed: Set<String> = []
        var peers: Set<String> = []
        let expectedPeers = Set(actorHosts.map(\.address))
        let deadline = Date().addingTimeInterval(30)
        while learner.process.isRunning && Date() < deadline
            && (placed.count < processes.count || peers != expectedPeers)
        {
            // Until `ip netns exec` has switched namespace, the pid is still in the test's.
            for (child, host) in processes
            where TestHosts.namespaceInode(ofProcess: child.process.processIdentifier) == inodes[host.name] {
                placed.insert(host.name)
            }
            peers.formUnion(TestHosts.peers(ofProcess: learner.process.processIdentifier, localPorts: ports))
            usleep(20_000)
        }
        XCTAssertEqual(placed, Set(inodes.keys), "fleet processes seen in their hosts' namespaces")
        print("MultiHostTests: the learner's tcp peers: \(peers.sorted().joined(separator: ", "))")
        XCTAssertEqual(peers, expectedPeers, "the learner's tcp peers on ports \(ports.sorted())")

        XCTAssertEqual(learner.wait(seconds: 30), 0, learner.stderr)
        for actor in actors { XCTAssertEqual(actor.wait(seconds: 10), 0, actor.stderr) }
        XCTAssertTrue(learner.stdout.contains("4096 steps"), learner.stdout)

        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["env_steps"] as? Int, 4096)
        XCTAssertEqual((summary["actors"] as? [String: Int])?["started"], 2)
        XCTAssertEqual((summary["rejected"] as? [String: Int]), [:])
        let resolved = try String(contentsOf: runDir.appendingPathComponent("config.yaml"), encoding: .utf8)
        XCTAssertTrue(resolved.contains("endpoints.batches: \"tcp://*:5555\""), resolved)
    }
}
