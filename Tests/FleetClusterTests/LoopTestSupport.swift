import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// A short CartPole run config whose endpoints (named after `name`) no other test uses.
func loopTestConfig(_ overrides: [String] = [], name: String = "loop-test-\(UUID().uuidString)") throws -> RunConfig {
    try RunConfig(
        file: nil,
        overrides: [
            "total_timesteps=2048", "num_envs=4", "num_steps=128", "update_epochs=1",
            "endpoints.batches=\"inproc://\(name)-batches\"", "endpoints.weights=\"inproc://\(name)-weights\"",
            "endpoints.control=\"inproc://\(name)-control\"",
        ] + overrides)
}

/// Collects log lines from several threads.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

/// A well-formed CartPole-shaped trajectory batch frame (T x N x 4) from `sender`.
func cartPoleBatchFrame(
    sender: String, sequence: UInt64 = 0, incarnation: UInt64 = 1, policyVersion: UInt64, steps: Int, envs: Int,
    action: Int64 = 0
) -> [UInt8] {
    let cells = steps * envs
    let batch = TrajectoryBatch(
        policyVersion: policyVersion, numSteps: UInt32(steps), numEnvs: UInt32(envs),
        observations: WireTensor(float32: [Float](repeating: 0.01, count: cells * 4), shape: [steps, envs, 4]),
        actions: WireTensor(int64: [Int64](repeating: action, count: cells), shape: [steps, envs]),
        rewards: WireTensor(float32: [Float](repeating: 1, count: cells), shape: [steps, envs]),
        terminated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [steps, envs]),
        truncated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [steps, envs]),
        behaviourLogProbs: WireTensor(float32: [Float](repeating: -0.69, count: cells), shape: [steps, envs]),
        nextObservations: WireTensor(float32: [Float](repeating: 0.01, count: envs * 4), shape: [envs, 4]))
    let envelope = Envelope(senderID: sender, incarnation: incarnation, sequence: sequence)
    return Frame(envelope: envelope, payload: .trajectoryBatch(batch)).encoded()
}

/// The JSON objects of a run's `metrics.jsonl`.
func metricsLines(_ directory: RunDirectory) throws -> [[String: Any]] {
    let text = try String(contentsOf: directory.metricsFile, encoding: .utf8)
    return try text.split(separator: "\n").map {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}
