import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into a flag a long-running loop polls, so that it can stop cleanly
/// (tell its peers, write its summary) instead of dying mid-write.
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32?
    private var sources: [any DispatchSourceSignal] = []

    /// Starts catching SIGINT and SIGTERM; a second signal after the first ends the process at once.
    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                if self.isRaised {
                    signal(number, SIG_DFL)
                    raise(number)
                }
                self.lock.withLock { self.first = self.first ?? number }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a stop signal has arrived.
    var isRaised: Bool { lock.withLock { first != nil } }

    /// Whether the first stop signal was SIGTERM: a scheduler stopping the process (Slurm's
    /// scancel and requeue, a Kubernetes eviction), not a user's Ctrl-C.
    var isTermination: Bool { lock.withLock { first == SIGTERM } }
}
