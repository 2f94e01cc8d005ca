import Foundation
import FleetProcessTesting
import XCTest
import Yams

/// The Slurm and Kubernetes templates in `cluster/`, checked as far as a machine without Slurm or a
/// Kubernetes cluster allows: the sbatch script's syntax and requeue settings (its runs on a real
/// Slurm cluster are `make slurm`: cluster/slurm/testbed/); the manifests' YAML, their consistency
/// with each other and with the config, and their `fleet` command lines against the real executable.
final class ClusterTemplateTests: XCTestCase {
    private static let cluster = TrainTests.packageRoot.appendingPathComponent("cluster")
    private static let sbatch = cluster.appendingPathComponent("slurm/fleet-cluster.sbatch")

    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-tpl") }

    // MARK: - Slurm

    func testSbatchScriptPassesBashSyntaxCheck() throws {
        let result = try run("/bin/bash", ["-n", Self.sbatch.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = try String(contentsOf: Self.sbatch, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("#!/bin/bash\n"))
        XCTAssertTrue(text.contains("#SBATCH --nodes=3\n"))
        // Requeue-safe: the output is appended to, and a restarted learner resumes its run.
        XCTAssertTrue(text.contains("#SBATCH --open-mode=append\n"))
        XCTAssertTrue(text.contains("#SBATCH --requeue\n"))
        XCTAssertTrue(text.contains("--resume-if-present"))
    }

    // MARK: - Kubernetes

    /// Every document of every manifest, by kind and name.
    private func manifests() throws -> [String: [String: Any]] {
        let directory = Self.cluster.appendingPathComponent("kubernetes")
        var documents: [String: [String: Any]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".yaml") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            for case let document as [String: Any] in try Yams.load_all(yaml: text) {
                let kind = try XCTUnwrap(document["kind"] as? String, name)
                let metadata = try XCTUnwrap(document["metadata"] as? [String: Any], name)
                let key = "\(kind)/\(try XCTUnwrap(metadata["name"] as? String, name))"
                XCTAssertNil(documents[key], "\(key) twice")
                XCTAssertNotNil(document["apiVersion"] as? String, key)
                documents[key] = document
            }
        }
        return documents
    }

    private func podSpec(_ job: [String: Any]?) throws -> [String: Any] {
        let spec = try XCTUnwrap(job?["spec"] as? [String: Any])
        let template = try XCTUnwrap(spec["template"] as? [String: Any])
        return try XCTUnwrap(template["spec"] as? [String: Any])
    }

    private func podLabels(_ job: [String: Any]?) throws -> [String: String] {
        let template = try XCTUnwrap((job?["spec"] as? [String: Any])?["template"] as? [String: Any])
        return try XCTUnwrap((template["metadata"] as? [String: Any])?["labels"] as? [String: String])
    }

    private func container(_ job: [String: Any]?) throws -> [String: Any] {
        let containers = try XCTUnwrap(try podSpec(job)["containers"] as? [[String: Any]])
        XCTAssertEqual(containers.count, 1)
        return try XCTUnwrap(containers.first)
    }

    /// The config the ConfigMap holds (FleetClusterTests checks it is the multi-host example's).
    private func configMapConfig(_ documents: [String: [String: Any]]) throws -> [String: Any] {
        let data = try XCTUnwrap(documents["ConfigMap/fleet-config"]?["data"] as? [String: String])
        return try XCTUnwrap(try Yams.load(yaml: try XCTUnwrap(data["config.yaml"])) as? [String: Any])
    }

    func testKubernetesManifestsFitTogether() throws {
        let documents = try manifests()
        XCTAssertEqual(
            Set(documents.keys), ["ConfigMap/fleet-config", "Service/fleet-learner", "Job/fleet-learner", "Job/fleet-actors"])
        let config = try configMapConfig(documents)
        let endpoints = try XCTUnwrap(config["endpoints"] as? [String: String])
        let configPorts = try ["batches", "weights", "control"].map { channel in
            let endpoint = try XCTUnwrap(endpoints[channel])
            XCTAssertTrue(endpoint.hasPrefix("tcp://*:"), endpoint)
            return try XCTUnwrap(Int(endpoint.split(separator: ":").last ?? ""), endpoint)
        }

        // The Service: the config's ports, to the learner's pod (and not the actors').
        let service = try XCTUnwrap(documents["Service/fleet-learner"]?["spec"] as? [String: Any])
        let servicePorts = try XCTUnwrap(service["ports"] as? [[String: Any]])
        XCTAssertEqual(servicePorts.compactMap { $0["port"] as? Int }, configPorts)
        let learner = documents["Job/fleet-learner"], actors = documents["Job/fleet-actors"]
        let selector = try XCTUnwrap(service["selector"] as? [String: String])
        let learnerLabels = try podLabels(learner), actorLabels = try podLabels(actors)
        XCTAssertTrue(selector.allSatisfy { learnerLabels[$0.key] == $0.value }, "\(selector)")
        XCTAssertFalse(selector.allSatisfy { actorLabels[$0.key] == $0.value }, "\(selector)")
        let containerPorts = try XCTUnwrap(try container(learner)["ports"] as? [[String: Any]])
        XCTAssertEqual(containerPorts.compactMap { $0["containerPort"] as? Int }, configPorts)
        XCTAssertEqual(
            servicePorts.compactMap { $0["targetPort"] as? String }, containerPorts.compactMap { $0["name"] as? String })

        // Both mount the ConfigMap where their command line reads the config.
        for job in [learner, actors] {
            let volumes = try XCTUnwrap(try podSpec(job)["volumes"] as? [[String: Any]])
            let configVolume = try XCTUnwrap(
                volumes.first { ($0["configMap"] as? [String: Any])?["name"] as? String == "fleet-config" })
            let mounts = try XCTUnwrap(try container(job)["volumeMounts"] as? [[String: Any]])
            let mount = try XCTUnwrap(mounts.first { $0["name"] as? String == configVolume["name"] as? String })
            let args = try XCTUnwrap(try container(job)["args"] as? [String])
            XCTAssertEqual(args.dropFirst().first, "\(try XCTUnwrap(mount["mountPath"] as? String))/config.yaml")
            XCTAssertEqual(try container(job)["command"] as? [String], ["fleet"])
        }

        // The actors: an Indexed Job of num_actors pods, each told its index, connecting to the Service.
        let spec = try XCTUnwrap(actors?["spec"] as? [String: Any])
        XCTAssertEqual(spec["completionMode"] as? String, "Indexed")
        XCTAssertEqual(spec["completions"] as? Int, config["num_actors"] as? Int)
        XCTAssertEqual(spec["parallelism"] as? Int, config["num_actors"] as? Int)
        let args = try XCTUnwrap(try container(actors)["args"] as? [String])
        XCTAssertEqual(args.first, "actor")
        let connect = try XCTUnwrap(args.firstIndex(of: "--connect")).advanced(by: 1)
        XCTAssertEqual(args[connect], "tcp://fleet-learner")
        let index = try XCTUnwrap(args.firstIndex(of: "--index")).advanced(by: 1)
        XCTAssertEqual(args[index], "$(FLEET_ACTOR_INDEX)")
        let environment = try XCTUnwrap(try container(actors)["env"] as? [[String: Any]])
        let variable = try XCTUnwrap(environment.first { $0["name"] as? String == "FLEET_ACTOR_INDEX" })
        let field = (variable["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any]
        XCTAssertEqual(field?["fieldPath"] as? String, "metadata.annotations['batch.kubernetes.io/job-completion-index']")
        XCTAssertEqual(try container(learner)["args"] as? [String], ["learner", "/etc/fleet/config.yaml", "--run-dir", "/runs/cartpole"])

        // CURVE keys from the Secret fleet-keys, where the config's key paths point from each
        // container's working directory: the learner's secret and the allow-list in its pod only;
        // the learner's public key and every actor's key pair in the actors'.
        let curve = try XCTUnwrap(config["curve"] as? [String: String])
        let actorKeyFile = try XCTUnwrap(curve["actor_secret_key_file"])
        let actorKeys = (0..<(config["num_actors"] as? Int ?? 0)).map {
            actorKeyFile.replacingOccurrences(of: "{actor_id}", with: "actor-\($0)")
        }
        let wanted = [
            "learner": [curve["learner_secret_key_file"], curve["authorized_actors"]].compactMap { $0 },
            "actors": [curve["learner_public_key_file"]].compactMap { $0 } + actorKeys,
        ]
        for (role, job) in [("learner", learner), ("actors", actors)] {
            let workingDirectory = try XCTUnwrap(try container(job)["workingDir"] as? String, role)
            XCTAssertEqual(workingDirectory, "/opt/fleet", "the Dockerfile's WORKDIR")
            let volumes = try XCTUnwrap(try podSpec(job)["volumes"] as? [[String: Any]])
            let keysVolume = try XCTUnwrap(
                volumes.first { ($0["secret"] as? [String: Any])?["secretName"] as? String == "fleet-keys" }, role)
            let secret = try XCTUnwrap(keysVolume["secret"] as? [String: Any])
            XCTAssertEqual(secret["defaultMode"] as? Int, 0o400, "\(role): owner read-only")
            let mounts = try XCTUnwrap(try container(job)["volumeMounts"] as? [[String: Any]])
            let mount = try XCTUnwrap(mounts.first { $0["name"] as? String == keysVolume["name"] as? String }, role)
            let mountPath = try XCTUnwrap(mount["mountPath"] as? String)
            let items = try XCTUnwrap(secret["items"] as? [[String: String]], role)
            let mounted = Set(items.compactMap { $0["path"] }.map { "\(mountPath)/\($0)" })
            let needed = Set(try XCTUnwrap(wanted[role]).map { "\(workingDirectory)/\($0)" })
            XCTAssertEqual(mounted, needed, role)
            XCTAssertEqual(Set(items.compactMap { $0["key"] }), Set(items.compactMap { $0["path"] }), role)
        }
    }

    /// The manifests' command lines, given to the real `fleet` with the pod's paths and variables
    /// filled in, get past argument parsing, config resolution and `--connect` to the first check
    /// that must refuse them here: for the actor, the index one past the last pod's (the Job's
    /// completions); for the learner, an inproc:// endpoint set on top (so that nothing binds).
    func testKubernetesCommandLinesAreAcceptedByFleet() throws {
        let documents = try manifests()
        let directory = try temporaryDirectory()
        let data = try XCTUnwrap(documents["ConfigMap/fleet-config"]?["data"] as? [String: String])
        let configFile = directory.appendingPathComponent("config.yaml")
        try XCTUnwrap(data["config.yaml"]).write(to: configFile, atomically: true, encoding: .utf8)
        let completions = try XCTUnwrap((documents["Job/fleet-actors"]?["spec"] as? [String: Any])?["completions"] as? Int)

        func filledIn(_ args: [String]) -> [String] {
            args.map {
                $0.replacingOccurrences(of: "/etc/fleet/config.yaml", with: configFile.path)
                    .replacingOccurrences(of: "$(FLEET_ACTOR_INDEX)", with: "\(completions)")
                    .replacingOccurrences(of: "/runs/", with: directory.path + "/runs/")
            }
        }
        let actorArgs = try XCTUnwrap(try container(documents["Job/fleet-actors"])["args"] as? [String])
        let actor = try FleetProcess.run(filledIn(actorArgs))
        XCTAssertEqual(actor.status, 64, actor.stderr)
        XCTAssertTrue(
            actor.stderr.contains("--index \(completions) is outside 0..<num_actors (\(completions))"), actor.stderr)

        let learnerArgs = try XCTUnwrap(try container(documents["Job/fleet-learner"])["args"] as? [String])
        let learner = try FleetProcess.run(filledIn(learnerArgs) + ["--set", "endpoints.control=inproc://x"])
        XCTAssertEqual(learner.status, 64, learner.stderr)
        XCTAssertTrue(learner.stderr.contains("endpoints must be ipc:// or tcp://"), learner.stderr)
        XCTAssertTrue(learner.stderr.contains("tcp://*:5555"), learner.stderr)
    }

    // MARK: - Helpers

    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }
}
