import Foundation

/// Answers the ZAP requests (ZeroMQ RFC 27) of one context on a thread of its own: every CURVE
/// server socket of the context asks it about each peer that connects, before the peer's first
/// message, and lets the peer in as the user id it returns (``Message/userID``).
///
/// CURVE alone authenticates only the server: any client with any key pair gets in. And a CURVE
/// server whose context has no ZAP handler admits every client (enforcing one needs libzmq's DRAFT
/// API), so the handler must be running before such a socket binds and until it is closed.
///
/// Its own thread, rather than the poll loop of the sockets it guards, so that a peer's handshake
/// never waits on that loop's work (a learner's update takes seconds), and so that it answers
/// before the loop starts and after it ends.
public final class ZAPHandler: Sendable {
    /// The endpoint RFC 27 fixes, `inproc://zeromq.zap.01`: one handler per context.
    public static let endpoint = "inproc://zeromq.zap.01"
    /// How soon the thread notices ``stop()``.
    public static let pollInterval: Duration = .milliseconds(100)

    private let state = _State()

    /// Binds the handler's REP socket in `context` (before returning) and answers each request
    /// with `authenticate`'s response, on a thread of its own, until ``stop()`` or until the
    /// context is shut down. `authenticate` runs on that thread.
    ///
    /// Throws `ZMQError.addressInUse` when the context still has another handler after `bindWait`
    /// (one that was just stopped lets go of the endpoint within ``pollInterval``).
    public init(
        context: Context, bindWait: Duration = .seconds(1),
        authenticate: @escaping @Sendable (ZAPRequest) -> ZAPResponse
    ) throws(ZMQError) {
        let state = self.state
        let bound = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { state.finished.signal() }
            let socket: Socket
            do {
                socket = try Socket(context, .rep, linger: .zero)
                try socket.set(.receiveTimeout, to: ZAPHandler.pollInterval)
                let deadline = ContinuousClock.now + bindWait
                while true {
                    do {
                        try socket.bind(ZAPHandler.endpoint)
                        break
                    } catch .addressInUse where ContinuousClock.now < deadline {
                        Thread.sleep(forTimeInterval: 0.01)
                    }
                }
            } catch {
                state.bindError = error as? ZMQError ?? .invalidArgument
                bound.signal()
                return
            }
            bound.signal()
            while !state.isStopRequested {
                let frames: [[UInt8]]
                do {
                    frames = try socket.receiveMultipart()
                } catch ZMQError.wouldBlock {
                    continue
                } catch {
                    return  // terminated: the context is shutting down
                }
                let reply: [[UInt8]]
                if let request = ZAPRequest(frames: frames) {
                    let response =
                        request.version == ZAPRequest.supportedVersion
                        ? authenticate(request) : .failure("ZAP version \(request.version) is not supported")
                    reply = response.replyFrames(to: request.requestID)
                } else {
                    reply = ZAPResponse.failure("malformed ZAP request").replyFrames(to: frames.count > 1 ? frames[1] : [])
                }
                state.countAnswer()
                do {
                    try socket.send(multipart: reply)
                } catch {
                    return
                }
            }
        }
        thread.name = "zap-handler"
        thread.start()
        bound.wait()
        if let error = state.bindError { throw error }
    }

    /// Requests answered so far (counted as each reply is sent).
    public var answered: Int { state.answered }

    /// Asks the thread to stop; it closes its socket within ``pollInterval``. Close the CURVE
    /// server sockets first: once the handler is gone, they admit any client.
    public func stop() { state.requestStop() }

    /// Stops the thread and waits until it has closed its socket.
    public func stopAndWait() {
        state.requestStop()
        state.finished.wait()
        state.finished.signal()
    }

    deinit { stop() }

    /// What the handler's thread and its owner share.
    final class _State: @unchecked Sendable {
        private let lock = NSLock()
        private var stopRequested = false
        private var answeredCount = 0
        private var storedBindError: ZMQError?
        let finished = DispatchSemaphore(value: 0)

        var isStopRequested: Bool { lock.withLock { stopRequested } }
        func requestStop() { lock.withLock { stopRequested = true } }
        var answered: Int { lock.withLock { answeredCount } }
        func countAnswer() { lock.withLock { answeredCount += 1 } }
        var bindError: ZMQError? {
            get { lock.withLock { storedBindError } }
            set { lock.withLock { storedBindError = newValue } }
        }
    }
}
