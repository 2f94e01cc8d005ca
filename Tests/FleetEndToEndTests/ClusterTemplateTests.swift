import Foundation
import FleetProcessTesting
import XCTest

/// The Slurm template in `cluster/`, checked as far as a machine without Slurm allows: the sbatch
/// script's syntax, and a run of it with stand-ins for `srun` and `scontrol` on namespace hosts.
/// (The Kubernetes manifests are checked by cluster/tests/, which `make test` runs.)
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
