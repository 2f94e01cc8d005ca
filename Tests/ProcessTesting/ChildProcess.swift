import Foundation
import XCTest

/// A `fleet` process running in the background of a test, with its output collected into files;
/// killed when the test ends if it is still running.
public final class ChildProcess {
    public let process = Process()
    private let stdoutFile: URL, stderrFile: URL

    /// Starts `fleet arguments`; `test` kills it in its teardown.
    ///
    /// `launcher` is a command that runs `fleet` for the test, e.g. `["/usr/sbin/ip", "netns", "exec", NAME]`
    /// for a fleet in a network namespace: `launcher + [fleet] + arguments` is run. The launcher must
    /// exec `fleet` in place (as `ip netns exec` does) so that the pid killed at teardown is fleet's.
    /// `currentDirectory` is where it runs (default: the test's working directory).
    public init(
        _ arguments: [String], outputDirectory: URL, name: String, test: XCTestCase, launcher: [String] = [],
        currentDirectory: URL? = nil
    ) throws {
        stdoutFile = outputDirectory.appendingPathComponent("\(name).out")
        stderrFile = outputDirectory.appendingPathComponent("\(name).err")
        FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        if let command = launcher.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = launcher.dropFirst() + [FleetProcess.executable.path] + arguments
        } else {
            process.executableURL = FleetProcess.executable
            process.arguments = arguments
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        let process = self.process
        test.addTeardownBlock {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }

    /// Waits up to `seconds` for the process to exit; returns its status, or nil if it is still running.
    public func wait(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    public var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }
}
