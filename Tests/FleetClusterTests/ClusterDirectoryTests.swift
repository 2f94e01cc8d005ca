import FleetCluster
import Foundation
import XCTest
import Yams
import FleetConfig

/// The ready configs in `cluster/` resolve, and the multi-host example says what its header promises.
final class ClusterDirectoryTests: XCTestCase {
    static let cluster = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("cluster")

    private static var multiHost: String { cluster.appendingPathComponent("multihost-cartpole-ppo.yaml").path }

    func testEveryConfigResolves() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.cluster.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(names.contains("cartpole-ppo.yaml") && names.contains("multihost-cartpole-ppo.yaml"), "\(names)")
        for name in names {
            XCTAssertNoThrow(try RunConfig(file: Self.cluster.appendingPathComponent(name).path), name)
        }
    }

    func testMultiHostConfigBindsThreeTCPPortsForTwoActors() throws {
        let config = try RunConfig(file: Self.multiHost)
        XCTAssertEqual(config.envID, "CartPole-v1")
        XCTAssertEqual(config.numActors, 2)
        XCTAssertEqual(config.maxPolicyLag, 1)
        XCTAssertEqual(
            config.endpoints, ChannelEndpoints(batches: "tcp://*:5555", weights: "tcp://*:5556", control: "tcp://*:5557"))
        XCTAssertTrue(config.endpoints.areReachableFromOtherProcesses)
        // What `fleet actor … --connect tcp://LEARNER_HOST` connects to.
        XCTAssertEqual(
            try config.endpoints.connecting(to: "tcp://learner.example"),
            ChannelEndpoints(
                batches: "tcp://learner.example:5555", weights: "tcp://learner.example:5556",
                control: "tcp://learner.example:5557"))
        // CURVE keys where `fleet keygen --out keys` puts them (the header's commands), not insecure.
        XCTAssertFalse(config.security.insecure)
        XCTAssertEqual(config.security.learnerSecretKeyFile, "keys/learner.key")
        XCTAssertEqual(config.security.authorizedActors, "keys/authorized_actors")
        XCTAssertEqual(config.security.learnerPublicKeyFile, "keys/learner.pub")
        XCTAssertEqual(config.security.actorSecretKeyFile(for: "actor-1"), "keys/actor-1.key")
        // Apart from the cluster keys, it is cartpole-ppo.yaml.
        let single = try RunConfig(file: Self.cluster.appendingPathComponent("cartpole-ppo.yaml").path)
        XCTAssertEqual(single.ppo, config.ppo)
        XCTAssertEqual(single.totalTimesteps, config.totalTimesteps)
    }

    /// The header's commands make the keys and name the file, and it warns about `insecure: true`.
    func testMultiHostHeaderGivesTheCommands() throws {
        let text = try String(contentsOfFile: Self.multiHost, encoding: .utf8)
        XCTAssertTrue(text.contains("fleet keygen --out keys --name learner\n"))
        XCTAssertTrue(
            text.contains("fleet keygen --out keys --name actor-0 --name actor-1 --authorize keys/authorized_actors\n"))
        XCTAssertTrue(text.contains("fleet learner cluster/multihost-cartpole-ppo.yaml\n"))
        XCTAssertTrue(
            text.contains("fleet actor cluster/multihost-cartpole-ppo.yaml --connect tcp://LEARNER_HOST --index I"))
        XCTAssertTrue(text.contains("`insecure: true` runs it unauthenticated"))
    }

    /// The Kubernetes ConfigMap carries the multi-host example's config.
    func testKubernetesConfigMapIsTheMultiHostConfig() throws {
        let text = try String(
            contentsOf: Self.cluster.appendingPathComponent("kubernetes/configmap.yaml"), encoding: .utf8)
        let manifest = try XCTUnwrap(try Yams.load(yaml: text) as? [String: Any])
        XCTAssertEqual(manifest["kind"] as? String, "ConfigMap")
        let data = try XCTUnwrap(manifest["data"] as? [String: String])
        let embedded = try XCTUnwrap(data["config.yaml"])
        XCTAssertEqual(
            try ConfigResolver.resolve(yaml: embedded, source: "configmap.yaml config.yaml"),
            try ConfigResolver.resolve(file: Self.multiHost))
    }
}
