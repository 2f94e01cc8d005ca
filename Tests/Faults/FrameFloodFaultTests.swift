@testable import FleetCluster
import FleetConfig
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest

/// docs/reliability.md test 10: random and mutated frames (bit flips, truncations, splices, varint
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
        try flood(random: 1_000, mutated: 1_000, rounds: 1, timesteps: 4_096, test: "10. frame flood")
    }

    func testTenThousandRandomAndTenThousandMutatedFramesIntoALiveLearner() throws {
        try FaultReport.requireLongRuns()
        try flood(random: 10_000, mutated: 10_000, rounds: 6, timesteps: 8_192, test: "10. frame flood (long)")
    }

    func testAnActorIDSendingGarbageIsQuarantined() throws {
        try quarantine(garbage: 300, timesteps: 2_048, test: "10. quarantine")
    }

    func testAnActorIDSendingThousandsOfGarbageBatchesIsQuarantined() throws {
        try FaultReport.requireLongRuns()
        try quarantine(garbage: 3_000, timesteps: 8_192, test: "10. quarantine (long)")
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
            if verdict == BatchRejection.Reason.unknownSender.rawValue || verdict == BatchRejection.Reason.unexpectedPayload.rawValue {
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
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(60), log: log.logger)
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
        XCTAssertLessThan(sustained.sent, flood.frames.count * repeats, "the flood outlasted the run (one that held the updates off would be read whole first)")
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

    /// Garbage under a run actor's id, of kinds whose verdict does not depend on timing: every
    /// message kind that is not a batch (`unexpected_payload`) and batches from a policy version
    /// far in the future (`future_policy_version`; some also with the wrong shape, actions out of
    /// range, or GRPO groups: the version check comes first). Both are shared checks, made before
    /// the quarantine check, so the garbage keeps its reasons after the quarantine too; a batch
    /// of the current version with a bad shape would instead be `stale` or not depending on when
    /// it is read. The learner reads the flood's pipe in order, so what it read is a prefix.
    private func quarantine(garbage: Int, timesteps: Int, test: String) throws {
        let config = try FrameFaults.cartPoleConfig(["num_actors=2", "total_timesteps=\(timesteps)"])
        let quarantineAfter = config.quarantineAfter
        var rng = FrameFaults.Generator(seed: 0x0_0A2A_2710)
        // actor-1's own incarnation (1, announced below), sequences from 2^19: within the window,
        // never a replay of the actor's real batches, nor they of it.
        let incarnation: UInt64 = 1, future: UInt64 = 1 << 40
        let others = Payload.Kind.allCases.filter { $0 != .trajectoryBatch && $0 != .groupBatch }
        var frames: [(bytes: [UInt8], verdict: String)] = []
        for sequence in (1 << 19)..<((1 << 19) + UInt64(garbage)) {
            let frame: Frame
            switch rng.below(5) {
            case 0:
                frame = FrameFaults.cartPoleBatch(
                    sender: "actor-1", incarnation: incarnation, sequence: sequence, policyVersion: future, steps: 3)
            case 1:
                frame = FrameFaults.cartPoleBatch(
                    sender: "actor-1", incarnation: incarnation, sequence: sequence, policyVersion: future, action: 2)
            case 2:
                var group = FrameFaults.resent(
                    SampleFrames.groupBatch, as: "actor-1", incarnation: incarnation, sequence: sequence)
                if case .groupBatch(var batch) = group.payload {
                    batch.policyVersion = future
                    group.payload = .groupBatch(batch)
                }
                frame = group
            default:
                frame = FrameFaults.resent(
                    SampleFrames.sample(others[rng.below(others.count)]), as: "actor-1", incarnation: incarnation,
                    sequence: sequence)
            }
            let verdict =
                frame.kind == .trajectoryBatch || frame.kind == .groupBatch
                ? BatchRejection.Reason.futurePolicyVersion.rawValue : BatchRejection.Reason.unexpectedPayload.rawValue
            frames.append((frame.encoded(), verdict))
        }

        let context = try Context()
        let log = FrameFaults.Log()
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(60), log: log.logger)
        // Frames not carrying an actor's incarnation never count toward its quarantine: the garbage
        // carries actor-1's, told in a Hello the learner hears before any of it.
        let hello = try Socket(context, .dealer, linger: .zero)
        try hello.connect(config.endpoints.control)
        try hello.send(
            Frame(
                envelope: Envelope(senderID: "actor-1", incarnation: incarnation, sequence: 0),
                payload: .hello(Hello(specHash: [], numEnvs: 0, host: "garbage", pid: 1))
            ).encoded())
        try training.learner.serviceControl()
        let flood = FrameFaults.Flood(context: context, endpoint: config.endpoints.batches, frames: frames.map(\.bytes))
        let summary = try withExtendedLifetime(hello) { try training.run() }
        let sent = flood.join()
        let status = training.learner.status(at: .now)

        XCTAssertEqual(summary.policyVersion, timesteps / 512, "the run finished")
        XCTAssertTrue(FrameFaults.allFinite(training.learner))
        XCTAssertEqual(status.actors["actor-1"]?.state, ActorRoster.State.quarantined.rawValue)
        XCTAssertEqual(status.actors["actor-0"]?.state, ActorRoster.State.live.rawValue)
        XCTAssertEqual(
            log.lines.filter { $0.contains("actor-1 quarantined after \(quarantineAfter) bad batches") }.count, 1,
            "\(log.lines)")
        // actor-1's counts: the garbage read, exactly, plus its own real batches refused once it
        // was quarantined (or gone stale meanwhile); nobody else's.
        var observed = status.rejectedBySender["actor-1"] ?? [:]
        let quarantinedReal = observed.removeValue(forKey: BatchRejection.Reason.quarantined.rawValue) ?? 0
        let staleReal = observed.removeValue(forKey: BatchRejection.Reason.stale.rawValue) ?? 0
        let read = observed.values.reduce(0, +)
        XCTAssertLessThanOrEqual(read, sent)
        XCTAssertGreaterThanOrEqual(read, quarantineAfter, "the quarantine was reached")
        XCTAssertEqual(observed, tally(frames.prefix(read)), "the garbage read, each with its reason")
        XCTAssertEqual(Set(status.rejectedBySender.keys), ["actor-1"], "\(status.rejectedBySender)")
        let accepted = status.actors["actor-1"]?.batchesAccepted ?? 0

        FaultReport.figure(
            test,
            mustHold: "an actor id that sends bad batches is quarantined at quarantine_after; the run goes on without it",
            "\(FrameFaults.count(garbage)) garbage frames under actor-1's id (every non-batch message kind; batches of a "
                + "future policy version, with wrong shapes, actions out of range, GRPO groups): quarantined after "
                + "\(quarantineAfter) (quarantine_after \(quarantineAfter)); the \(FrameFaults.count(read)) read before the run "
                + "ended counted exactly (\(FrameFaults.reasons(observed))); its own real batches: \(accepted) taken before, "
                + "\(quarantinedReal) refused as quarantined\(staleReal > 0 ? " and \(staleReal) as stale" : "") after; the "
                + "run finished on actor-0 (v\(summary.policyVersion ?? 0), \(FrameFaults.count(summary.envSteps)) env "
                + "steps), weights finite")
    }

    // MARK: - Helpers

    private func sps(_ values: [Double]) -> String {
        "[" + values.map { FrameFaults.count(Int($0.rounded())) }.joined(separator: ", ") + "] steps/s"
    }
}
