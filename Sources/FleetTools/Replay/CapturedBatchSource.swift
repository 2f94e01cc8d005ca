import FleetCluster
import FleetConfig
import FleetTensor
import FleetWire
import Foundation

/// A batch source that sends one original actor's captured batches again, in their order, each
/// stamped with the policy version the replaying actor holds (so a live learner takes them as
/// fresh; their behaviour log-probs stay those of the policy that made them). It takes its policy
/// (spec, parameters for the learner's weights, pacing) from the run's own source for that actor.
///
/// With ``ReplayPace/original`` each batch waits until as long after the first as it arrived
/// after the first in the live run.
final class CapturedBatchSource: BatchSource {
    private let policySource: any BatchSource
    private let reader: CaptureReader
    private let sender: String
    private let pace: ReplayPace
    private var firstArrival: Double?
    private var started = ContinuousClock.now
    /// Batches handed out so far, and captured frames of this sender that could not be sent.
    private(set) var batchesSent = 0
    private(set) var unsendable = 0
    /// The incarnation and sequence of the last frame sent.
    private var lastSent: (UInt64, UInt64)?

    /// Replays `sender`'s entries of `reader` with actor `index`'s policy of `config`.
    init(index: Int, config: RunConfig, reader: CaptureReader, sender: String, pace: ReplayPace) throws {
        policySource = try makeBatchSource(index: index, config: config)
        self.reader = reader
        self.sender = sender
        self.pace = pace
    }

    var policyParameters: [(name: String, tensor: Tensor)] { policySource.policyParameters }
    var policySpec: String { policySource.policySpec }
    var specHash: [UInt8] { policySource.specHash }
    var width: Int { policySource.width }
    var pacing: BatchPacing { policySource.pacing }

    func nextBatch(policyVersion: UInt64, keepAlive: () throws -> Void) throws -> Payload? {
        while let located = try reader.next() {
            // Another sender's frames are another actor's to send; an undecodable one is counted
            // against every actor (none can tell whose it was).
            guard let frame = try? Frame(decoding: located.entry.frame) else {
                unsendable += 1
                continue
            }
            guard frame.envelope.senderID == sender else { continue }
            // A group batch split between two updates is captured in both: it is sent once.
            let key = (frame.envelope.incarnation, frame.envelope.sequence)
            if let lastSent, lastSent == key { continue }
            lastSent = key
            guard let payload = frame.payload.withBatchPolicyVersion(policyVersion) else {
                unsendable += 1
                continue
            }
            wait(untilArrival: located.entry.arrivalSeconds)
            batchesSent += 1
            return payload
        }
        return nil
    }

    /// At the original pace, sleeps until this batch's arrival relative to the first.
    private func wait(untilArrival arrival: Double) {
        guard pace == .original else { return }
        guard let firstArrival else {
            firstArrival = arrival
            started = .now
            return
        }
        let due = started + .seconds(max(0, arrival - firstArrival))
        let now = ContinuousClock.now
        if due > now { Thread.sleep(forTimeInterval: (due - now).seconds) }
    }
}

/// How `fleet replay --into` paces the batches it sends.
public enum ReplayPace: String, Sendable, CaseIterable {
    /// Each batch as long after the first as it arrived in the live run.
    case original
    /// As fast as the learner takes them (the actors' usual pacing by weights versions).
    case fast
}
