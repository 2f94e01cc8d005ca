import Foundation
import FleetProcessTesting
import XCTest
import Yams

/// The Slurm and Kubernetes templates in `cluster/`, checked as far as a machine without Slurm or a
/// Kubernetes cluster allows: the sbatch script's syntax, and a run of it with stand-ins for `srun`
/// and `scontrol` on namespace hosts; the manifests' YAML, their consistency with each other and
/// with the config, and their `fleet` command lines against the real executable.
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
    }

    /// The script as Slurm would run it on a 3-node allocation, with stand-ins: `scontrol show
    /// hostnames` lists the hosts' addresses as node names, and `srun` runs each task of a step in
    /// the namespace of its node (by `--nodelist`, `--exclude`, `--nodes`, `--ntasks-per-node`) with
    /// SLURM_PROCID set. The script itself runs in the first host, as sbatch runs it on the first node.
    func testSbatchScriptTrainsWithALearnerAndTwoActorsUnderStandInsForSlurm() throws {
        let network = try TestHosts.make(count: 3, test: self)
        let directory = try temporaryDirectory()
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try writeExecutable(bin.appendingPathComponent("scontrol"), Self.scontrolStandIn)
        try writeExecutable(bin.appendingPathComponent("srun"), Self.srunStandIn)
        let runDir = directory.appendingPathComponent("run"), srunLog = directory.appendingPathComponent("srun.log")

        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["FLEET"] = FleetProcess.executable.path
        environment["CONFIG"] = Self.cluster.appendingPathComponent("multihost-cartpole-ppo.yaml").path
        environment["RUN_DIR"] = runDir.path
        environment["WAIT"] = "30"
        environment["SLURM_JOB_ID"] = "42"
        environment["SLURM_JOB_NODELIST"] = network.hosts.map(\.address).joined(separator: ",")
        environment["SLURM_NTASKS_PER_NODE"] = "1"
        environment["SLURM_CPUS_PER_TASK"] = "1"
        environment["NODE_NAMESPACES"] = network.hosts.map { "\($0.address)=\($0.name)" }.joined(separator: " ")
        environment["SRUN_LOG"] = srunLog.path
        environment["IP"] = TestHosts.ip

        let script = Process()
        script.executableURL = URL(fileURLWithPath: network.launcher(network.hosts[0])[0])
        script.arguments =
            Array(network.launcher(network.hosts[0]).dropFirst())
            + ["/bin/bash", Self.sbatch.path, "--set", "total_timesteps=4096"]
        script.environment = environment
        script.currentDirectoryURL = TrainTests.packageRoot
        let out = directory.appendingPathComponent("job.out"), err = directory.appendingPathComponent("job.err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        script.standardOutput = try FileHandle(forWritingTo: out)
        script.standardError = try FileHandle(forWritingTo: err)
        try script.run()  // if it hangs, TestHosts's teardown kills it and all it started
        let deadline = Date().addingTimeInterval(60)
        while script.isRunning && Date() < deadline { usleep(20_000) }
        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        XCTAssertFalse(script.isRunning, "the job did not finish in 60 s\n\(stdout)\n\(stderr)")
        guard !script.isRunning else { return }
        XCTAssertEqual(script.terminationStatus, 0, stdout + stderr)
        XCTAssertTrue(
            TestHosts.processes(inNamespaces: network.hosts.map(\.name)).isEmpty, "the job left processes running")

        let learner = network.hosts[0].address
        XCTAssertTrue(
            stdout.contains("fleet-cluster: learner on \(learner) (port 5557), 2 actors on 2 nodes"), stdout)
        // Fresh CURVE keys for the job, owner-only, and the learner serving CURVE with them.
        let keys = URL(fileURLWithPath: runDir.path + "-keys")
        XCTAssertTrue(stdout.contains("fleet-cluster: CURVE keys for the learner and 2 actors in \(keys.path)"), stdout)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: keys.path)[.posixPermissions] as? Int, 0o700)
        for name in ["learner.key", "learner.pub", "actor-0.key", "actor-1.key", "authorized_actors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: keys.appendingPathComponent(name).path), name)
        }
        XCTAssertTrue(stderr.contains("learner: CURVE on tcp://*:5555, tcp://*:5556, tcp://*:5557; 2 actors on the allow-list"), stderr)
        XCTAssertFalse(stderr.contains("warning"), stderr)
        XCTAssertTrue(stdout.contains("fleet-cluster: learner exited 0"), stdout)
        for index in 0..<2 { XCTAssertTrue(stderr.contains("actor-\(index): stopped (training finished)"), stderr) }
        // The learner step on the first node, the actor step's two tasks on the others.
        let steps = try String(contentsOf: srunLog, encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("task ") }  // (the actors' `bash -c` script spans two lines)
        XCTAssertEqual(steps.count, 3, steps.joined(separator: "\n"))
        func stepRan(_ prefix: String) -> Bool { steps.contains { $0.hasPrefix(prefix) } }
        XCTAssertTrue(stepRan("task 0 of 1 on \(learner): \(FleetProcess.executable.path) learner "), "\(steps)")
        for (index, host) in network.hosts.dropFirst().enumerated() {
            XCTAssertTrue(stepRan("task \(index) of 2 on \(host.address): bash -c "), "\(steps)")
        }

        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["env_steps"] as? Int, 4096)
        XCTAssertEqual((summary["actors"] as? [String: Int])?["started"], 2)
        XCTAssertEqual((summary["rejected"] as? [String: Int]), [:])
    }

    /// `scontrol show hostnames A,B,C`: one name a line (no bracket ranges here).
    private static let scontrolStandIn = """
        #!/bin/bash
        [ "$1 $2" = "show hostnames" ] || { echo "scontrol stand-in: only 'show hostnames'" >&2; exit 2; }
        tr ',' '\\n' <<< "$3"
        """

    /// `srun [--nodelist=N] [--exclude=N] [--nodes=K] [--ntasks=T] [--ntasks-per-node=P] CMD…`: the
    /// step's nodes from SLURM_JOB_NODELIST, task t on node t / P in that node's namespace
    /// (NODE_NAMESPACES: "node=namespace …"), SLURM_PROCID=t; logs each task to SRUN_LOG.
    private static let srunStandIn = """
        #!/bin/bash
        set -u
        nodelist="" exclude="" nnodes="" ntasks="" per_node=1
        while [ $# -gt 0 ]; do
          case $1 in
            --nodelist=*) nodelist=${1#*=} ;;
            --exclude=*) exclude=${1#*=} ;;
            --nodes=*) nnodes=${1#*=} ;;
            --ntasks=*) ntasks=${1#*=} ;;
            --ntasks-per-node=*) per_node=${1#*=} ;;
            --cpus-per-task=*|--job-name=*) ;;
            -*) echo "srun stand-in: unknown option $1" >&2; exit 2 ;;
            *) break ;;
          esac
          shift
        done
        nodes=()
        IFS=, read -ra all <<< "$SLURM_JOB_NODELIST"
        for node in "${all[@]}"; do
          if [ -n "$nodelist" ] && [ "$node" != "$nodelist" ]; then continue; fi
          if [ -n "$exclude" ] && [ "$node" = "$exclude" ]; then continue; fi
          nodes+=("$node")
        done
        nnodes=${nnodes:-${#nodes[@]}}
        if [ "$nnodes" -gt "${#nodes[@]}" ]; then echo "srun stand-in: $nnodes nodes wanted, ${#nodes[@]} left" >&2; exit 2; fi
        ntasks=${ntasks:-$(( nnodes * per_node ))}
        if [ "$ntasks" -gt $(( nnodes * per_node )) ]; then echo "srun stand-in: too many tasks" >&2; exit 2; fi
        pids=()
        trap 'kill -TERM "${pids[@]}" 2>/dev/null' TERM INT
        for (( task = 0; task < ntasks; task++ )); do
          node=${nodes[$(( task / per_node ))]}
          namespace=""
          for pair in $NODE_NAMESPACES; do [ "${pair%%=*}" = "$node" ] && namespace=${pair#*=}; done
          echo "task $task of $ntasks on $node: $*" >> "$SRUN_LOG"
          SLURM_PROCID=$task SLURM_NODEID=$(( task / per_node )) "$IP" netns exec "$namespace" "$@" &
          pids+=($!)
        done
        status=0
        for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
        exit $status
        """

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

    private func writeExecutable(_ url: URL, _ text: String) throws {
        try (text + "\n").write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

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
