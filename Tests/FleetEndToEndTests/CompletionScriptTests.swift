import FleetProcessTesting
import Foundation
import XCTest

/// `fleet --generate-completion-script bash|zsh|fish`: every script names the visible
/// subcommands and bench's suites and leaves out the hidden bench-peer; the bash script, sourced
/// into a real bash, completes subcommands, suites, fixed option values and config files.
final class CompletionScriptTests: XCTestCase {
    static let suites = ["wire", "transport", "env", "served", "tensor", "conv", "lm", "lm124m", "cluster"]

    private func script(_ shell: String) throws -> String {
        let result = try FleetProcess.run(["--generate-completion-script", shell])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stdout.isEmpty, "no \(shell) script")
        return result.stdout
    }

    func testEveryScriptNamesTheSubcommandsAndSuitesAndNotTheHiddenOnes() throws {
        for shell in ["bash", "zsh", "fish"] {
            let text = try script(shell)
            for command in CLITests.subcommands {
                XCTAssertTrue(text.contains("'\(command)") || text.contains(" \(command) ") || text.contains("|\(command)|"),
                    "\(shell): no \(command)")
            }
            for value in Self.suites + ["step", "wall", "original", "fast"] {
                XCTAssertTrue(text.contains(value), "\(shell): no \(value)")
            }
            XCTAssertTrue(text.contains("yml"), "\(shell): config files are not completed as YAML")
            for hidden in ["bench-peer", "bench_peer", "benchPeer", "The peer process"] {
                XCTAssertFalse(text.contains(hidden), "\(shell) names the hidden \(hidden)")
            }
        }
    }

    /// Each script parses in its shell, when that shell is installed.
    func testScriptsParseInTheirShells() throws {
        let checks = [("bash", ["-n"]), ("zsh", ["-n"]), ("fish", ["--no-execute"])]
        var checked = 0
        for (shell, flags) in checks {
            guard let path = Self.find(shell) else { continue }
            let directory = try makeTestDirectory("fleet-completion")
            let file = directory.appendingPathComponent("fleet.\(shell)")
            try script(shell).write(to: file, atomically: true, encoding: .utf8)
            let result = try Self.run(path, flags + [file.path], in: directory)
            XCTAssertEqual(result.status, 0, "\(shell): \(result.output)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0, "no shell found to parse a script")
    }

    func testBashCompletesSubcommandsSuitesValuesAndFiles() throws {
        let bash = try XCTUnwrap(Self.find("bash"), "bash is not installed")
        let directory = try makeTestDirectory("fleet-completion")
        try script("bash").write(to: directory.appendingPathComponent("fleet.bash"), atomically: true, encoding: .utf8)
        for name in ["run.yaml", "notes.txt", "report.json"] {
            try Data().write(to: directory.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("runs"), withIntermediateDirectories: false)
        // Completes the words of each line as bash does for `fleet` (the last word is being completed).
        let driver = """
            shopt -s extglob
            source ./fleet.bash
            complete_line() {
                COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
                _fleet fleet "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "$*=$(printf '%s\\n' "${COMPREPLY[@]}" | sort | tr '\\n' ' ')"
            }
            complete_line fleet ''
            complete_line fleet b
            complete_line fleet bench ''
            complete_line fleet bench wire t
            complete_line fleet plot --x ''
            complete_line fleet replay --pace ''
            complete_line fleet train ''
            complete_line fleet bench --json ''
            complete_line fleet train --run-dir ''
            """
        try driver.write(to: directory.appendingPathComponent("driver.sh"), atomically: true, encoding: .utf8)
        let result = try Self.run(bash, ["driver.sh"], in: directory)
        XCTAssertEqual(result.status, 0, result.output)
        var completions: [String: Set<String>] = [:]
        for line in result.output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            completions[String(line[..<equals])] = Set(line[line.index(after: equals)...].split(separator: " ").map(String.init))
        }
        let commands = try XCTUnwrap(completions["fleet "], result.output)
        XCTAssertTrue(commands.isSuperset(of: CLITests.subcommands), "\(commands)")
        XCTAssertFalse(commands.contains("bench-peer"))
        XCTAssertEqual(completions["fleet b"], ["bench"])
        XCTAssertEqual(completions["fleet bench "], Set(Self.suites))
        XCTAssertEqual(completions["fleet bench wire t"], ["transport", "tensor"])
        XCTAssertEqual(completions["fleet plot --x "], ["step", "wall"])
        XCTAssertEqual(completions["fleet replay --pace "], ["original", "fast"])
        XCTAssertEqual(completions["fleet train "], ["run.yaml", "runs"])
        XCTAssertEqual(completions["fleet bench --json "], ["report.json", "runs"])
        XCTAssertEqual(completions["fleet train --run-dir "], ["runs"])
    }

    private static func find(_ shell: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + shell }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
