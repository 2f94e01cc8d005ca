import Logging

/// The control channel's log lines about peers: rate-limited per sender and event
/// (``PeerEventLimiter``: the 1st, 10th, 100th, ...) and with what the peer wrote escaped
/// (``PeerText``).
extension LearnerLoop {
    /// Says that `sender` started (a Hello with a new incarnation).
    func logJoin(of sender: String, host: String, pid: UInt32, incarnation: UInt64) {
        guard let count = peerEvents.count("joined", from: sender) else { return }
        let times = count > 1 ? " (\(count) starts so far)" : ""
        log.info("\(sender) joined from \(PeerText.escaped(host)) (pid \(pid), incarnation \(incarnation))\(times)")
    }
}
