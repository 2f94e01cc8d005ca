import Foundation
import FleetProcessTesting
import XCTest

/// A `fleet launch` running in the background of a test, with a way to ask its learner for
/// `fleet status` and to find its children; interrupted (and, failing that, killed) when the test ends.
final class LaunchedCluster {
    let launch: ChildProcess
    let runDirectory: URL

    /// Starts `fleet launch CONFIG --actors N --run-dir … ARGUMENTS` in a fresh directory.
    init(config: String, actors: Int, arguments: [String] = [], test: XCTestCase) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-cluster-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        runDirectory = directory.appendingPathComponent("run")
        launch = try ChildProcess(
            ["launch", config, "--actors", "\(actors)", "--run-dir", runDirectory.path] + arguments,
            outputDirectory: directory, name: "launch", test: test)
        let launch = self.launch
        test.addTeardownBlock {
            if launch.process.isRunning {
                launch.process.interrupt()
                _ = launch.wait(seconds: 10)
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// The status endpoint `fleet launch` printed, once it has.
    var statusEndpoint: String? {
        launch.stdout.split(separator: "\n").first { $0.contains("fleet status ") }
            .flatMap { $0.components(separatedBy: "fleet status ").last }
    }

    /// The learner's status document, or nil when it does not answer (yet).
    func status() throws -> [String: Any]? {
        guard let endpoint = statusEndpoint else { return nil }
        let result = try FleetProcess.run(["status", endpoint, "--timeout", "2"])
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    }

    /// Asks for the status every 100 ms, up to `seconds`, until `accept` takes one; returns it.
    func waitForStatus(seconds: Double, where accept: ([String: Any]) -> Bool) throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, launch.process.isRunning {
            if let document = try status(), accept(document) { return document }
            usleep(100_000)
        }
        return nil
    }

    /// The pids of the launch's children whose command line contains the word `word`.
    func children(running word: String) -> [Int32] {
        Self.children(of: launch.process.processIdentifier, running: word)
    }

    /// The pids of `parent`'s running children whose command line contains the word `word`.
    static func children(of parent: Int32, running word: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent else { return false }
            return commandLine(of: pid).contains(word)
        }
    }

    /// The words of `pid`'s command line.
    static func commandLine(of pid: Int32) -> [String] {
        let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension [String: Any] {
    /// `self["actors"][id][key]`, for status documents.
    func actor(_ id: String, _ key: String) -> Any? { (self["actors"] as? [String: [String: Any]])?[id]?[key] }
}
