#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One connection to the metrics endpoint, driven by the server's poll loop and never waited on:
/// it reads the request's head (at most ``MetricsServer/maxRequestBytes``) until its deadline,
/// writes the answer until a fresh deadline, and, after a request it did not read to the end,
/// reads briefly what the client still sends so that closing does not reset the connection before
/// the client has read the answer. It closes its socket when it goes.
final class MetricsConnection {
    /// Where the connection stands.
    enum Phase: Equatable {
        /// Waiting for the rest of the request's head.
        case reading
        /// Writing the answer.
        case writing
        /// The answer written; reading (and dropping) what the client still sends.
        case draining
        /// Done: to be closed.
        case done
    }

    /// How it ended, for the server's tally.
    enum Ending: Equatable {
        case answered, timedOut, clientLeft
    }

    let fd: Int32
    /// When it was accepted: the oldest connections still reading go first when there are too many.
    let accepted: ContinuousClock.Instant
    private(set) var phase = Phase.reading
    /// When its current phase must be over.
    private(set) var deadline: ContinuousClock.Instant
    private(set) var ending: Ending?
    private var request: [UInt8] = []
    private var answer: [UInt8] = []
    private var sent = 0
    private var drainAfterWriting = false
    private var drained = 0
    private let timeout: Duration

    /// Bytes read at most after an answer to a request cut short, and for how long.
    static let drainBytes = 64 * 1024
    static let drainTime = Duration.milliseconds(250)

    init(fd: Int32, at now: ContinuousClock.Instant, timeout: Duration) {
        self.fd = fd
        accepted = now
        self.timeout = timeout
        deadline = now + timeout
    }

    deinit { MetricsSocketCalls.closeSocket(fd) }

    /// The poll events it waits for.
    var events: Int16 { phase == .writing ? Int16(POLLOUT) : Int16(POLLIN) }

    /// Ends it when its phase's deadline has passed; returns whether it did.
    func expire(at now: ContinuousClock.Instant) -> Bool {
        guard phase != .done, now >= deadline else { return false }
        // A drain that ran out of time still answered.
        end(phase == .draining ? .answered : .timedOut)
        return true
    }

    /// Goes as far as the socket lets it now; `body` is the text a `GET /metrics` is answered with.
    func advance(at now: ContinuousClock.Instant, body: () -> String) {
        if phase == .reading { read(at: now, body: body) }
        if phase == .writing { write(at: now) }
        if phase == .draining { drain() }
    }

    private func read(at now: ContinuousClock.Instant, body: () -> String) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while request.count < MetricsServer.maxRequestBytes {
            let room = min(buffer.count, MetricsServer.maxRequestBytes - request.count)
            switch buffer.withUnsafeMutableBytes({
                MetricsSocketCalls.receive(fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<room]))
            }) {
            case .wouldBlock: return
            case .closed: return end(.clientLeft)
            case .bytes(let count):
                request += buffer[0..<count]
                if MetricsHTTP.headIsComplete(request, newBytes: count) {
                    return startWriting(MetricsHTTP.answer(to: request, body: body), thenDrain: false, at: now)
                }
            }
        }
        startWriting(MetricsHTTP.tooLarge, thenDrain: true, at: now)
    }

    private func startWriting(_ bytes: [UInt8], thenDrain: Bool, at now: ContinuousClock.Instant) {
        request = []
        answer = bytes
        drainAfterWriting = thenDrain
        phase = .writing
        deadline = now + timeout
    }

    private func write(at now: ContinuousClock.Instant) {
        while sent < answer.count {
            let moved = answer.withUnsafeBytes {
                MetricsSocketCalls.transmit(fd, UnsafeRawBufferPointer(rebasing: $0[sent...]))
            }
            switch moved {
            case .wouldBlock: return
            case .closed: return end(.clientLeft)
            case .bytes(let count): sent += count
            }
        }
        answer = []
        MetricsSocketCalls.shutdownWrite(fd)
        guard drainAfterWriting else { return end(.answered) }
        phase = .draining
        deadline = min(deadline, now + Self.drainTime)
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while drained < Self.drainBytes {
            switch buffer.withUnsafeMutableBytes({ MetricsSocketCalls.receive(fd, into: $0) }) {
            case .wouldBlock: return
            case .closed: return end(.answered)
            case .bytes(let count): drained += count
            }
        }
        end(.answered)
    }

    private func end(_ how: Ending) {
        phase = .done
        ending = how
    }
}
