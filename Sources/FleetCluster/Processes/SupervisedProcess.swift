import Foundation

/// A child process (a `fleet launch` learner or actor, an environment worker), its output prefixed
/// with its name and merged into ours.
package final class SupervisedProcess {
    package let name: String
    private let process = Process()
    private let outputs: [PrefixedOutput]

    /// Starts `executable arguments` as `name`.
    package init(name: String, executable: URL, arguments: [String]) throws {
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

    /// Whether it still runs. Foundation's `Process` is asked, and the kernel too: a child that
    /// crashed has been seen to stay "running" for Foundation while it was already a zombie.
    package var isRunning: Bool { process.isRunning && termination == nil }
    package var pid: Int32 { process.processIdentifier }

    /// How it ended, as the kernel tells it without reaping it (`waitid` with `WNOWAIT`).
    private var termination: (signaled: Bool, status: Int32)? {
        if !process.isRunning {
            return (process.terminationReason == .uncaughtSignal, process.terminationStatus)
        }
        var info = siginfo_t()
        guard waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
            info._sifields._sigchld.si_pid == process.processIdentifier
        else { return nil }
        let code = info.si_code
        return (code == Int32(CLD_KILLED) || code == Int32(CLD_DUMPED), info._sifields._sigchld.si_status)
    }

    /// How it ended: `exit N` or `signal N`; nil while it runs.
    package var ending: String? {
        guard let termination else { return nil }
        return termination.signaled ? "signal \(termination.status)" : "exit \(termination.status)"
    }

    /// Whether it ended with exit status 0.
    package var succeeded: Bool { termination.map { !$0.signaled && $0.status == 0 } ?? false }

    /// Its exit status, or 128 + the signal that ended it.
    package var exitCode: Int32 {
        guard let termination else { return 0 }
        return termination.signaled ? 128 + termination.status : termination.status
    }

    /// Sends `signal` if it still runs.
    package func send(_ signal: Int32) {
        if isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits at most `seconds` for it to end; true if it has.
    @discardableResult
    package func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning && Date() < deadline { usleep(20_000) }
        if !isRunning { for output in outputs { output.waitUntilDrained(seconds: 1) } }
        return !isRunning
    }

    /// Asks it to stop (SIGTERM), then kills it (SIGKILL) if it has not ended after `grace` seconds.
    package func stop(grace: Double) {
        send(SIGTERM)
        if !wait(seconds: grace) {
            send(SIGKILL)
            wait(seconds: 5)
        }
    }
}
