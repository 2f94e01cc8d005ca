import ArgumentParser
import FleetCluster
import FleetConfig
import FleetTensor
import FleetTools
import FleetWire
import Foundation

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay captured batches: offline and deterministic, or into a live learner.",
        discussion: """
            CAPTURE is a capture directory (a run's captures/, written with --capture) or capture files, \
            in order. Offline, the run's learner trains on exactly the batches the live learner consumed, \
            update by update, and must end with the live run's weights_sha256 (from the capture's \
            manifest): exit 0 when it does, 1 when it does not. With --into, the captured batches are \
            sent to a live learner by actors of their original ids instead. \
            Damage (a torn tail, a corrupt record) is reported and skipped; --strict makes it fatal.
            """)

    @Argument(help: "Capture directories or files, in order.", completion: .file()) var captures: [String]
    @Option(help: "The config of the run to reproduce (default: the capture's own config.yaml).", completion: .configFile)
    var config: String?
    @Option(help: "Send the batches to a live learner at this endpoint (tcp://HOST or ipc://DIRECTORY).")
    var into: String?
    @Option(help: "With --into: 'original' keeps the captured arrival times, 'fast' sends as fast as the learner takes them.")
    var pace: ReplayPace = .fast
    @Flag(help: "Fail at the first torn or corrupt record instead of skipping it.") var strict = false
    @OptionGroup var options: RunOptions

    func run() throws {
        let selection: CaptureSelection
        do {
            selection = try CaptureSelection(captures, kinds: into == nil ? [.consumed] : [.consumed, .sent])
        } catch {
            printError("fleet replay: \(error)")
            throw ExitCode.validationFailure
        }
        guard let configFile = config ?? selection.configFile else {
            printError("fleet replay: the capture has no manifest naming its config: pass --config")
            throw ExitCode.validationFailure
        }
        // A replay writes a run directory of its own (the capture's config.yaml names the live
        // run's) and captures nothing.
        var replayOptions = options
        replayOptions.overrides += ["capture=false"] + (options.runDir == nil ? ["run_dir=null"] : [])
        let config = try replayOptions.resolveConfig(file: configFile)
        if config.deterministic { Determinism.enable() }
        let mode: CaptureReader.Mode = strict ? .strict : .lenient
        if let into {
            try ReplayInto(config: config, endpoint: into, pace: pace, mode: mode, files: selection.files).run()
        } else {
            try replayOffline(config: config, selection: selection, reader: CaptureReader(files: selection.files, mode: mode))
        }
    }

    private func replayOffline(config: RunConfig, selection: CaptureSelection, reader: CaptureReader) throws {
        if let manifest = selection.manifest, manifest.learningConfigSHA256 != config.resolved.learningSHA256 {
            printError(
                "fleet replay: warning: the config differs from the capture's (\(manifest.config)); "
                    + "the replay reproduces the live run only with the run's own config")
        }
        let directory = try RunDirectory.create(for: config, algorithm: "\(config.algorithm)-replay")
        let metrics = try MetricsLogger(directory: directory, progress: nil)
        let outcome: CaptureReplay.Outcome
        do {
            outcome = try CaptureReplay(config: config, directory: directory, metrics: metrics)
                .run(reader, versionSkips: selection.manifest?.versionSkips ?? [])
        } catch let error as CaptureError {
            printError("fleet replay: \(error)")
            throw ExitCode.failure
        } catch let error as CaptureReplayError {
            printError("fleet replay: \(error)")
            throw ExitCode.failure
        }
        for damage in reader.damage {
            printError(
                "fleet replay: skipped \(damage.kind) in \(damage.file) at offset \(damage.offset) "
                    + "(\(damage.skippedBytes) bytes): \(damage.detail)")
        }
        for gap in outcome.gaps {
            printError("fleet replay: updates at versions \(gap.lowerBound)..<\(gap.upperBound) are missing from the capture")
        }
        let hash = outcome.summary.weightsSHA256 ?? ""
        print(
            "replayed \(outcome.updates) updates of \(outcome.batches) batches (\(reader.recordsRead) records, "
                + "\(reader.files.count) files) in \(String(format: "%.1f", outcome.summary.wallSeconds)) s")
        print("weights_sha256 \(hash)")
        print("run directory: \(directory.url.path)")
        guard let live = selection.manifest?.weightsSHA256, !live.isEmpty else {
            print("the capture's manifest holds no final weights (the live run did not finish): nothing to compare")
            return
        }
        if live == hash {
            print("matches the live run's weights_sha256")
        } else {
            printError("fleet replay: differs from the live run's weights_sha256 \(live)")
            throw ExitCode.failure
        }
    }
}
