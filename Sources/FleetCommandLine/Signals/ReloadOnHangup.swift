import Dispatch
import FleetCluster
import FleetTools
import Foundation

/// Makes SIGHUP reread the learner's allow-list at once (it is reread within a second of a change
/// anyway), as daemons reread their configuration.
final class ReloadOnHangup: @unchecked Sendable {
    private let source: any DispatchSourceSignal

    /// Starts catching SIGHUP for `allowList`.
    init(_ allowList: ActorAllowList) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { allowList.requestReload() }
        source.resume()
    }

    deinit { source.cancel() }
}
