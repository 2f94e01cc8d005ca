import Foundation
import FleetProcessTesting
import XCTest

/// `fleet learner` and `fleet actor` on three hosts over tcp://: network namespaces joined by a
/// bridge (see ``TestHosts``), running `cluster/multihost-cartpole-ppo.yaml` with the commands its
/// header gives, CURVE keys made by `fleet keygen` included. Skipped where network namespaces cannot
/// be made (not root, no `ip`).
final class MultiHostTests: XCTestCase {
    private var config: String {
        TrainTests.packageRoot.appendingPathComponent("cluster/multihost-cartpole-ppo.yaml").path
    }

    /// The config's ports: batches, weights, control.
    private let ports: Set<UInt16> = [5555, 5556, 5557]

    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-mh") }

    func testLearnerAndActorsOnThreeHostsTrainOverTCP() throws {
        let network = try TestHosts.make(count: 3, test: self)
        let learnerHost = network.hosts[0], actorHosts = Array(network.hosts.dropFirst())
        print(
            "MultiHostTests: learner in \(learnerHost.name) (\(learnerHost.address)), actors in "
                + actorHosts.map { "\($0.name) (\($0.address))" }.joined(separator: ", "))
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")

        // The header's commands, with a short run and a known run directory, all run where keys/ is
        // (one filesystem stands for the copies the header asks for). An operator's key for
        // `fleet status`, and a stranger's that is not on the allow-list.
        for arguments in [
            ["keygen", "--out", "keys", "--name", "learner"],
            ["keygen", "--out", "keys", "--name", "actor-0", "--name", "actor-1", "--authorize", "keys/authorized_actors"],
            ["keygen", "--out", "keys", "--name", "operator", "--role", "operator", "--authorize", "keys/authorized_actors"],
            ["keygen", "--out", "keys", "--name", "stranger"],
        ] {
            let made = try FleetProcess.run(arguments, in: directory)
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        let learner = try ChildProcess(
            ["learner", config, "--set", "total_timesteps=4096", "--run-dir", runDir.path],
            outputDirectory: directory, name: "learner", test: self, launcher: network.launcher(learnerHost),
            currentDirectory: directory)
        // The stranger poses as actor-1 from actor-1's host, with a key of its own: never let in.
        let stranger = try ChildProcess(
            ["actor", config, "--connect", "tcp://\(learnerHost.address)", "--index", "1",
                "--set", "curve.actor_secret_key_file=keys/stranger.key"],
            outputDirectory: directory, name: "stranger", test: self, launcher: network.launcher(actorHosts[1]),
            currentDirectory: directory)
        let actors = try actorHosts.enumerated().map { index, host in
            try ChildProcess(
                ["actor", config, "--connect", "tcp://\(learnerHost.address)", "--index", "\(index)"],
                outputDirectory: directory, name: "actor-\(index)", test: self, launcher: network.launcher(host),
                currentDirectory: directory)
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

        // The header's `fleet status`, from an actor host, with the operator's key.
        let status = try ChildProcess(
            ["status", "tcp://\(learnerHost.address):5557", "--key", "keys/operator.key", "--learner-key", "keys/learner.pub",
                "--compact"],
            outputDirectory: directory, name: "status", test: self, launcher: network.launcher(actorHosts[0]),
            currentDirectory: directory)
        XCTAssertEqual(status.wait(seconds: 10), 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("\"env\":\"CartPole-v1\""), status.stdout)

        XCTAssertEqual(learner.wait(seconds: 30), 0, learner.stderr)
        for actor in actors { XCTAssertEqual(actor.wait(seconds: 10), 0, actor.stderr) }
        XCTAssertTrue(learner.stdout.contains("4096 steps"), learner.stdout)
        XCTAssertTrue(learner.stderr.contains("learner: CURVE on tcp://*:5555, tcp://*:5556, tcp://*:5557"), learner.stderr)
        XCTAssertFalse(learner.stderr.contains("warning"), learner.stderr)
        // The stranger was refused at the door, from its host's address, and is still knocking.
        let strangerKey = try String(contentsOf: directory.appendingPathComponent("keys/stranger.pub"), encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        XCTAssertTrue(
            learner.stderr.contains("refused a connection from \(actorHosts[1].address): key \(strangerKey)"), learner.stderr)
        XCTAssertTrue(stranger.process.isRunning, stranger.stderr)
        print("MultiHostTests: CURVE: 2 listed actors trained; the unlisted stranger on \(actorHosts[1].address) was refused")

        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["env_steps"] as? Int, 4096)
        XCTAssertEqual((summary["actors"] as? [String: Int])?["started"], 2)
        XCTAssertEqual((summary["rejected"] as? [String: Int]), [:])
        let resolved = try String(contentsOf: runDir.appendingPathComponent("config.yaml"), encoding: .utf8)
        XCTAssertTrue(resolved.contains("endpoints.batches: \"tcp://*:5555\""), resolved)
    }
}
