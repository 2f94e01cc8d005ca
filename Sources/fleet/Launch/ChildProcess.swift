import Foundation

/// One child of `fleet launch`: this same executable with a subcommand, its output prefixed with
/// its name and merged into ours.
final class ChildProcess {
    let name: String
    private let process = Process()
    private let outputs: [PrefixedOutput]

    /// Starts `executable arguments` as `name`.
    init(name: String, executable: URL, arguments: [String]) throws {
        self.name = name
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        outputs = [
            PrefixedOutput(out, name: name, to: .standardOutput), PrefixedOutput(err, name: name, to: .standardError),
        ]
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    /// How it ended: `exit N` or `signal N`; nil while it runs.
    var ending: String? {
        guard !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal
            ? "signal \(process.terminationStatus)" : "exit \(process.terminationStatus)"
    }

    /// Whether it ended with exit status 0.
    var succeeded: Bool { !process.isRunning && process.terminationReason == .exit && process.terminationStatus == 0 }

    /// Its exit status, or 128 + the signal that ended it.
    var exitCode: Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Sends `signal` if it still runs.
    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits at most `seconds` for it to end; true if it has.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if !process.isRunning { for output in outputs { output.waitUntilDrained(seconds: 1) } }
        return !process.isRunning
    }

    /// Asks it to stop (SIGTERM), then kills it (SIGKILL) if it has not ended after `grace` seconds.
    func stop(grace: Double) {
        send(SIGTERM)
        if !wait(seconds: grace) {
            send(SIGKILL)
            wait(seconds: 5)
        }
    }
}
