import ArgumentParser
import FleetCluster
import FleetConfig
import FleetTools
import Foundation

struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Launch a local multi-process cluster (a learner and N actors) under a supervisor.",
        discussion: """
            Starts `fleet learner` and N `fleet actor` processes (this executable) over private ipc:// \
            endpoints in a fresh owner-only directory, prefixes their output lines ([learner], [actor-0], …), \
            restarts an actor that dies (backoff from 0.25 s doubling to 8 s, at most 5 restarts per actor), \
            and forwards Ctrl-C/SIGTERM to the learner, which shuts the actors down and writes its summary. \
            Exits as the learner does: 3 when the run ended short of its config, 130 when interrupted, \
            non-zero when it failed. summary.json's actors.started and actors.restarts count processes. \
            With --resume (and --run-dir) the learner continues the run from its newest valid checkpoint.
            """)

    @Argument(help: "The run's config file.", completion: .configFile) var config: String
    @Option(help: "How many actor processes to start (default: the config's num_actors).") var actors: Int?
    @OptionGroup var options: RunOptions
    @OptionGroup var capture: CaptureOption
    @Flag(help: "Each actor also captures what it sends, into the run's captures/ (fleet actor --capture).")
    var captureActors = false
    @OptionGroup var resume: ResumeOption

    func run() throws {
        var options = options
        options.overrides += capture.overrides
        if let actors {
            guard actors > 0 else {
                printError("fleet launch: --actors must be at least 1")
                throw ExitCode.validationFailure
            }
            // As an override, so the config's rules (num_actors divides num_envs) apply to it.
            options.overrides.append("num_actors=\(actors)")
        }
        let resolved: RunConfig
        do {
            resolved = try RunConfig(file: config, overrides: options.configOverrides)
        } catch let error as ConfigError {
            // `--actors N` travels as the last `num_actors` override: an error about it names `--actors`.
            if let actors, error.key == "num_actors", error.source == "--set num_actors=\(actors)" {
                printError("fleet launch: --actors \(actors): \(error.message)")
            } else {
                printError("fleet: \(error)")
            }
            throw ExitCode.validationFailure
        }
        if resume.resume && resolved.runDirectory == nil {
            printError("fleet launch: --resume needs the run directory to continue: --run-dir PATH (or run_dir in the config)")
            throw ExitCode.validationFailure
        }
        let start = resume.start(runDirectory: resolved.runDirectory)
        // The run directory is claimed before any process starts: one that cannot be had ends the launch here.
        let runDir: String
        do {
            runDir = try RunDirectory.claim(for: resolved, reuse: start != .new).url.path
        } catch let error as RunDirectoryError {
            printError("fleet launch: \(error)")
            throw ExitCode.failure
        }
        // A resumed run's summary counts the actors of its earlier sessions too (those that ended with a summary).
        let earlierActors = start.resumes ? Self.actorsInSummary(of: runDir) : RunSummary.Actors()
        let socketDirectory = try Self.makePrivateDirectory()
        defer { try? FileManager.default.removeItem(atPath: socketDirectory) }

        let shared =
            [config] + options.configOverrides.flatMap { ["--set", $0] } + ["--set", "num_actors=\(resolved.numActors)"]
        let learnerArguments =
            ["learner"] + shared + ["--run-dir", runDir] + Self.flags(for: start)
            + ["batches", "weights", "control"].flatMap { ["--set", "endpoints.\($0)=ipc://\(socketDirectory)/\($0)"] }
        // Written straight away (print's buffer would hold it back in a pipe): scripts wait for it.
        FileHandle.standardOutput.write(
            Data("fleet launch: \(resolved.numActors) actors; live counters: fleet status ipc://\(socketDirectory)\n".utf8))
        let stop = StopSignals()
        let supervisor = ClusterSupervisor(
            learner: ChildCommand(executable: Self.executable, arguments: learnerArguments),
            actorCount: resolved.numActors,
            actor: {
                ChildCommand(
                    executable: Self.executable,
                    arguments: ["actor"] + shared + ["--connect", "ipc://\(socketDirectory)", "--index", "\($0)"]
                        + (captureActors ? ["--capture", (runDir as NSString).appendingPathComponent("captures")] : []))
            },
            stopRequested: { stop.isRaised })
        let outcome = try supervisor.run()

        let summaryFile = URL(fileURLWithPath: runDir).appendingPathComponent("summary.json")
        let actors = RunSummary.Actors(
            started: earlierActors.started + outcome.actors.started, restarts: earlierActors.restarts + outcome.actors.restarts)
        if FileManager.default.fileExists(atPath: summaryFile.path) {
            try RunSummary.recordActors(actors, inSummaryAt: summaryFile)
        }
        let counts = "actors started \(actors.started), restarts \(actors.restarts)"
        if outcome.learnerSucceeded {
            print("fleet launch: learner finished; \(counts); run directory: \(runDir)")
        } else if outcome.learnerExitCode == ExitStatus.runShort {
            printError("fleet launch: the run ended short of its config (summary.json says what was lost); \(counts)")
            throw ExitCode(ExitStatus.runShort)
        } else if stop.isRaised {
            printError("fleet launch: interrupted (learner \(outcome.learnerEnding)); \(counts)")
            throw ExitCode(130)
        } else {
            printError("fleet launch: the learner died (\(outcome.learnerEnding)); actors stopped; \(counts)")
            throw ExitCode(outcome.learnerExitCode == 0 ? 1 : outcome.learnerExitCode)
        }
    }

    /// The learner's flags for `start`.
    static func flags(for start: RunStart) -> [String] {
        switch start {
        case .new: []
        case .newReusingDirectory: ["--resume-if-present"]
        case .resume: ["--resume"]
        }
    }

    /// The actor counts of the summary an earlier session left in `runDir`, if it left one.
    static func actorsInSummary(of runDir: String) -> RunSummary.Actors {
        let file = URL(fileURLWithPath: runDir).appendingPathComponent("summary.json")
        guard let data = try? Data(contentsOf: file), let summary = try? JSONDecoder().decode(RunSummary.self, from: data)
        else { return RunSummary.Actors() }
        return summary.actors
    }

    /// This executable, for the children.
    static var executable: URL {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path)
    }

    /// A fresh directory only this user can enter, for the cluster's ipc sockets (short, under /tmp:
    /// a socket path must fit in about 100 bytes).
    static func makePrivateDirectory() throws -> String {
        var template = Array("/tmp/fleet-launch-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mkdtemp failed: errno \(errno)"])
        }
        return String(cString: made)
    }
}
