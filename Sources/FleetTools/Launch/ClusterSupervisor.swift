import FleetCluster
import Foundation

/// Runs a learner child and actor children until the learner ends: restarts an actor that dies
/// (with ``RestartBackoff``, then gives up on it), forwards a stop request to the learner, and
/// stops the actors once the learner is gone.
package final class ClusterSupervisor {
    /// How the cluster ended.
    package struct Outcome {
        package var learnerEnding: String
        package var learnerSucceeded: Bool
        package var learnerExitCode: Int32
        package var actors: RunSummary.Actors
    }

    /// One actor index: its current process and its restarts.
    private struct Slot {
        var index: Int
        var child: SupervisedProcess?
        var restarts = 0
        var restartAt: ContinuousClock.Instant?
        var gaveUp = false
    }

    private let learnerCommand: ChildCommand
    private let actorCommand: (Int) -> ChildCommand
    private let actorCount: Int
    private let backoff: RestartBackoff
    private let stopRequested: () -> Bool
    private var started = 0

    package init(
        learner: ChildCommand, actorCount: Int, actor: @escaping (Int) -> ChildCommand,
        backoff: RestartBackoff = RestartBackoff(), stopRequested: @escaping () -> Bool
    ) {
        learnerCommand = learner
        self.actorCount = actorCount
        actorCommand = actor
        self.backoff = backoff
        self.stopRequested = stopRequested
    }

    /// Starts everything and supervises until the learner ends; every child has ended on return.
    package func run() throws -> Outcome {
        let learner = try SupervisedProcess(
            name: "learner", executable: learnerCommand.executable, arguments: learnerCommand.arguments)
        var slots = (0..<actorCount).map { Slot(index: $0) }
        defer { for slot in slots { slot.child?.stop(grace: 1) } }
        for index in slots.indices { slots[index].child = try startActor(index) }
        var forwardedStop = false
        while learner.isRunning {
            if stopRequested(), !forwardedStop {
                forwardedStop = true
                say("stopping: asking the learner to finish and write its summary")
                learner.send(SIGINT)
            }
            if !forwardedStop {
                for index in slots.indices { try supervise(&slots[index]) }
            }
            usleep(50_000)
        }
        learner.wait(seconds: 2)
        // After a clean end the actors heard Shutdown and end by themselves; the rest are stopped.
        let deadline = Date().addingTimeInterval(learner.succeeded ? 3 : 0)
        while slots.contains(where: { $0.child?.isRunning ?? false }) && Date() < deadline { usleep(20_000) }
        for slot in slots { slot.child?.stop(grace: 2) }
        let restarts = slots.reduce(0) { $0 + $1.restarts }
        return Outcome(
            learnerEnding: learner.ending ?? "running", learnerSucceeded: learner.succeeded,
            learnerExitCode: learner.exitCode, actors: RunSummary.Actors(started: started, restarts: restarts))
    }

    /// Restarts the slot's actor if it died and its backoff has passed; gives up at the cap.
    private func supervise(_ slot: inout Slot) throws {
        guard !slot.gaveUp, let child = slot.child, !child.isRunning else { return }
        if child.succeeded { return }  // It heard Shutdown: the run is ending.
        if child.exitCode == ExitStatus.refused {
            slot.gaveUp = true
            say("\(child.name) was refused by the learner; not restarting it")
            return
        }
        let now = ContinuousClock.now
        guard let restartAt = slot.restartAt else {
            let ending = child.ending ?? "?"
            if let delay = backoff.delay(afterRestarts: slot.restarts) {
                slot.restartAt = now + delay
                say("\(child.name) died (\(ending)); restarting in \(delay)")
            } else {
                slot.gaveUp = true
                say("\(child.name) died (\(ending)) after \(slot.restarts) restarts; giving up on it; "
                    + "the learner goes on without it once actor_timeout passes")
            }
            return
        }
        guard now >= restartAt else { return }
        slot.restartAt = nil
        slot.restarts += 1
        slot.child = try startActor(slot.index)
    }

    private func startActor(_ index: Int) throws -> SupervisedProcess {
        started += 1
        let command = actorCommand(index)
        return try SupervisedProcess(
            name: ActorLoop.id(index: index), executable: command.executable, arguments: command.arguments)
    }

    private func say(_ message: String) { printError("fleet launch: \(message)") }
}
