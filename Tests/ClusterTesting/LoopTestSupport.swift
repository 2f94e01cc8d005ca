import FleetCluster
import FleetConfig
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest

/// A short CartPole run config whose endpoints (named after `name`) no other test uses.
public func loopTestConfig(_ overrides: [String] = [], name: String = "loop-test-\(UUID().uuidString)") throws -> RunConfig {
    try RunConfig(
        file: nil,
        overrides: [
            "total_timesteps=2048", "num_envs=4", "num_steps=128", "update_epochs=1",
            "endpoints.batches=\"inproc://\(name)-batches\"", "endpoints.weights=\"inproc://\(name)-weights\"",
            "endpoints.control=\"inproc://\(name)-control\"",
        ] + overrides)
}

/// Collects log lines from several threads.
public final class LogLines: @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var stored: [String] = []
    public func append(_ line: String) { lock.withLock { stored.append(line) } }
    /// A logger whose lines (as the console shows them, `learner: ...`, `actor-0: ...`) land here.
    public var logger: Logger { Logger(label: "learner") { FleetLogHandler(label: $0, write: self.append) } }
    public var lines: [String] { lock.withLock { stored } }
}

/// A well-formed CartPole-shaped trajectory batch frame (T x N x 4) from `sender`.
public func cartPoleBatchFrame(
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
public func metricsLines(_ directory: RunDirectory) throws -> [[String: Any]] {
    let text = try String(contentsOf: directory.metricsFile, encoding: .utf8)
    return try text.split(separator: "\n").map {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}

/// A learner (its version) read by a stop condition.
private final class LearnerRef: @unchecked Sendable {
    weak var learner: LearnerLoop?
    var version: UInt64 { learner?.version ?? 0 }
}

/// Runs `config` in process in `directory` until the learner reaches `stopAt` (nil: the end);
/// returns the training, after its run, and its summary.
@discardableResult
public func runInProcess(
    _ config: RunConfig, in directory: RunDirectory, stopAt: UInt64? = nil, resume: Bool = false,
    log: LogLines = LogLines(), context: Context? = nil, before: (InProcessTraining) throws -> Void = { _ in }
) throws -> (InProcessTraining, RunSummary) {
    let ref = LearnerRef()
    let training = try InProcessTraining(
        config: config, context: try context ?? Context(), directory: directory, metrics: try MetricsLogger(directory: directory),
        stallTimeout: .seconds(30), log: log.logger, stopRequested: { stopAt.map { ref.version >= $0 } ?? false },
        resume: resume)
    ref.learner = training.learner
    try before(training)
    return (training, try training.run())
}

/// The consumed entries of the capture in `captures`, grouped by update (learner version), in order.
public func consumedUpdates(in captures: URL) throws -> [[CaptureEntry]] {
    let selection = try CaptureSelection([captures.path], kinds: [.consumed])
    let reader = CaptureReader(files: selection.files, mode: .strict)
    var updates: [[CaptureEntry]] = []
    var version: UInt64?
    while let located = try reader.next() {
        guard located.entry.kind == .consumed else { continue }
        if located.entry.learnerVersion != version {
            updates.append([])
            version = located.entry.learnerVersion
        }
        updates[updates.count - 1].append(located.entry)
    }
    return updates
}

extension Logger {
    /// A logger that says nothing.
    public static var silent: Logger { Logger(label: "silent") { _ in SwiftLogNoOpLogHandler() } }
}
