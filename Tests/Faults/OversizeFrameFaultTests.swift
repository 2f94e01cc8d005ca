@testable import FleetCluster
import FleetConfig
import FleetProcessTesting
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// docs/reliability.md test 11: frames far over the learner's 64 MiB batch cap
/// (``ChannelLimits/maxBatchBytes``, `ZMQ_MAXMSGSIZE` on its PULL), and small frames whose
/// protobuf length prefixes claim up to 2 GB and beyond, sent to a `fleet learner` process
/// training CartPole with a `fleet actor` process over ipc. Must hold: the oversize ones are
/// dropped before buffering (libzmq reads the size in the frame header and drops the connection;
/// the learner never sees them), the learner's memory does not grow by their size, the small
/// ones are refused by the decoder without allocating what they claim, and training goes on.
///
/// The learner is a process of its own so that its VmRSS/VmHWM (`/proc/PID/status`) are its own:
/// the oversize messages are made here, from untouched anonymous memory, so they do not grow
/// this process either. (Over inproc, libzmq does not apply `ZMQ_MAXMSGSIZE`: there is no wire.)
final class OversizeFrameFaultTests: XCTestCase {
    func testOversizeFramesAreDroppedBeforeBufferingAndTheLearnerDoesNotGrow() throws {
        try oversize(megabytes: [65, 200], test: "11. oversize frames")
    }

    func testOversizeFramesUpTo2GiBAreDroppedBeforeBuffering() throws {
        try FaultReport.requireLongRuns()
        try oversize(megabytes: [65, 200, 1_024, 2_047], test: "11. oversize frames (long)")
    }

    /// Bytes in an anonymous private mapping, never written: they read as zeros from the
    /// shared zero page, so a message of them costs no resident memory.
    private final class UntouchedBytes: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let count: Int
        init(count: Int) throws {
            let base = mmap(nil, count, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let base, base != MAP_FAILED else { throw POSIXError(.ENOMEM) }
            self.base = base
            self.count = count
        }
        deinit { munmap(base, count) }
        var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    }

    private func oversize(megabytes: [Int], test: String) throws {
        let directory = try FrameFaults.ipcDirectory(self)
        let config = packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let endpoints = ["batches", "weights", "control"].flatMap {
            ["--set", "endpoints.\($0)=ipc://\(directory.path)/\($0)"]
        }
        let runDirectory = directory.appendingPathComponent("run")
        let learner = try ChildProcess(
            ["learner", config, "--run-dir", runDirectory.path, "--set", "total_timesteps=100000000"] + endpoints,
            outputDirectory: directory, name: "learner", test: self)
        let actor = try ChildProcess(
            ["actor", config, "--connect", "ipc://\(directory.path)", "--index", "0"], outputDirectory: directory,
            name: "actor", test: self)
        let context = try Context()
        defer { context.shutdown() }
        let control = "ipc://\(directory.path)/control"
        let pid = learner.process.processIdentifier

        /// Asks until `condition` holds (30 s at most).
        func waitForStatus(_ what: String, _ condition: (LearnerStatus) -> Bool) throws -> LearnerStatus {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if let status = try FrameFaults.status(context: context, controlEndpoint: control, timeout: .seconds(2)),
                    condition(status)
                {
                    return status
                }
                usleep(20_000)
            }
            XCTFail("\(what): not within 30 s; learner: \(learner.stderr)")
            throw XCTSkip("gave up")
        }

        // Training, warmed up.
        let warm = try waitForStatus("training") { $0.policyVersion >= 3 }
        let before = try FrameFaults.Memory.of(pid: pid)

        let sender = try Socket(context, .push, linger: .zero)
        try sender.connect("ipc://\(directory.path)/batches")
        var expected: [String: Int] = [:]
        var lines: [String] = []
        var previous = before
        var dropSeconds: [Double] = []
        for (index, size) in megabytes.enumerated() {
            // The oversize message, then a small one behind it on the same connection: when the
            // learner has counted the small one (an unknown sender), the big one has gone.
            let bytes = try UntouchedBytes(count: size << 20)
            let start = ContinuousClock.now
            try sender.send(try Message(noCopy: bytes.buffer, owner: bytes))
            let probe = "oversize-probe-\(index)"
            try sender.send(FrameFaults.cartPoleBatch(sender: probe, steps: 1, envs: 1).encoded())
            expected[BatchRejection.Reason.unknownSender.rawValue, default: 0] += 1
            _ = try waitForStatus("the probe behind \(size) MiB") { $0.rejectedBySender[probe] != nil }
            dropSeconds.append((ContinuousClock.now - start).seconds)
            let after = try FrameFaults.Memory.of(pid: pid)
            XCTAssertLessThan(after.hwm - previous.hwm, size << 20, "\(size) MiB: the learner's peak grew by its size")
            lines.append("\(size) MiB: VmHWM +\(FrameFaults.mib(after.hwm - previous.hwm)) MiB")
            previous = after
        }
        let afterOversize = previous

        // Small frames whose length prefixes claim up to 2 GB and beyond: the outer batch's, a
        // tensor's data, the sender id's.
        let small = FrameFaults.cartPoleBatch(sender: "claim-probe", steps: 1, envs: 1).encoded()
        let structure = try XCTUnwrap(FrameFaults.fields(small, in: 0..<small.count))
        let prefixed = structure.filter { $0.length != nil }
        let targets = [
            prefixed.max { $0.value.count < $1.value.count }!,  // trajectory_batch
            prefixed.first { $0.value.count == 16 }!,  // a tensor's 4 floats of data (observations)
            prefixed.min { $0.value.lowerBound < $1.value.lowerBound }!,  // the envelope
        ]
        var claims: [[UInt8]] = []
        for target in targets {
            for claim: UInt64 in [0x7FFF_FFFF, 1 << 31, 0xFFFF_FFFF, 1 << 63] {
                var bytes = small
                bytes.replaceSubrange(try XCTUnwrap(target.length), with: FrameFaults.encodeVarint(claim))
                claims.append(bytes)
            }
        }
        var claimVerdicts: [String: Int] = [:]
        for bytes in claims {
            let verdict = try XCTUnwrap(FrameFaults.ingressVerdict(bytes, actorIDs: ["actor-0"]))
            claimVerdicts[verdict, default: 0] += 1
            expected[verdict, default: 0] += 1
            try sender.send(bytes)
        }
        let claimed = try waitForStatus("the claims") { $0.rejected == expected }
        let afterClaims = try FrameFaults.Memory.of(pid: pid)
        XCTAssertLessThan(afterClaims.hwm - afterOversize.hwm, 16 << 20, "claims allocate nothing like what they claim")

        // Under the cap, a frame that would unpack to far more than itself: 30 MB of packed
        // varints, 30 million tensor dimensions, 240 MB as protobuf-c's uint64 array. It is
        // buffered (it is under the cap), then refused from its header, unpacked never.
        let dimensions = 30_000_000
        let tensor = [0x08, 0x01, 0x12] + FrameFaults.encodeVarint(UInt64(dimensions))
            + [UInt8](repeating: 0x01, count: dimensions)
        let batch = [0x22] + FrameFaults.encodeVarint(UInt64(tensor.count)) + tensor  // observations = 4
        let envelope: [UInt8] = [0x08, 0x01, 0x12, 0x09] + Array("amplifier".utf8) + [0x18, 0x01]
        let amplifier = [0x0A, UInt8(envelope.count)] + envelope
            + [0x12] + FrameFaults.encodeVarint(UInt64(batch.count)) + batch  // trajectory_batch = 2
        let amplifierVerdict = try XCTUnwrap(FrameFaults.ingressVerdict(amplifier, actorIDs: ["actor-0"]))
        // Its header names no actor of the run: refused before protobuf-c sees it. (The unpacking
        // budget that would refuse it otherwise: FleetWireTests' LimitsTests.)
        XCTAssertEqual(amplifierVerdict, BatchRejection.Reason.unknownSender.rawValue)
        expected[amplifierVerdict, default: 0] += 1
        try sender.send(amplifier)
        _ = try waitForStatus("the amplifier") { $0.rejected == expected }
        let afterAmplifier = try FrameFaults.Memory.of(pid: pid)
        XCTAssertLessThan(
            afterAmplifier.hwm - afterClaims.hwm, 3 * amplifier.count, "buffered and copied, not unpacked to 240 MB")

        // Training went on, with nothing else refused: the learner never saw an oversize frame.
        let last = try waitForStatus("training after") { $0.policyVersion >= claimed.policyVersion + 2 }
        XCTAssertEqual(last.rejected, expected)
        XCTAssertNil(last.rejected[WireError.Reason.frameTooLarge.rawValue])
        XCTAssertEqual(last.actors["actor-0"]?.state, "live")

        kill(pid, SIGINT)
        XCTAssertEqual(learner.wait(seconds: 30), 130, "interrupted cleanly; \(learner.stderr)")
        XCTAssertEqual(actor.wait(seconds: 15), 0, actor.stderr)
        let data = try Data(contentsOf: runDirectory.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["rejected"] as? [String: Int], expected)

        let total = megabytes.reduce(0, +)
        FaultReport.figure(
            test,
            mustHold: "oversize frames dropped before buffering; memory does not grow by the size; training continues",
            "\(megabytes.map { "\($0) MiB" }.joined(separator: ", ")) messages (\(FrameFaults.count(total)) MiB) to a "
                + "fleet learner over ipc (cap 64 MiB, ZMQ_MAXMSGSIZE): each dropped by libzmq at its header, the "
                + "learner saw none (0 frame_too_large; the probe behind each counted within "
                + "\(String(format: "%.2f", dropSeconds.max() ?? 0)) s); learner VmRSS \(FrameFaults.mib(before.rss)) → "
                + "\(FrameFaults.mib(afterOversize.rss)) MiB, VmHWM \(FrameFaults.mib(before.hwm)) → "
                + "\(FrameFaults.mib(afterOversize.hwm)) MiB (\(lines.joined(separator: ", "))); \(claims.count) frames of "
                + "\(small.count) bytes whose length prefixes claim 2 GB to 2^63: \(FrameFaults.reasons(claimVerdicts)), "
                + "VmHWM +\(FrameFaults.mib(afterClaims.hwm - afterOversize.hwm)) MiB; a \(FrameFaults.mib(amplifier.count)) "
                + "MiB frame of 30 M packed dimensions (240 MB unpacked): \(amplifierVerdict) before unpacking, VmHWM "
                + "+\(FrameFaults.mib(afterAmplifier.hwm - afterClaims.hwm)) MiB (the frame buffered, copied and refused); "
                + "training went on v\(warm.policyVersion) → v\(last.policyVersion), actor live, run interrupted cleanly")
    }
}
