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
            actors reconnect by themselves. --resume-if-present does so when there is a checkpoint and \
            starts the run otherwise: the start command of a job a scheduler may restart.

            Ctrl-C (SIGINT) ends the run: the actors are told to stop. SIGTERM (a scheduler's scancel, \
            requeue, preemption or eviction) ends this process only: checkpoint and summary are written \
            as for Ctrl-C, but the actors keep waiting (up to learner_timeout) for a learner that \
            resumes the run. Exit status: 0 done; 3 the run stalled, or fell short of its config (updates \
            on partial batches) without allow_partial; 130 stopped by a signal; 1 another failure.
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
        let start = resume.start(runDirectory: config.runDirectory)
        let run = try LearnerRun(command: "learner", config: config, start: start)
        let context = try Context()
        defer { context.shutdown() }
        let learner = try run.start {
            try LearnerLoop(
                config: config, context: context, directory: run.directory, metrics: run.metrics,
                options: LearnerLoop.Options(
                    stopRequested: run.stopRequested, stopLeavesActors: run.stopIsTermination, resume: start.resumes))
        }
        let hangup = learner.allowList.map(ReloadOnHangup.init)
        defer { withExtendedLifetime(hangup) {} }
        try run.finish { (try learner.run(), learner.wasInterrupted) }
    }
}
