import FleetConfig
import FleetTransport
import Foundation
import Logging

/// `fleet train`: the learner on the calling thread and `num_actors` actors on their own threads,
/// talking over the config's endpoints (normally `inproc://`) in one shared `Context`.
public final class InProcessTraining {
    /// The run's config; the actors are its `num_actors`.
    public let config: RunConfig
    /// The learner, bound when this is made: sockets of the same context may connect at once.
    public let learner: LearnerLoop
    private let context: Context
    private let log: Logger

    /// Binds the learner of `config` in `context`; `metrics` and `directory` as ``LearnerLoop``'s.
    /// `resume`: the learner continues from the newest valid checkpoint in `directory`, and the
    /// actors start as new incarnations (their batches would be replays otherwise).
    public init(
        config: RunConfig, context: Context, directory: RunDirectory? = nil, metrics: MetricsLogger? = nil,
        stallTimeout: Duration? = nil,
        log: Logger = Logger(label: "learner"),
        stopRequested: @escaping () -> Bool = { false }, resume: Bool = false
    ) throws {
        self.config = config
        self.context = context
        self.log = log
        // An actor that fails (its environments stopped, say) stops the run: in one process there
        // is nobody to restart it.
        let actorFailure = self.actorFailure
        learner = try LearnerLoop(
            config: config, context: context, directory: directory, metrics: metrics,
            options: LearnerLoop.Options(
                stallTimeout: stallTimeout, log: log, stopRequested: { stopRequested() || actorFailure.error != nil },
                resume: resume))
    }

    /// The first error an actor stopped with.
    private let actorFailure = ActorThread.Outcome()

    /// An actor of `fleet train` stopped with an error, which stopped the run.
    public struct ActorFailed: Error, CustomStringConvertible {
        /// What stopped the actor.
        public var reason: any Error
        public var description: String { "an actor stopped: \(reason)" }
    }

    /// Starts the actors, runs the learner to the end of the run, and waits for the actors to stop.
    ///
    /// The learner tells every actor that said Hello to shut down; then the context is shut down
    /// too, which ends the blocking calls of any actor the learner never heard from (one still
    /// starting when the run ended). The context cannot be used afterwards.
    public func run() throws -> RunSummary {
        let incarnation = learner.nextActorIncarnation
        let actors = (0..<config.numActors).map {
            ActorThread(
                index: $0, config: config, context: context, incarnation: incarnation, log: log,
                failure: actorFailure)
        }
        defer {
            context.shutdown()
            for actor in actors { actor.join() }
        }
        let summary = try learner.run()
        if let error = actorFailure.error { throw ActorFailed(reason: error) }
        return summary
    }
}
