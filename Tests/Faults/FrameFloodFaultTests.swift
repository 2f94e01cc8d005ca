@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// RELIABILITY.md test 10: random and mutated frames (bit flips, truncations, splices, varint
/// bombs, huge length prefixes, wrong field types) pushed into a live learner training CartPole
/// with real in-process actors. 0 crashes, every bad frame rejected and counted by reason, the run
/// finishes, and the training rate barely moves; then an actor id that sends garbage is quarantined.
///
/// Every flood frame is one whose verdict is decidable before it is sent: the test decodes it as
/// the learner does (``FrameFaults/ingressVerdict(_:actorIDs:)``) and never sends one that decodes
/// to a batch of a run's actor (redrawn instead; counted), so the mutants that still decode
/// (bit flips in tensor data, say) are refused as `unknown_sender` or `unexpected_payload`, which
/// is exact. Flood senders are not run actors, so quarantine does not kick in for them; it is
/// shown in its own test, with garbage sent under a run actor's id.
final class FrameFloodFaultTests: XCTestCase {
    private static let actorIDs: Set<String> = ["actor-0", "actor-1"]

    func testRandomAndMutatedFramesIntoALiveLearner() throws {
        try flood(random: 1_000, mutated: 1_000, rounds: 2, timesteps: 2_048, test: "10. frame flood")
    }

    func testTenThousandRandomAndTenThousandMutatedFramesIntoALiveLearner() throws {
        try FaultReport.requireLongRuns()
        try flood(random: 10_000, mutated: 10_000, rounds: 6, timesteps: 8_192, test: "10. frame flood (long)")
    }

    func testAnActorIDSendingGarbageIsQuarantined() throws {
        try quarantine(garbage: 300, test: "10. quarantine")
    }

    func testAnActorIDSendingThousandsOfGarbageBatchesIsQuarantined() throws {
        try FaultReport.requireLongRuns()
        try quarantine(garbage: 3_000, test: "10. quarantine (long)")
    }

    // MARK: - The flood

    /// The flood frames with what the learner must say of each.
    private struct Flood {
        var frames: [(bytes: [UInt8], verdict: String)] = []
        var redrawn = 0
        var stillDecoding = 0
        var byMutation: [String: Int] = [:]
    }

    private func makeFlood(random: Int, mutated: Int, seed: UInt64) -> Flood {
        var rng = FrameFaults.Generator(seed: seed)
        let bases = FrameFaults.mutationBases()
        var flood = Flood()
        var randoms: [(bytes: [UInt8], verdict: String)] = [], mutants: [(bytes: [UInt8], verdict: String)] = []
        while randoms.count < random {
            let bytes = FrameFaults.randomFrame(&rng)
            guard let verdict = FrameFaults.ingressVerdict(bytes, actorIDs: Self.actorIDs) else {
                flood.redrawn += 1
                continue
            }
            randoms.append((bytes, verdict))
        }
        while mutants.count < mutated {
            let (bytes, mutation) = FrameFaults.mutate(bases, &rng)
            guard let verdict = FrameFaults.ingressVerdict(bytes, actorIDs: Self.actorIDs) else {
                flood.redrawn += 1
                continue
            }
            if verdict == BatchRejection.unknownSender || verdict == BatchRejection.unexpectedPayload {
                flood.stillDecoding += 1
            }
            flood.byMutation[mutation.rawValue, default: 0] += 1
            mutants.append((bytes, verdict))
        }
        // Interleaved: one random, one mutated, ...
        for index in 0..<max(random, mutated) {
            if index < randoms.count { flood.frames.append(randoms[index]) }
            if index < mutants.count { flood.frames.append(mutants[index]) }
        }
        return flood
    }

    /// One CartPole run (2 actors, CleanRL's PPO settings, seed 1) with `frames` pushed into its
    /// batch endpoint from the start, as fast as the learner takes them.
    private struct RunResult {
        var summary: RunSummary
        var sent: Int
        var floodSeconds: Double
        var finite: Bool
        var logLines: Int
    }

    private func run(timesteps: Int, frames: [[UInt8]]) throws -> RunResult {
        let config = try FrameFaults.cartPoleConfig(["num_actors=2", "total_timesteps=\(timesteps)"])
        let context = try Context()
        let log = FrameFaults.Log()
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(60), log: log.append)
        let flood = frames.isEmpty ? nil : FrameFaults.Flood(context: context, endpoint: config.endpoints.batches, frames: frames)
        let summary = try training.run()
        let sent = flood?.join() ?? 0
        return RunResult(
            summary: summary, sent: sent, floodSeconds: flood?.seconds ?? 0,
            finite: FrameFaults.allFinite(training.learner), logLines: log.lines.count)
    }

    private func tally(_ frames: some Sequence<(bytes: [UInt8], verdict: String)>) -> [String: Int] {
        var counts: [String: Int] = [:]
        for frame in frames { counts[frame.verdict, default: 0] += 1 }
        return counts
    }

    /// Phase 1: the flood, shared out over flooded runs interleaved with clean ones (clean,
    /// flooded, flooded, clean, ...: a shared machine is noisy), each counted exactly. Phase 2: a
    /// sustained flood (the same frames over and over, for the whole of a run): the learner reads
    /// the flood's pipe in order, so what it took is a prefix of what was sent, counted exactly too.
    private func flood(random: Int, mutated: Int, rounds: Int, timesteps: Int, test: String) throws {
        let flood = makeFlood(random: random, mutated: mutated, seed: 0xF1EE7_0010)
        let updates = timesteps / 512
        XCTAssertEqual(flood.frames.count, random + mutated)

        let chunk = (flood.frames.count + rounds - 1) / rounds
        var cleanSPS: [Double] = [], floodedSPS: [Double] = []
        var cleanWall = 0.0, floodedWall = 0.0
        var rejected: [String: Int] = [:]
        var logLines = 0
        for round in 0..<rounds {
            let frames = flood.frames[(round * chunk)..<min(flood.frames.count, (round + 1) * chunk)]
            for flooded in round % 2 == 0 ? [false, true] : [true, false] {
                let result = try run(timesteps: timesteps, frames: flooded ? frames.map(\.bytes) : [])
                XCTAssertEqual(result.summary.policyVersion, updates, "the run finished")
                XCTAssertEqual(result.summary.envSteps, timesteps)
                XCTAssertTrue(result.finite, "every policy parameter is finite")
                if flooded {
                    XCTAssertEqual(result.sent, frames.count, "the run ended before the flood was sent: make it longer")
                    XCTAssertEqual(result.summary.rejected, tally(frames), "every flood frame rejected, by its reason")
                    for (reason, count) in result.summary.rejected { rejected[reason, default: 0] += count }
                    floodedSPS.append(result.summary.sps)
                    floodedWall += result.summary.wallSeconds
                    logLines += result.logLines
                } else {
                    XCTAssertEqual(result.summary.rejected, [:], "a clean run rejects nothing")
                    cleanSPS.append(result.summary.sps)
                    cleanWall += result.summary.wallSeconds
                }
            }
        }
        XCTAssertEqual(rejected, tally(flood.frames))
        let total = rejected.values.reduce(0, +)
        XCTAssertEqual(total, random + mutated, "sum of rejection counters == bad frames sent")

        // Sustained: more frames than any run takes, so the flood's queue is never empty.
        let repeats = max(2, 400_000 / flood.frames.count)
        let endless = (0..<repeats).lazy.flatMap { _ in flood.frames }
        let sustained = try run(timesteps: timesteps, frames: Array(endless.map(\.bytes)))
        XCTAssertEqual(sustained.summary.policyVersion, updates, "the run finished under a sustained flood")
        XCTAssertTrue(sustained.finite)
        let taken = sustained.summary.rejected.values.reduce(0, +)
        XCTAssertEqual(sustained.summary.rejected, tally(endless.prefix(taken)), "what it took, by reason")
        XCTAssertLessThan(sustained.sent, flood.frames.count * repeats, "the flood outlasted the run")
        XCTAssertLessThanOrEqual(sustained.sent - taken, 1000 + Int(ChannelLimits.batchReceiveQueue), "unread: queued")

        // The same steps in every run: the ratio of summed wall times is the ratio of the rates.
        let ratio = cleanWall / floodedWall
        let sustainedRatio = sustained.summary.sps / (Double(timesteps * rounds) / cleanWall)
        // What refusing the flood costs the learner's thread, measured alone (no noise from the run).
        let decodeStart = ContinuousClock.now
        for frame in flood.frames { _ = FrameFaults.ingressVerdict(frame.bytes, actorIDs: Self.actorIDs) }
        let microsecondsPerFrame = (ContinuousClock.now - decodeStart).seconds * 1e6 / Double(flood.frames.count)
        let mutations = flood.byMutation.sorted { $0.key < $1.key }.map { "\($0.key) \(FrameFaults.count($0.value))" }
        FaultReport.figure(
            test,
            mustHold: "0 crashes; every bad frame rejected and counted by reason; the run finishes; training rate barely moves",
            "\(FrameFaults.count(random)) random + \(FrameFaults.count(mutated)) mutated frames "
                + "(\(mutations.joined(separator: ", "))) into a live CartPole learner (2 in-process actors, "
                + "\(rounds) flooded + \(rounds) clean runs of \(FrameFaults.count(timesteps)) steps): 0 crashes, "
                + "\(FrameFaults.count(total)) rejected (\(FrameFaults.reasons(rejected))); "
                + "\(FrameFaults.count(flood.stillDecoding)) mutants still decoded and were refused by sender/kind, "
                + "\(flood.redrawn) drawn frames that decoded as a run actor's batch not sent; every run finished, "
                + "weights finite; SPS ratio \(String(format: "%.2f", ratio)) "
                + "(flooded \(sps(floodedSPS)) vs clean \(sps(cleanSPS))); refusing costs the learner "
                + "\(String(format: "%.1f", microsecondsPerFrame)) µs/frame; \(logLines) log lines. Sustained flood for a "
                + "whole run: \(FrameFaults.count(taken)) frames refused (\(FrameFaults.count(Int(Double(taken) / max(sustained.floodSeconds, 1e-9)))) /s) "
                + "while all \(updates) updates went on, SPS ratio \(String(format: "%.2f", sustainedRatio)) "
                + "(\(FrameFaults.count(Int(sustained.summary.sps))) steps/s)")
    }

    // MARK: - Quarantine

    /// Garbage batches under a run actor's id (a high incarnation, so they are never replays of
    /// its real batches, and its real batches never replays of them). Each kind's verdict does
    /// not depend on timing: a non-batch payload and a future policy version fail the shared
    /// checks, which come before quarantine; the rest fail the algorithm's checks, after it.
    private func quarantine(garbage: Int, test: String) throws {
        let config = try FrameFaults.cartPoleConfig(["num_actors=2", "total_timesteps=4096"])
        let quarantineAfter = config.quarantineAfter
        var rng = FrameFaults.Generator(seed: 0x0_0A2A_2710)
        let incarnation: UInt64 = 1 << 40
        var frames: [[UInt8]] = []
        var predicted: [String: Int] = [:]
        var misbehaviour = 0
        for sequence in 0..<UInt64(garbage) {
            let frame: Frame, sharedCheck: String?, algorithmCheck: String?
            switch rng.below(6) {
            case 0:
                frame = FrameFaults.resent(SampleFrames.hello, as: "actor-1", incarnation: incarnation, sequence: sequence)
                (sharedCheck, algorithmCheck) = (BatchRejection.unexpectedPayload, nil)
            case 1:
                frame = FrameFaults.resent(SampleFrames.weights, as: "actor-1", incarnation: incarnation, sequence: sequence)
                (sharedCheck, algorithmCheck) = (BatchRejection.unexpectedPayload, nil)
            case 2:
                frame = FrameFaults.cartPoleBatch(
                    sender: "actor-1", incarnation: incarnation, sequence: sequence, policyVersion: 1 << 40)
                (sharedCheck, algorithmCheck) = (BatchRejection.futurePolicyVersion, nil)
            case 3:
                frame = FrameFaults.cartPoleBatch(sender: "actor-1", incarnation: incarnation, sequence: sequence, steps: 3)
                (sharedCheck, algorithmCheck) = (nil, BatchRejection.specMismatch)
            case 4:
                frame = FrameFaults.cartPoleBatch(sender: "actor-1", incarnation: incarnation, sequence: sequence, action: 2)
                (sharedCheck, algorithmCheck) = (nil, BatchRejection.actionOutOfRange)
            default:
                var group = FrameFaults.resent(
                    SampleFrames.groupBatch, as: "actor-1", incarnation: incarnation, sequence: sequence)
                if case .groupBatch(var batch) = group.payload {
                    batch.policyVersion = 0
                    group.payload = .groupBatch(batch)
                }
                frame = group
                (sharedCheck, algorithmCheck) = (nil, BatchRejection.unexpectedPayload)
            }
            frames.append(frame.encoded())
            let reason = sharedCheck ?? (misbehaviour >= quarantineAfter ? BatchRejection.quarantined : algorithmCheck!)
            predicted[reason, default: 0] += 1
            if misbehaviour < quarantineAfter, reason != BatchRejection.quarantined { misbehaviour += 1 }
        }
        XCTAssertEqual(misbehaviour, min(garbage, quarantineAfter))

        let context = try Context()
        let log = FrameFaults.Log()
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(60), log: log.append)
        let flood = FrameFaults.Flood(context: context, endpoint: config.endpoints.batches, frames: frames)
        let summary = try training.run()
        XCTAssertEqual(flood.join(), garbage)
        let status = training.learner.status(at: .now)

        XCTAssertEqual(summary.policyVersion, 4096 / 512, "the run finished")
        XCTAssertTrue(FrameFaults.allFinite(training.learner))
        XCTAssertEqual(status.actors["actor-1"]?.state, ActorRoster.State.quarantined.rawValue)
        XCTAssertEqual(status.actors["actor-0"]?.state, ActorRoster.State.live.rawValue)
        XCTAssertEqual(
            log.lines.filter { $0.contains("actor-1 quarantined after \(quarantineAfter) bad batches") }.count, 1,
            "\(log.lines)")
        // actor-1's counts: the garbage as predicted, plus its own real batches refused once it was
        // quarantined (or gone stale meanwhile); nobody else's.
        let observed = status.rejectedBySender["actor-1"] ?? [:]
        var realRefused: [String: Int] = [:]
        for reason in Set(observed.keys).union(predicted.keys) {
            let extra = (observed[reason] ?? 0) - (predicted[reason] ?? 0)
            if [BatchRejection.quarantined, BatchRejection.stale].contains(reason) {
                XCTAssertGreaterThanOrEqual(extra, 0, "\(reason): \(observed) vs \(predicted)")
                if extra > 0 { realRefused[reason] = extra }
            } else {
                XCTAssertEqual(extra, 0, "\(reason): \(observed) vs \(predicted)")
            }
        }
        XCTAssertEqual(Set(status.rejectedBySender.keys), ["actor-1"], "\(status.rejectedBySender)")
        let accepted = status.actors["actor-1"]?.batchesAccepted ?? 0

        FaultReport.figure(
            test,
            mustHold: "an actor id that sends bad batches is quarantined at quarantine_after; the run goes on without it",
            "\(FrameFaults.count(garbage)) garbage batches under actor-1's id (hello/weights on the batch channel, "
                + "future policy version, wrong shape, action out of range, a GRPO batch in a PPO run): quarantined "
                + "after \(quarantineAfter) (quarantine_after \(quarantineAfter)), exactly as predicted; its garbage "
                + "counted \(FrameFaults.reasons(predicted)); its own real batches: \(accepted) taken before, "
                + "\(realRefused.isEmpty ? "none" : FrameFaults.reasons(realRefused)) refused after; the run "
                + "finished on actor-0 (v\(summary.policyVersion ?? 0), \(FrameFaults.count(summary.envSteps)) env steps), "
                + "weights finite")
    }

    // MARK: - Helpers

    private func sps(_ values: [Double]) -> String {
        "[" + values.map { FrameFaults.count(Int($0.rounded())) }.joined(separator: ", ") + "] steps/s"
    }
}
