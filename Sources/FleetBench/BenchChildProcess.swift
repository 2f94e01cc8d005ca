import Foundation

/// A child process of a benchmark (`fleet train`, `fleet launch`, `fleet bench-peer`), its output
/// kept in files, waited for while the benchmark watches for a stop request.
///
/// Foundation starts every child in its own process group, so Ctrl-C at the terminal reaches
/// the benchmark only: the benchmark stops its children itself. ``stop()`` asks the child to
/// stop (SIGTERM: `fleet launch` forwards it to its learner, which shuts its actors down), then
/// kills whatever is left of its process tree.
final class BenchChildProcess {
    let name: String
    /// How long ``stop()`` lets the child finish before killing it.
    let stopGrace: Double
    private let process = Process()
    private let stdoutFile: URL, stderrFile: URL

    /// Starts `executable arguments` as `name`; its output goes to `name.out` and `name.err` in
    /// `outputDirectory`. ``stop()`` gives it `stopGrace` seconds to finish. `environment` changes
    /// the inherited environment: a nil value removes the variable.
    init(
        name: String, executable: String, arguments: [String], outputDirectory: String, stopGrace: Double = 15,
        environment: [String: String?] = [:]
    ) throws {
        self.name = name
        self.stopGrace = stopGrace
        stdoutFile = URL(fileURLWithPath: outputDirectory).appendingPathComponent("\(name).out")
        stderrFile = URL(fileURLWithPath: outputDirectory).appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            var inherited = ProcessInfo.processInfo.environment
            for (key, value) in environment { inherited[key] = value }
            process.environment = inherited
        }
        let out = try FileHandle(forWritingTo: stdoutFile), err = try FileHandle(forWritingTo: stderrFile)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    /// Waits until the child exits; throws ``BenchInterrupted`` (after stopping it) when
    /// `stopRequested` turns true, and a ``BenchError`` when it fails or outlives `timeout` seconds.
    func waitForSuccess(timeout: Double, stopRequested: () -> Bool) throws {
        let deadline = Stopwatch.now() + timeout
        while process.isRunning {
            if stopRequested() {
                stop()
                throw BenchInterrupted()
            }
            if Stopwatch.now() > deadline {
                stop()
                throw BenchError("\(name) did not finish within \(Int(timeout)) s\(stderrTail)")
            }
            usleep(20_000)
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exited with status" : "died of signal"
            throw BenchError("\(name) \(how) \(process.terminationStatus)\(stderrTail)")
        }
    }

    /// Stops the child if it still runs: SIGTERM, up to ``stopGrace`` seconds to finish, then
    /// SIGKILL to it and every process it started (found through /proc before it goes, since its
    /// children are re-parented once it has).
    func stop() {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let deadline = Stopwatch.now() + stopGrace
        while process.isRunning && Stopwatch.now() < deadline { usleep(20_000) }
        let left = Self.descendants(of: pid) + (process.isRunning ? [pid] : [])
        for victim in left { kill(victim, SIGKILL) }
        process.waitUntilExit()
    }

    /// What the child wrote to standard output so far.
    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }

    /// The last lines the child wrote to standard error, prefixed for an error message.
    var stderrTail: String {
        let text = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(8)
        return lines.isEmpty ? "" : "; its last lines on stderr:\n" + lines.joined(separator: "\n")
    }

    /// Every running process below `root` in the process tree (Linux /proc).
    static func descendants(of root: Int32) -> [Int32] {
        var parentOf: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { parentOf[pid] = parent }
        }
        var found: [Int32] = []
        var frontier = [root]
        while let parent = frontier.popLast() {
            let children = parentOf.filter { $0.value == parent }.map(\.key)
            found += children
            frontier += children
        }
        return found
    }
}

/// A benchmark stopped by Ctrl-C or SIGTERM; its child processes have been stopped.
public struct BenchInterrupted: Error, CustomStringConvertible {
    public var description: String { "interrupted; its child processes were stopped" }
}
