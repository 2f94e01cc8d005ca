@testable import FleetCluster
import FleetConfig
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest

/// docs/reliability.md test 18: a peer the learner lets in (insecure mode: anyone) speaks as an actor
/// of the run or floods it. It cannot lock an actor out (a forged far-future incarnation or sequence
/// is refused, not adopted, and not saved by a checkpoint), cannot have it quarantined (only frames
/// carrying the actor's incarnation count), cannot pass `actor-0\0evil` off as `actor-0`, cannot grow
/// `state.json` with made-up ids, cannot forge or flood log lines, and a flood of large stale frames
/// is refused from their headers, before any is unpacked.
final class ImpersonationFaultTests: XCTestCase {
    /// A CartPole run of `timesteps` (2 actors, CleanRL's settings, insecure inproc endpoints) with a
    /// run directory; `hostile` runs on its own thread once the learner is bound.
    private struct Run {
        var training: InProcessTraining
        var summary: RunSummary
        var directory: RunDirectory
        var log: FrameFaults.Log

        /// The newest checkpoint's `state.json`.
        func checkpointState() throws -> (state: LearnerCheckpointState, bytes: Int) {
            let store = CheckpointStore(directory: directory.checkpointsDirectory, keep: 2)
            let files = try store.loadNewest { $0 }.loaded.files
            let data = try XCTUnwrap(files[LearnerCheckpoint.stateFile])
            return (try LearnerCheckpointState.read(data), data.count)
        }

        var logBytes: Int { log.lines.reduce(0) { $0 + $1.utf8.count + 1 } }
    }

    /// `finished`, when given, is the flag the hostile peer raises once the learner has heard it all:
    /// the run (of a large `timesteps`) is then stopped.
    private func run(
        timesteps: Int = 2_048, overrides: [String] = [], finished: FailureBox? = nil,
        hostile: @escaping @Sendable (Context, RunConfig) throws -> Void
    ) throws -> Run {
        let config = try FrameFaults.cartPoleConfig(["num_actors=2", "total_timesteps=\(timesteps)"] + overrides)
        let directory = try RunDirectory(creating: try FrameFaults.ipcDirectory(self).appendingPathComponent("run").path)
        let context = try Context()
        let log = FrameFaults.Log()
        let training = try InProcessTraining(
            config: config, context: context, directory: directory, stallTimeout: .seconds(60), log: log.logger,
            stopRequested: { finished?.value != nil })
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        let thread = Thread {
            defer { done.signal() }
            do { try hostile(context, config) } catch ZMQError.terminated {} catch { failure.set("\(error)") }
        }
        thread.start()
        let summary = try training.run()
        done.wait()
        if let error = failure.value { XCTFail("the hostile peer failed: \(error)") }
        return Run(training: training, summary: summary, directory: directory, log: log)
    }

    private final class FailureBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: String?
        func set(_ value: String) { lock.withLock { stored = stored ?? value } }
        var value: String? { lock.withLock { stored } }
    }

    /// Waits until the learner has published `version` (a SUB of the weights channel), or `timeout`.
    private static func waitForVersion(_ version: UInt64, context: Context, config: RunConfig, timeout: Duration = .seconds(60)) throws {
        let socket = try Socket(context, .sub, linger: .zero)
        try socket.subscribe()
        try socket.connect(config.endpoints.weights)
        var poller = Poller()
        let index = poller.add(socket)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard try poller.poll(timeout: .milliseconds(100))[index].contains(.readable) else { continue }
            if let frame = try? Frame(decoding: try socket.receive()), case .weights(let w) = frame.payload, w.version >= version {
                return
            }
        }
    }

    /// Sends `frames` to the batch channel from a connection of their own, kept open (what it
    /// holds is delivered) until the run ends.
    @discardableResult
    private static func push(_ context: Context, _ config: RunConfig, _ frames: [[UInt8]]) throws -> Socket {
        let socket = try Socket(context, .push, linger: .zero)
        try socket.connect(config.endpoints.batches)
        for frame in frames { try socket.send(frame) }
        return socket
    }

    /// Blocks until the run ends (its context is shut down).
    private static func waitForTheEnd(_ context: Context) {
        guard let idle = try? Socket(context, .pull, linger: .zero) else { return }
        _ = try? idle.receive()
    }

    // MARK: - Lock-out

    func testAForgedFarFutureFrameDoesNotLockTheActorOutNorReachTheCheckpoint() throws {
        let result = try run { context, config in
            // One frame before any real batch, one mid-run: actor-0, incarnation and sequence near 2^64.
            let forged = FrameFaults.cartPoleBatch(sender: "actor-0", incarnation: .max - 1, sequence: .max - 1).encoded()
            let first = try Self.push(context, config, [forged])
            try Self.waitForVersion(1, context: context, config: config)
            let second = try Self.push(context, config, [forged])
            withExtendedLifetime((first, second)) { Self.waitForTheEnd(context) }
        }
        let summary = result.summary
        XCTAssertEqual(summary.policyVersion, 4, "the run finished: actor-0 kept training")
        XCTAssertEqual(summary.rejected[BatchRejection.Reason.wrongIncarnation.rawValue], 2, "\(summary.rejected)")
        XCTAssertNil(summary.rejected[BatchRejection.Reason.replayed.rawValue], "no honest batch taken for a replay")
        let (state, _) = try result.checkpointState()
        let taken = try XCTUnwrap(state.lastTaken["actor-0"])
        XCTAssertEqual(taken.incarnation, 1, "the checkpoint holds what honest traffic made")
        XCTAssertLessThan(taken.sequence, 1_000)
        FaultReport.figure(
            "18. lock-out frame", mustHold: "a forged far-future frame neither locks the actor out nor reaches a checkpoint",
            "2 frames as actor-0 with incarnation and sequence 2^64-2 (insecure): wrong_incarnation 2; the run "
                + "finished at v\(summary.policyVersion ?? 0) with actor-0's \(result.training.learner.roster.records["actor-0"]?.batchesAccepted ?? 0) "
                + "batches taken; the checkpoint's actor-0 last taken: incarnation \(taken.incarnation) sequence \(taken.sequence)")
    }

    func testFutureVersionFramesFromAnImpostorDoNotQuarantineTheActor() throws {
        let result = try run { context, config in
            try Self.waitForVersion(1, context: context, config: config)
            let frames = (0..<100).map { i in
                FrameFaults.cartPoleBatch(sender: "actor-0", incarnation: 424_242, sequence: UInt64(i), policyVersion: 1_000_000)
                    .encoded()
            }
            let socket = try Self.push(context, config, frames)
            withExtendedLifetime(socket) { Self.waitForTheEnd(context) }
        }
        let learner = result.training.learner
        XCTAssertFalse(learner.roster.isQuarantined("actor-0"))
        XCTAssertEqual(learner.counters.misbehaviour["actor-0"] ?? 0, 0, "none pinned on actor-0")
        XCTAssertEqual(result.summary.rejected[BatchRejection.Reason.wrongIncarnation.rawValue], 100)
        XCTAssertEqual(result.summary.policyVersion, 4)
        FaultReport.figure(
            "18. impostor quarantine", mustHold: "frames without the actor's incarnation never count toward its quarantine",
            "100 future-version frames as actor-0 (quarantine_after 100): wrong_incarnation 100, actor-0 misbehaviour 0, "
                + "not quarantined; run finished at v\(result.summary.policyVersion ?? 0)")
    }

    // MARK: - Ids

    func testNULAndLongIDsAreRefusedAndStateJSONStaysSmall() throws {
        var nul = FrameFaults.cartPoleBatch(sender: "actor-0XXXXX", incarnation: 1, sequence: 1 << 30).encoded()
        let marker = Array("actor-0XXXXX".utf8)
        let at = try XCTUnwrap((0...(nul.count - marker.count)).first { Array(nul[$0..<($0 + marker.count)]) == marker })
        nul.replaceSubrange(at..<(at + marker.count), with: Array("actor-0".utf8) + [0] + Array("evil".utf8))
        var frames = [nul, FrameFaults.cartPoleBatch(sender: String(repeating: "a", count: 256 << 10), steps: 1, envs: 1).encoded()]
        // 256 distinct 256 KiB ids, and 256 distinct ids of 64 bytes (the longest allowed).
        for i in 0..<256 {
            let suffix = String(format: "%03d", i)
            frames.append(
                FrameFaults.cartPoleBatch(sender: String(repeating: "x", count: 256 << 10) + suffix, steps: 1, envs: 1).encoded())
            frames.append(
                FrameFaults.cartPoleBatch(sender: String(repeating: "y", count: 61) + suffix, steps: 1, envs: 1).encoded())
        }
        let hostile = frames
        let result = try run(overrides: ["checkpoint_every=1"]) { context, config in
            let socket = try Self.push(context, config, hostile)
            withExtendedLifetime(socket) { Self.waitForTheEnd(context) }
        }
        let summary = result.summary
        XCTAssertEqual(summary.rejected[WireError.Reason.badSenderID.rawValue], 258, "\(summary.rejected)")
        XCTAssertEqual(summary.rejected[BatchRejection.Reason.unknownSender.rawValue], 256)
        let (state, bytes) = try result.checkpointState()
        XCTAssertNil(state.rejectedBySender["actor-0"], "actor-0\\0evil is not actor-0")
        XCTAssertLessThanOrEqual(state.rejectedBySender.count, 2 + PeerEventLimiter.maxOtherSenders + 2)
        XCTAssertLessThan(bytes, 16 << 10, "state.json stays small")
        XCTAssertEqual(summary.policyVersion, 4)
        FaultReport.figure(
            "18. sender ids", mustHold: "ids are exact bytes, at most 64 printable ASCII; state.json bounded",
            "actor-0\\0evil and 257 ids of 256 KiB: bad_sender_id 258 (none counted as actor-0); 256 made-up 64-byte ids: "
                + "unknown_sender 256, kept by id for \(PeerEventLimiter.maxOtherSenders), the rest as other; "
                + "state.json \(bytes) bytes (\(state.rejectedBySender.count) senders)")
    }

    // MARK: - Logs

    func testLogBytesPerHostileFrameAreBoundedAndNoLineIsForged() throws {
        let hellos = 20, shutdowns = 20_000
        let finished = FailureBox()
        let result = try run(timesteps: 1 << 22, finished: finished) { context, config in
            try Self.waitForVersion(1, context: context, config: config)
            let control = try Socket(context, .dealer, linger: .milliseconds(500))
            try control.connect(config.endpoints.control)
            var sequence: UInt64 = 0
            func send(_ id: String, _ payload: Payload, incarnation: UInt64 = 99) throws {
                sequence += 1
                try control.send(
                    Frame(envelope: Envelope(senderID: id, incarnation: incarnation, sequence: sequence), payload: payload)
                        .encoded())
            }
            // 1 MiB of frame in all: the control channel's message size limit.
            let bigHost = String(repeating: "h", count: (1 << 20) - 64)
            for i in 0..<hellos {
                try send("actor-0", .hello(Hello(specHash: [], numEnvs: 0, host: bigHost, pid: 1)), incarnation: 100 + UInt64(i))
            }
            try send("actor-1", .hello(Hello(specHash: [], numEnvs: 0, host: "x\nlearner: forged line", pid: 1)), incarnation: 1)
            let socket = try Self.push(
                context, config, [FrameFaults.cartPoleBatch(sender: "actor-0\nlearner: forged line", steps: 1, envs: 1).encoded()])
            for _ in 0..<shutdowns { try send("s", .shutdown(Shutdown(reason: ""))) }
            // Everything heard (the control channel is read whole each turn of the loop), then stop.
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let status = try FrameFaults.status(context: context, controlEndpoint: config.endpoints.control)
                if let status, status.rejected[WireError.Reason.badSenderID.rawValue] == 1,
                    status.rejected[WireError.Reason.outOfRange.rawValue] == hellos
                {
                    try Self.waitForVersion(status.policyVersion + 1, context: context, config: config)
                    break
                }
            }
            finished.set("done")
            withExtendedLifetime((socket, control)) { Self.waitForTheEnd(context) }
        }
        let lines = result.log.lines
        XCTAssertFalse(lines.contains { $0.contains("\n") || $0.unicodeScalars.contains { $0.value < 0x20 } }, "one line each")
        XCTAssertFalse(lines.contains { $0.hasPrefix("learner: forged") })
        let hostile = hellos + 2 + shutdowns
        let bytes = result.logBytes
        XCTAssertEqual(result.summary.rejected[WireError.Reason.outOfRange.rawValue], hellos, "the Hellos refused")
        XCTAssertEqual(result.summary.rejected[WireError.Reason.badSenderID.rawValue], 1, "the id with a newline")
        XCTAssertEqual(
            lines.filter { $0.contains("a shutdown message on the control channel") }.count, 5,
            "the 1st, 10th, ... 10,000th of 20,000")
        XCTAssertLessThan(bytes, 32 << 10, "\(lines.suffix(30))")
        XCTAssertEqual(result.summary.actors.started, 2, "a refused Hello and a repeated incarnation are no joins")
        FaultReport.figure(
            "18. log flood", mustHold: "peer text escaped and cut; peer events logged 1st, 10th, 100th, ...",
            "\(hellos) Hellos with a 1 MiB host, a newline in a host and in an id, \(FrameFaults.count(shutdowns)) Shutdown "
                + "frames: the whole run's log \(FrameFaults.count(bytes)) bytes in \(lines.count) lines "
                + "(\(String(format: "%.2f", Double(bytes) / Double(hostile))) bytes per hostile frame), no forged line, "
                + "actors started \(result.summary.actors.started)")
    }

    // MARK: - Stale flood

    func testHonestThroughputDuringAFourConnectionStaleFrameFlood() throws {
        // Short runs on a shared 2-core machine are noisy: the default suite asks for a third (before
        // the header check it was 3%), the long form for the goal, a half.
        try staleFlood(timesteps: 4_096, minimumRatio: 1.0 / 3, test: "18. stale flood")
    }

    func testHonestThroughputDuringALongFourConnectionStaleFrameFlood() throws {
        try FaultReport.requireLongRuns()
        try staleFlood(timesteps: 32_768, minimumRatio: 0.5, test: "18. stale flood (long)")
    }

    private func staleFlood(timesteps: Int, minimumRatio: Double, test: String) throws {
        // 128 steps x 4,000 environments of CartPole: about 17.5 MB, made once and sent over and over.
        let big = FrameFaults.cartPoleBatch(sender: "actor-0", incarnation: 777, policyVersion: 0, steps: 128, envs: 4_000)
            .encoded()
        let before = try FrameFaults.Memory.of()
        let counter = SentCounter()
        let flood: @Sendable (Context, RunConfig) throws -> Void = { context, config in
            let done = DispatchGroup()
            // Plain threads: each ends when the context is shut down at the end of the run.
            for _ in 0..<4 {
                done.enter()
                Thread {
                    defer { done.leave() }
                    // Queue 1: the sender holds one frame; the learner's pipe holds its receive queue.
                    guard let socket = try? Socket(context, .push, linger: .zero),
                        (try? socket.set(.sendHighWaterMark, to: 1)) != nil,
                        (try? socket.connect(config.endpoints.batches)) != nil
                    else { return }
                    while (try? socket.send(big)) != nil { counter.add() }
                }.start()
            }
            done.wait()
        }
        // Clean, flooded, flooded, clean (a shared machine is noisy): steps over seconds of each kind.
        var cleanRuns: [RunSummary] = [], floodedRuns: [RunSummary] = []
        for flooded in [false, true, true, false] {
            let quiet: @Sendable (Context, RunConfig) throws -> Void = { _, _ in }
            let result = try run(timesteps: timesteps, hostile: flooded ? flood : quiet)
            if flooded { floodedRuns.append(result.summary) } else { cleanRuns.append(result.summary) }
        }
        func sps(_ runs: [RunSummary]) -> Double {
            Double(runs.reduce(0) { $0 + $1.envSteps }) / runs.reduce(0) { $0 + $1.wallSeconds }
        }
        let rejected = floodedRuns.reduce(into: [String: Int]()) { total, run in
            total.merge(run.rejected, uniquingKeysWith: +)
        }
        let after = try FrameFaults.Memory.of()
        let ratio = sps(floodedRuns) / sps(cleanRuns)
        let refused = rejected.values.reduce(0, +)
        XCTAssertTrue(floodedRuns.allSatisfy { $0.policyVersion == cleanRuns[0].policyVersion }, "every run finished")
        XCTAssertGreaterThanOrEqual(ratio, minimumRatio, "honest throughput against the unattacked figure")
        FaultReport.figure(
            test, mustHold: "a flood of large stale frames is refused from their headers; honest throughput >= 1/2 (long form)",
            "4 connections sending \(FrameFaults.mib(big.count)) MiB stale frames (\(FrameFaults.count(counter.value)) sent, "
                + "\(FrameFaults.count(refused)) refused: \(FrameFaults.reasons(rejected))), 2 runs of \(timesteps) steps: honest "
                + "\(String(format: "%.0f", sps(floodedRuns))) steps/s vs \(String(format: "%.0f", sps(cleanRuns))) "
                + "unattacked in 2 runs (\(String(format: "%.0f", ratio * 100))%); test process VmHWM \(FrameFaults.mib(before.hwm)) → "
                + "\(FrameFaults.mib(after.hwm)) MiB (senders' and learner's queues, one process)")
    }

    private final class SentCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }
}
