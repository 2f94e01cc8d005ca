import FleetWire
import Foundation
import XCTest

@testable import FleetAlgorithms
@testable import FleetCluster
import FleetClusterTesting
import FleetConfig

/// V-trace's inputs and outputs on a real capture, for the independent numpy check.
///
/// `python/tests/data/appo-cartpole/captures` is a `fleet train --capture` run of
/// `cluster/cartpole-ppo.yaml` with V-trace, 2 actor threads and `max_policy_lag: 2` (`num_steps`
/// 16, 384 steps, 6 updates; the command is in the data's README). This test trains a learner of
/// the capture's config on the captured updates in order and, before each, records what V-trace
/// read (the critic's values, the current policy's log-ratios against the behaviour log-probs,
/// V of final and next observations) and what it gave (targets and advantages) in
/// `vtrace.json` beside it; `python/tests/test_vtrace.py` recomputes the targets from the capture's
/// rewards and episode ends with `bench/reference/vtrace.py` and compares. The file is compared
/// here exactly; `FLEET_REGENERATE_GOLDEN=1` rewrites it.
final class VTraceCaptureTargetsTests: XCTestCase {
    static let data = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("python/tests/data/appo-cartpole")

    /// One update's V-trace inputs and outputs, `[t * N + n]` over the update's batches side by side.
    struct Record: Codable, Equatable {
        var learnerVersion: UInt64
        var logRatios, values, finalValues, bootstrapValues, targets, advantages: [Float]
    }

    struct File: Codable, Equatable {
        var gamma, rhoClip, cClip, lambda: Double
        var updates: [Record]
    }

    func testTheCapturesTargetsAreTheCommittedOnes() throws {
        let captures = Self.data.appendingPathComponent("captures")
        let config = try RunConfig(file: captures.appendingPathComponent("config.yaml").path)
        XCTAssertEqual(config.ppo.advantageEstimator, .vtrace)
        XCTAssertFalse(config.ppo.normalizeObservations || config.ppo.normalizeRewards, "prepare() twice would count twice")
        let training = try RolloutTraining(config: config)
        let learner = try XCTUnwrap(training.learner as? PPOLearner)
        var records: [Record] = []
        var stale = 0
        for update in try consumedUpdates(in: captures) {
            let batches = try update.map { entry -> AdmittedBatch in
                let frame = try Frame(decoding: entry.frame)
                let content = try training.admit(frame, sender: frame.envelope.senderID).get()
                let version = frame.payload.batchPolicyVersion ?? 0
                if version < entry.learnerVersion { stale += 1 }
                return AdmittedBatch(
                    sender: frame.envelope.senderID, policyVersion: version, content: content,
                    frameBytes: entry.frame.count, arrival: .now)
            }
            let prepared = learner.prepare(batches.compactMap(\.rollout))
            records.append(
                Record(
                    learnerVersion: update[0].learnerVersion, logRatios: prepared.logRatios, values: prepared.values,
                    finalValues: prepared.finalValues, bootstrapValues: prepared.bootstrapValues, targets: prepared.returns,
                    advantages: prepared.advantages))
            _ = try training.update(batches, wallSeconds: 0)
        }
        XCTAssertEqual(records.count, 6)
        XCTAssertGreaterThan(stale, 0, "some captured batches are from an older policy")
        XCTAssertGreaterThan(records.flatMap(\.logRatios).map(abs).max()!, 1e-3, "pi differs from mu somewhere")

        let settings = config.ppoSettings
        let file = File(
            gamma: settings.gamma, rhoClip: settings.vtraceRhoClip, cClip: settings.vtraceCClip, lambda: settings.vtraceLambda,
            updates: records)
        let url = Self.data.appendingPathComponent("vtrace.json")
        if ProcessInfo.processInfo.environment["FLEET_REGENERATE_GOLDEN"] == "1" {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(file).write(to: url, options: .atomic)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        XCTAssertEqual(try decoder.decode(File.self, from: Data(contentsOf: url)), file)
    }
}
