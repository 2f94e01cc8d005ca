/// What a socket is ready for.
public struct PollEvents: OptionSet, Hashable, Sendable {
    /// The `events` / `revents` bits of a `zmq_pollitem_t`.
    public let rawValue: Int16
    /// Creates events from `zmq_pollitem_t` bits; prefer the static members.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// A message can be received without blocking (`ZMQ_POLLIN`).
    public static let readable = PollEvents(rawValue: Int16(_ZMQ_POLLIN))
    /// A message can be sent without blocking (`ZMQ_POLLOUT`).
    public static let writable = PollEvents(rawValue: Int16(_ZMQ_POLLOUT))
}

/// Waits on several sockets at once.
///
/// ```swift
/// var poller = Poller()
/// let batches = poller.add(pull)
/// let control = poller.add(router)
/// let ready = try poller.poll(timeout: .milliseconds(100))
/// if ready[batches].contains(.readable) { ... }
/// ```
public struct Poller {
    private var sockets: [Socket] = []
    private var items: [_ZMQPollItem] = []

    /// Creates a poller that watches no sockets yet.
    public init() {}

    /// Watches `socket` for `events` and returns its index in `poll`'s result.
    public mutating func add(_ socket: Socket, for events: PollEvents = .readable) -> Int {
        sockets.append(socket)
        items.append(_zmqPollItem(socket.handle, events.rawValue))
        return items.count - 1
    }

    /// Waits until at least one socket is ready or `timeout` passes (nil waits forever, zero
    /// only looks), and returns each socket's ready events, by index (empty when not ready).
    ///
    /// The corresponding C function is `zmq_poll`.
    public mutating func poll(timeout: Duration?) throws(ZMQError) -> [PollEvents] {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            let waitMS = deadline.map { Int(_milliseconds(max(.zero, $0 - ContinuousClock.now))) } ?? -1
            let result = items.withUnsafeMutableBufferPointer {
                _zmqPoll($0.baseAddress, CInt($0.count), waitMS)
            }
            if result >= 0 { return items.map { PollEvents(rawValue: $0.revents) } }
            let code = _zmqErrno()
            // Interrupted: poll again for what is left of the timeout.
            if code != ZMQError.interrupted.rawValue { throw _error(code, "zmq_poll") }
        }
    }
}

@available(*, unavailable, message: "a poller holds sockets, which belong to one thread at a time")
extension Poller: Sendable {}
