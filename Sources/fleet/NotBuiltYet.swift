import ArgumentParser
import Foundation

/// Says plainly that a subcommand does not work yet and fails (exit 2), so that nothing pretends to work.
func notBuiltYet(_ command: String, arrivesWith work: String) throws -> Never {
    printError("fleet \(command): not built yet; it arrives with \(work).")
    throw ExitCode(2)
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
