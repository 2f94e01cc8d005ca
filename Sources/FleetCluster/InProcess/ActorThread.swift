import FleetConfig
import FleetTransport
import Foundation
import Logging

/// An ``ActorLoop`` running on its own `Thread` (blocking ZeroMQ calls stay off the cooperative
/// pool). The loop is built on that thread, so its sockets never change threads.
public final class ActorThread: Sendable {
    /// The actor's index; its id is `actor-<index>`.
    public let index: Int
    private let finished = DispatchSemaphore(value: 0)
    private let outcome = Outcome()

    /// Starts actor `index` of `config` in `context`, as incarnation `incarnation`; the error that
    /// stops it, if any, is also set in `failure` (unless one is there already).
    public convenience init(
        index: Int, config: RunConfig, context: Context, incarnation: UInt64 = 1, log: Logger, failure: Outcome? = nil
    ) {
        self.init(index: index, log: log, failure: failure) {
            let actor = try ActorLoop(index: index, config: config, context: context, incarnation: incarnation, log: log)
            try actor.run()
        }
    }

    /// Runs `body`, which builds and runs actor `index`, on a thread of its own.
    package init(index: Int, log: Logger, failure: Outcome? = nil, body: @escaping @Sendable () throws -> Void) {
        self.index = index
        let finished = self.finished, outcome = self.outcome
        let thread = Thread {
            do {
                try body()
            } catch {
                outcome.set(error)
                failure?.set(error)
                var log = log
                log[metadataKey: FleetLogHandler.actorIDKey] = "\(ActorLoop.id(index: index))"
                log.error("stopped: \(error)")
            }
            finished.signal()
        }
        thread.name = ActorLoop.id(index: index)
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits until the actor has stopped; returns the error that stopped it, if one did.
    @discardableResult
    public func join() -> (any Error)? {
        finished.wait()
        finished.signal()
        return outcome.error
    }

    /// An error an actor stopped with, written by its thread (the first one kept) and read by others.
    public final class Outcome: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: (any Error)?
        public init() {}
        func set(_ error: any Error) { lock.withLock { if stored == nil { stored = error } } }
        /// The error, once one was set.
        public var error: (any Error)? { lock.withLock { stored } }
    }
}
