import FleetTransport
import FleetWire
import Foundation

/// The environment workers of one actor: started with their sockets in a private directory, each
/// with a contiguous slice of the copies, and asked for their specs; stopped (and the directory
/// removed) by ``close()`` or when the pool goes away.
final class EnvironmentWorkerPool {
    private(set) var workers: [EnvironmentWorker] = []
    /// The first copy of each worker.
    private(set) var offsets: [Int] = []
    /// Each worker's answer to the spec request.
    private(set) var specs: [EnvSpec] = []
    private let context: Context
    private let directory: URL

    /// Starts `min(workers, count)` workers of `envID` splitting `count` copies, and reads their specs.
    init(envID: String, kwargs: String, count: Int, workers workerCount: Int, python: String) throws {
        context = try Context()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fleet-env-\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            let workerCount = max(1, min(workerCount, count))
            for k in 0..<workerCount {
                let first = k * count / workerCount, end = (k + 1) * count / workerCount
                offsets.append(first)
                workers.append(
                    try EnvironmentWorker(
                        name: "env-worker-\(k)", python: python, envID: envID, kwargs: kwargs, count: end - first,
                        endpoint: "ipc://\(directory.path)/worker-\(k).sock", context: context))
            }
            for worker in workers { try worker.send(.envSpecRequest(EnvSpecRequest())) }
            for worker in workers {
                guard case .envSpec(let spec) = try worker.receive() else {
                    throw RemoteEnvironmentError(description: "\(worker.name) (\(envID)) did not answer with its spec")
                }
                guard Int(spec.numEnvs) == worker.count else {
                    throw RemoteEnvironmentError(
                        description: "\(worker.name) (\(envID)) steps \(spec.numEnvs) copies, asked for \(worker.count)")
                }
                specs.append(spec)
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Stops every worker and removes the sockets' directory.
    func close() {
        for worker in workers { worker.stop() }
        workers.removeAll()
        try? FileManager.default.removeItem(at: directory)
    }
}
