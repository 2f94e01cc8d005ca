import FleetTransport
import FleetWire
import Foundation
import Logging

/// A reward function served by `python -m fleet_env reward`: a server this process starts (the
/// function named `module:function`) or one already running at an endpoint (another host's), and
/// the DEALER socket that asks it.
///
/// ``score(_:)`` sends one `RewardRequest` and waits for its `RewardReply` at most the server's
/// per-call timeout plus a margin (``Settings/replyMargin``): the rewards, or a
/// ``RemoteRewardFailure``. A failure costs that call only. Replies are matched to requests by the
/// request's envelope sequence: a late reply to a request given up on is dropped (and counted).
/// When the server it started has exited or stopped answering, the next call first restarts it
/// (a new server, a new socket), at most ``Settings/maxRestarts`` times in a client's life; a
/// server at an endpoint is left to ZeroMQ, which reconnects to it when it is back. It belongs to
/// one thread.
package final class RemoteReward {
    /// Where the function is and how calls to it are bounded.
    package struct Settings: Sendable {
        /// `module:function` or `path/to/file.py:function`: start a server for it. nil: connect to `endpoint`.
        package var function: String?
        /// A running server's endpoint, used when `function` is nil.
        package var endpoint: String?
        /// Worker processes of a started server.
        package var workers: Int
        /// How long one call may run on the server before it fails as `timeout`.
        package var timeout: Duration
        /// The Python with fleet_env installed that runs a started server.
        package var python: String
        /// Restarts of a started server over the client's life; past them every call fails as `server_gone`.
        package var maxRestarts: Int
        /// How long a server may take to answer the first ping (its workers import the function).
        package var startTimeout: Duration
        /// How much longer than `timeout` the client waits for a reply before it gives up on the server.
        package var replyMargin: Duration

        /// Settings for a server started with `function`, or one at `endpoint` when `function` is nil.
        package init(
            function: String?, endpoint: String? = nil, workers: Int = 2, timeout: Duration = .seconds(30),
            python: String, maxRestarts: Int = 3, startTimeout: Duration = .seconds(120),
            replyMargin: Duration = .seconds(5)
        ) {
            self.function = function
            self.endpoint = endpoint
            self.workers = workers
            self.timeout = timeout
            self.python = python
            self.maxRestarts = maxRestarts
            self.startTimeout = startTimeout
            self.replyMargin = replyMargin
        }
    }

    /// The envelope sender of requests.
    package static let senderID = "learner-reward"

    package let settings: Settings
    /// Calls made, and failed calls by reason.
    package private(set) var calls = 0
    package private(set) var failures: [String: Int] = [:]
    /// Times a started server was restarted.
    package private(set) var restarts = 0
    /// Replies dropped because they answered an earlier request (one the client gave up on).
    package private(set) var staleReplies = 0
    /// Seconds spent in calls.
    package private(set) var seconds = 0.0
    /// What the function, or the endpoint, is called in messages.
    package var name: String { settings.function ?? settings.endpoint ?? "?" }

    private let context: Context
    private let log: Logger
    private var server: RewardServerProcess?
    private var socket: Socket?
    private var poller = Poller()
    private var sequence: UInt64 = 0
    private let incarnation = UInt64(Date().timeIntervalSince1970 * 1000)
    /// Whether the next call must recover first (no reply came, or the server exited).
    private var needsRecovery = false

    /// Starts the server (or connects to the endpoint) and waits for its answer to a ping: throws
    /// ``RemoteRewardFailure`` when it does not come within `startTimeout`, or the server exits
    /// first (a function that cannot be imported: the server says why on stderr).
    package init(settings: Settings, log: Logger = Logger(label: "reward")) throws {
        precondition(settings.function != nil || settings.endpoint != nil, "a reward function or an endpoint")
        self.settings = settings
        self.log = log
        context = try Context()
        try connect()
        if case .failure(let failure) = call([], within: settings.startTimeout) { throw failure }
    }

    deinit { close() }

    /// Stops a started server.
    package func close() {
        socket = nil
        server?.stop()
        server = nil
    }

    /// The reward of each item, in order, or why there are none.
    /// `whileWaiting` runs every 50 ms of waiting for the reply (the learner serves its control
    /// channel there, so that its actors' heartbeats are heard during a slow call).
    package func score(_ items: [RewardItem], whileWaiting: () -> Void = {}) -> Result<[Double], RemoteRewardFailure> {
        calls += 1
        let start = ContinuousClock.now
        defer { seconds += (ContinuousClock.now - start).seconds }
        var result: Result<[Double], RemoteRewardFailure>
        if needsRecovery, let failure = recover() {
            result = .failure(failure)
        } else {
            result = call(items, within: settings.timeout + settings.replyMargin, whileWaiting: whileWaiting)
        }
        if case .success(let rewards) = result, rewards.count != items.count {
            result = .failure(
                RemoteRewardFailure(.badResult, "the server answered \(rewards.count) rewards for \(items.count) items"))
        }
        if case .failure(let failure) = result { failures[failure.reason.rawValue, default: 0] += 1 }
        return result
    }

    // MARK: - Calls

    /// Sends `items` and waits for the reply to them at most `patience`.
    private func call(
        _ items: [RewardItem], within patience: Duration, whileWaiting: () -> Void = {}
    ) -> Result<[Double], RemoteRewardFailure> {
        let deadline = ContinuousClock.now + patience
        guard let socket else { return .failure(RemoteRewardFailure(.serverGone, "no connection to \(name)")) }
        sequence += 1
        let envelope = Envelope(senderID: Self.senderID, incarnation: incarnation, sequence: sequence)
        do {
            try socket.send(Frame(envelope: envelope, payload: .rewardRequest(RewardRequest(items: items))).encoded())
        } catch {
            needsRecovery = true
            return .failure(RemoteRewardFailure(.serverGone, "cannot send to \(name): \(error)"))
        }
        while true {
            let ready: [PollEvents]
            do {
                ready = try poller.poll(timeout: .milliseconds(50))
            } catch {
                needsRecovery = true
                return .failure(RemoteRewardFailure(.serverGone, "cannot poll \(name): \(error)"))
            }
            if ready[0].contains(.readable), let outcome = receiveReply() { return outcome }
            if !ready[0].contains(.readable) { whileWaiting() }
            if let server, !server.isRunning {
                needsRecovery = true
                return .failure(
                    RemoteRewardFailure(.serverGone, "the reward server exited (\(server.ending ?? "ended")) without answering"))
            }
            if ContinuousClock.now >= deadline {
                needsRecovery = true
                return .failure(
                    RemoteRewardFailure(
                        .timeout, "no reply from \(name) within \(patience): the server is unresponsive"))
            }
        }
    }

    /// Reads the replies waiting; the outcome of the one to the current request, if it came. A
    /// reply to an earlier request is dropped (and counted).
    private func receiveReply() -> Result<[Double], RemoteRewardFailure>? {
        guard let socket else { return nil }
        while true {
            let parts: [[UInt8]]
            do {
                parts = try socket.receiveMultipart(flags: .dontWait)
            } catch {
                return nil  // nothing more waits (or the socket failed: the deadline or the process check will say)
            }
            guard let bytes = parts.last else { continue }
            let frame: Frame
            do {
                frame = try Frame(decoding: bytes)
            } catch {
                needsRecovery = true
                return .failure(RemoteRewardFailure(.serverGone, "\(name) answered a frame Fleet refuses: \(error)"))
            }
            guard case .rewardReply(let reply) = frame.payload else { continue }
            guard reply.requestSequence == sequence else {
                staleReplies += 1
                continue
            }
            switch reply.outcome {
            case .rewards(let rewards): return .success(rewards)
            case .failure(let reason, let detail):
                return .failure(RemoteRewardFailure(RemoteRewardFailure.Reason(rawValue: reason), detail))
            }
        }
    }

    // MARK: - Connection

    /// The process id of the server this client started, while it has one.
    package var serverPID: Int32? { server?.pid }

    /// Starts the server if this client runs one, and connects a new socket to it.
    private func connect() throws {
        let endpoint: String
        if let function = settings.function {
            let started = try RewardServerProcess(
                python: settings.python, function: function, workers: settings.workers, timeout: settings.timeout,
                name: "reward-server")
            server = started
            endpoint = started.endpoint
        } else {
            endpoint = settings.endpoint!
        }
        let socket = try Socket(context, .dealer, linger: .zero)
        try socket.set(.maxMessageSize, to: Int64(DecodeLimits.default.maxFrameBytes))
        try socket.connect(endpoint)
        self.socket = socket
        poller = Poller()
        _ = poller.add(socket)
    }

    /// For a started server that exited or stopped answering, a new server (answering a ping) and
    /// a new socket, while restarts remain. nil when the call can go ahead; else why not.
    private func recover() -> RemoteRewardFailure? {
        if let server {
            socket = nil
            guard restarts < settings.maxRestarts else {
                return RemoteRewardFailure(
                    .serverGone, "the reward server was restarted \(restarts) times already (at most \(settings.maxRestarts))")
            }
            restarts += 1
            let ending = server.isRunning ? "it stopped answering" : "it exited (\(server.ending ?? "ended"))"
            log.warning("restarting the reward server of \(name) (\(restarts) of at most \(settings.maxRestarts)): \(ending)")
            server.stop()
            self.server = nil
        } else {
            needsRecovery = false
            return nil  // the same socket: ZeroMQ reconnects to the endpoint by itself
        }
        do {
            try connect()
        } catch {
            return RemoteRewardFailure(.serverGone, "cannot start the reward server again: \(error)")
        }
        if case .failure(let failure) = call([], within: settings.startTimeout) {
            needsRecovery = true
            return RemoteRewardFailure(.serverGone, "the restarted reward server did not answer: \(failure)")
        }
        needsRecovery = false
        return nil
    }
}
