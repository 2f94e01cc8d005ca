import Foundation

/// A `python -m fleet_env reward` server this process started: a child process serving `function`
/// on an ipc socket in a private (0700) directory, exiting when we do (`--parent-pid`). Stopped,
/// and the directory removed, by ``stop()`` or when it goes away.
final class RewardServerProcess {
    /// Where the server binds and the client connects.
    let endpoint: String
    private let process: SupervisedProcess
    private let directory: URL

    /// Starts `python -m fleet_env reward` serving `function` with `workers` worker processes and a
    /// per-call `timeout`, under `name` (its output lines are prefixed with it).
    init(python: String, function: String, workers: Int, timeout: Duration, name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fleet-reward-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        endpoint = "ipc://\(directory.path)/reward.sock"
        do {
            process = try SupervisedProcess(
                name: name, executable: URL(fileURLWithPath: "/usr/bin/env"),
                arguments: [
                    python, "-m", "fleet_env", "reward", "--endpoint", endpoint, "--function", function,
                    "--workers", "\(workers)", "--timeout", "\(timeout.seconds)", "--server-id", name,
                    "--parent-pid", "\(getpid())",
                ])
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit { stop() }

    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }
    /// How it ended (`exit N`, `signal N`); nil while it runs.
    var ending: String? { process.ending }
    /// Its process id.
    var pid: Int32 { process.pid }

    /// Stops it (SIGTERM, then SIGKILL after 2 seconds) and removes its socket's directory.
    func stop() {
        if process.isRunning { process.stop(grace: 2) }
        try? FileManager.default.removeItem(at: directory)
    }
}
