import FleetTransport
import FleetWire
import Foundation

/// Why a served environment could not be used.
public struct RemoteEnvironmentError: Error, CustomStringConvertible {
    /// What went wrong, naming the worker and the environment.
    public var description: String
}

/// One environment worker: a `python -m fleet_env serve` process that steps `count` copies of an
/// environment, and the REQ socket the actor asks it through (one answer per request, within
/// ``answerTimeout``). The process is watched while an answer is awaited: a worker that exits or
/// answers `Shutdown` stops the actor with its reason.
final class EnvironmentWorker {
    /// How long a worker may take to answer one request (importing Gymnasium and a physics engine
    /// included), after which the actor gives up.
    static let answerTimeout: Duration = .seconds(60)

    let name: String
    let envID: String
    let count: Int
    private let process: SupervisedProcess
    private let socket: Socket
    private var poller = Poller()
    private var sequence: UInt64 = 0
    /// Whether it has answered anything yet (a worker that never does was likely never able to start).
    private var answered = false

    /// Starts a worker serving `count` copies of `envID` (constructor arguments `kwargs`, a JSON
    /// object) with `python` on `endpoint`, and connects to it.
    init(
        name: String, python: String, envID: String, kwargs: String, count: Int, endpoint: String, context: Context
    ) throws {
        self.name = name
        self.envID = envID
        self.count = count
        process = try SupervisedProcess(
            name: name, executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: [
                python, "-m", "fleet_env", "serve", "--endpoint", endpoint, "--env-id", envID, "--num-envs", "\(count)",
                "--env-kwargs", kwargs, "--worker-id", name, "--parent-pid", "\(getpid())",
            ])
        socket = try Socket(context, .req, linger: .zero)
        try socket.connect(endpoint)
        _ = poller.add(socket)
    }

    /// Sends `payload` (an environment request); ``receive()`` takes the answer.
    func send(_ payload: Payload) throws {
        let envelope = Envelope(senderID: "fleet-actor-\(getpid())", incarnation: 1, sequence: sequence)
        sequence += 1
        try socket.send(Frame(envelope: envelope, payload: payload).encoded())
    }

    /// The answer to the last request; throws when the worker says Shutdown, exits, or is silent
    /// for ``answerTimeout``.
    func receive() throws -> Payload {
        let start = ContinuousClock.now
        while true {
            let ready = try poller.poll(timeout: .milliseconds(100))
            if ready[0].contains(.readable) {
                let bytes = try socket.receive()
                let frame: Frame
                do {
                    frame = try Frame(decoding: bytes)
                } catch {
                    throw RemoteEnvironmentError(description: "\(name) (\(envID)) answered a frame Fleet refuses: \(error)")
                }
                answered = true
                if case .shutdown(let shutdown) = frame.payload {
                    throw RemoteEnvironmentError(description: "\(name) (\(envID)) stopped: \(shutdown.reason)")
                }
                return frame.payload
            }
            if !process.isRunning {
                let hint = answered ? "" : "; is fleet_env installed in that Python (pip install ./python)?"
                throw RemoteEnvironmentError(
                    description: "\(name) (\(envID)) exited (\(process.ending ?? "ended")) without answering\(hint)")
            }
            if ContinuousClock.now - start > Self.answerTimeout {
                throw RemoteEnvironmentError(
                    description: "\(name) (\(envID)) did not answer within \(Self.answerTimeout)")
            }
        }
    }

    /// Asks the worker to stop, then makes sure it has.
    func stop() {
        if process.isRunning {
            try? send(.shutdown(Shutdown(reason: "the actor stops")))
            if !process.wait(seconds: 2) { process.stop(grace: 1) }
        }
    }
}
