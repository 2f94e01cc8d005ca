import ArgumentParser
import FleetCluster
import FleetTransport
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train in one process, with the actors as threads over inproc://.")

    @Argument(help: "The run's config file.") var config: String
    @OptionGroup var options: RunOptions
    @OptionGroup var capture: CaptureOption

    func run() throws {
        let run = try LearnerRun(command: "train", config: try options.with(capture).resolveConfig(file: config))
        let training = try InProcessTraining(
            config: run.config, context: try Context(), directory: run.directory, metrics: run.metrics,
            stopRequested: run.stopRequested)
        try run.finish { (try training.run(), training.learner.wasInterrupted) }
    }
}
