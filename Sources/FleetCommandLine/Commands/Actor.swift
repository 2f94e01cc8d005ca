import ArgumentParser
import FleetCluster
import FleetTools
import FleetTensor
import FleetTransport
import FleetWire
import Foundation
import Logging

struct Actor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an actor that joins a learner and ships it batches.",
        discussion: """
            Without --connect the actor connects to the config's endpoints as they are. \
            --connect tcp://HOST keeps the config's tcp:// ports and puts HOST in place of their host; \
            --connect ipc://DIRECTORY connects to ipc://DIRECTORY/batches, /weights and /control. \
            Give it the learner's config and --set overrides (the learner checks that its batches fit). \
            The actor runs until the learner says Shutdown (or SIGINT/SIGTERM). Exit status: 0 the \
            learner ended the run; 4 the learner said nothing for learner_timeout (gone, or not admitting \
            this actor: a restart later may find it back); 5 the learner refused this actor (not of its run \
            or shape: a restart does not help); 130 stopped by a signal; 1 another failure.

            To tcp endpoints it connects with CURVE: curve.actor_secret_key_file is its key pair \
            ({actor_id} stands for its id, e.g. keys/{actor_id}.key) and curve.learner_public_key_file \
            the learner's public key (fleet keygen writes them). insecure: true allows tcp without, \
            with a warning.
            """)

    @Argument(help: "The run's config file.", completion: .configFile) var config: String
    @Option(help: "Where the learner is: tcp://HOST or ipc://DIRECTORY (see above).") var connect: String?
    @Option(help: "This actor's index (its id is actor-INDEX), from 0 to num_actors - 1 (max_actors - 1 in an elastic run).")
    var index: Int = 0
    @Option(help: "This start's incarnation, higher than any earlier one (default: Unix time in ms).")
    var incarnation: UInt64?
    @Option(
        help: "Capture every batch this actor sends into this directory (files actor-N-iINCARNATION-sent-*.fleetrec).",
        completion: .directory)
    var capture: String?
    @OptionGroup var options: RunOptions

    func run() throws {
        var config = try options.resolveConfig(file: config)
        if let connect {
            do {
                config.endpoints = try config.endpoints.connecting(to: connect)
            } catch {
                printError("fleet actor: \(error)")
                throw ExitCode.validationFailure
            }
        }
        guard config.endpoints.areReachableFromOtherProcesses else {
            printError("fleet actor: the learner's endpoints must be ipc:// or tcp://; pass --connect or --set endpoints.…")
            throw ExitCode.validationFailure
        }
        guard (0..<config.admissibleActorCount).contains(index) else {
            let bound = config.isElastic ? "max_actors" : "num_actors"
            printError("fleet actor: --index \(index) is outside 0..<\(bound) (\(config.admissibleActorCount))")
            throw ExitCode.validationFailure
        }
        do {
            _ = try config.actorSecurity(actorID: ActorLoop.id(index: index))
        } catch {
            printError("fleet actor: \(error)")
            throw ExitCode.validationFailure
        }
        // As the learner: reproducible forward passes, and one BLAS thread per actor process
        // rather than every actor spinning up a thread per core.
        if config.deterministic { Determinism.enable() }
        let context = try Context()
        let signals = ShutdownOnSignal(context)
        let id = ActorLoop.id(index: index)
        let reason: String
        do {
            let actor = try ActorLoop(
                index: index, config: config, context: context,
                incarnation: incarnation ?? UInt64(Date().timeIntervalSince1970 * 1000),
                log: Logger(label: "actor"))
            if let capture {
                actor.capture(into: URL(fileURLWithPath: capture, isDirectory: true), fileBytes: config.capture.fileBytes)
            }
            reason = try actor.run()
        } catch let error as ActorLoop.LearnerSilent {
            printError("fleet actor: \(id) gives up: \(error); exit \(ExitStatus.learnerGone)")
            throw ExitCode(ExitStatus.learnerGone)
        } catch let error as ActorLoop.Refused {
            printError("fleet actor: \(id) stopped: \(error); exit \(ExitStatus.refused) (starting it again does not help)")
            throw ExitCode(ExitStatus.refused)
        } catch {
            printError("fleet actor: \(id) stopped: \(error)")
            throw ExitCode.failure
        }
        context.shutdown()
        printError("\(id): stopped (\(reason))")
        if signals.isRaised { throw ExitCode(130) }
    }
}
