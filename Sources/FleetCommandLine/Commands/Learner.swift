import ArgumentParser
import FleetCluster
import FleetTools
import FleetTransport
import Foundation

struct Learner: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a learner: bind the batch, weights and control endpoints and train.",
        discussion: """
            The config's endpoints.batches, endpoints.weights and endpoints.control must be ipc:// or \
            tcp:// (actors in other processes cannot reach inproc://), e.g. \
            --set endpoints.batches=tcp://*:5555. The learner waits for num_actors actors \
            (`fleet actor CONFIG --connect … --index N`, N from 0) and shuts them down when done.

            tcp endpoints use CURVE: curve.learner_secret_key_file is the learner's key pair and \
            curve.authorized_actors the allow-list of actor keys (fleet keygen writes both); only \
            listed keys get in, each as its actor id. The allow-list is reread within a second of a \
            change and on SIGHUP; a key taken out is refused from then on and its connection is cut. \
            ipc:// sockets must be in an owner-only directory. insecure: true allows either without, \
            with a warning.
            With --resume it continues the run in --run-dir from its newest valid checkpoint; running \
            actors reconnect by themselves.
            """)

    @Argument(help: "The run's config file.", completion: .configFile) var config: String
    @OptionGroup var options: RunOptions
    @OptionGroup var capture: CaptureOption
    @OptionGroup var resume: ResumeOption

    func run() throws {
        let config = try options.with(capture).resolveConfig(file: config)
        guard config.endpoints.areReachableFromOtherProcesses else {
            printError(
                "fleet learner: endpoints must be ipc:// or tcp:// (got \(config.endpoints.all.joined(separator: ", "))); "
                    + "other processes cannot reach inproc://. Use --set endpoints.batches=ipc://… or `fleet train`.")
            throw ExitCode.validationFailure
        }
        do {
            _ = try config.learnerSecurity()
        } catch {
            printError("fleet learner: \(error)")
            throw ExitCode.validationFailure
        }
        let run = try LearnerRun(command: "learner", config: config, resume: resume.resume)
        let context = try Context()
        defer { context.shutdown() }
        let learner = try run.start {
            try LearnerLoop(
                config: config, context: context, directory: run.directory, metrics: run.metrics,
                options: LearnerLoop.Options(stopRequested: run.stopRequested, resume: resume.resume))
        }
        let hangup = learner.allowList.map(ReloadOnHangup.init)
        defer { withExtendedLifetime(hangup) {} }
        try run.finish { (try learner.run(), learner.wasInterrupted) }
    }
}
