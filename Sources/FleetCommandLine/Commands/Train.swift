import ArgumentParser
import FleetCluster
import FleetTools
import FleetTransport
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train in one process, with the actors as threads over inproc://.")

    @Argument(help: "The run's config file.", completion: .configFile) var config: String
    @OptionGroup var options: RunOptions
    @OptionGroup var capture: CaptureOption
    @OptionGroup var resume: ResumeOption

    func run() throws {
        let config = try options.with(capture).resolveConfig(file: config)
        let start = resume.start(runDirectory: config.runDirectory)
        let run = try LearnerRun(command: "train", config: config, start: start)
        let training = try run.start {
            try InProcessTraining(
                config: run.config, context: try Context(), directory: run.directory, metrics: run.metrics,
                stopRequested: run.stopRequested, resume: start.resumes)
        }
        try run.finish { (try training.run(), training.learner.wasInterrupted) }
    }
}
