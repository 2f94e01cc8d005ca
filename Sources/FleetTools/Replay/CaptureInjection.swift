import FleetCluster
import FleetConfig
import FleetTransport
import FleetWire
import Foundation
import Logging

/// `fleet replay --into`: actors that send a capture's batches to a live learner in place of
/// the run's actors. Actor `i` (id `actor-i`, one thread each) sends the batches the capture holds
/// from `actor-i`, through the usual handshake, heartbeats and pacing (``ActorLoop``), each stamped
/// with the weights version it holds (``CapturedBatchSource``). Senders beyond the config's
/// `num_actors` are not replayed.
public final class CaptureInjection {
    /// What each actor sent.
    public struct Outcome {
        /// Batches sent, by actor id.
        public var sent: [String: Int]
        /// Captured frames of each actor's sender that were not batches it could send (undecodable
        /// or another kind), by actor id.
        public var unsendable: [String: Int]
        /// Why each actor stopped.
        public var endings: [String: String]
        /// Damage the capture's files showed (as one actor's reader saw it; all read the same files).
        public var damage: [CaptureReader.Damage]
    }

    /// The run's config: its endpoints, actor count and security are what the actors use.
    public let config: RunConfig
    /// The capture files to read, in order.
    public let files: [String]
    /// Whether damage in `files` is thrown (`strict`) or skipped (`lenient`).
    public let mode: CaptureReader.Mode
    /// How fast the batches are sent.
    public let pace: ReplayPace

    /// Replays `files` into the learner at `config.endpoints`.
    public init(config: RunConfig, files: [String], mode: CaptureReader.Mode, pace: ReplayPace) {
        self.config = config
        self.files = files
        self.mode = mode
        self.pace = pace
    }

    /// Runs the actors until each has sent its batches (and seen them taken) or the learner says
    /// Shutdown; `log` receives their warnings (each with its `actor.id`).
    public func run(context: Context, log: Logger) throws -> Outcome {
        let results = _Results()
        let incarnation = UInt64(Date().timeIntervalSince1970 * 1000)
        let threads = (0..<config.numActors).map { index in
            let config = self.config, files = self.files, mode = self.mode, pace = self.pace
            return ActorThread(index: index, log: log) {
                let id = ActorLoop.id(index: index)
                let reader = CaptureReader(files: files, mode: mode)
                let source = try CapturedBatchSource(index: index, config: config, reader: reader, sender: id, pace: pace)
                let actor = try ActorLoop(
                    index: index, source: source, config: config, context: context, incarnation: incarnation, log: log)
                let ending = try actor.run()
                results.record(
                    id: id, sent: source.batchesSent, unsendable: source.unsendable, ending: ending, damage: index == 0 ? reader.damage : nil)
            }
        }
        for thread in threads {
            if let error = thread.join() { throw error }
        }
        return results.outcome
    }

    /// What the actor threads report, each once.
    private final class _Results: @unchecked Sendable {
        private let lock = NSLock()
        private var stored = Outcome(sent: [:], unsendable: [:], endings: [:], damage: [])
        func record(id: String, sent: Int, unsendable: Int, ending: String, damage: [CaptureReader.Damage]?) {
            lock.withLock {
                stored.sent[id] = sent
                stored.unsendable[id] = unsendable
                stored.endings[id] = ending
                if let damage { stored.damage = damage }
            }
        }
        var outcome: Outcome { lock.withLock { stored } }
    }
}
