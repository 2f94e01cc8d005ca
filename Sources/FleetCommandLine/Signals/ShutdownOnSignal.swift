import Dispatch
import FleetTransport
import Foundation

/// Shuts a ZeroMQ context down on SIGINT or SIGTERM, which ends every blocking call in it: how a
/// loop without a stop flag (an actor's) is stopped cleanly.
final class ShutdownOnSignal: @unchecked Sendable {
    private let signals = StopSignals()
    private let watcher: any DispatchSourceTimer

    /// Starts watching for SIGINT and SIGTERM; `context` is shut down when one arrives.
    init(_ context: Context) {
        let signals = self.signals
        watcher = DispatchSource.makeTimerSource(queue: .global())
        watcher.schedule(deadline: .now(), repeating: .milliseconds(50))
        watcher.setEventHandler {
            if signals.isRaised { context.shutdown() }
        }
        watcher.resume()
    }

    deinit { watcher.cancel() }

    /// Whether a stop signal has arrived.
    var isRaised: Bool { signals.isRaised }
}
