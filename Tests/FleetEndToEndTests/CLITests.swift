import FleetProcessTesting
import XCTest

final class CLITests: XCTestCase {
    static let subcommands = [
        "train", "launch", "learner", "actor", "replay", "inspect", "status", "eval", "sft", "plot",
        "keygen", "bench",
    ]

    func testHelpListsEverySubcommand() throws {
        let result = try FleetProcess.run(["--help"])
        XCTAssertEqual(result.status, 0)
        let listed = Set(
            result.stdout.split(separator: "\n")
                .drop(while: { !$0.hasPrefix("SUBCOMMANDS") }).dropFirst()
                .compactMap { $0.split(separator: " ").first.map(String.init) })
        for command in Self.subcommands {
            XCTAssertTrue(listed.contains(command), "fleet --help does not list \(command)")
        }
    }

    func testUnknownBenchSuiteIsAClearError() throws {
        let result = try FleetProcess.run(["bench", "warp-drive"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("warp-drive"), result.stderr)
    }
}
