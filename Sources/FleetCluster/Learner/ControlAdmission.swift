import FleetWire

/// What the control channel lets each peer have of the learner's time: status answers within a
/// budget per peer (``ChannelLimits/statusPerSecond``; an actor's key far less), served from a
/// document rebuilt at most every ``ChannelLimits/statusRefresh``, and, for an operator key,
/// status and nothing else.
package struct ControlAdmission {
    private var statusBudgets = PeerBudgets(perSecond: ChannelLimits.statusPerSecond)
    private var actorStatusBudgets = PeerBudgets(perSecond: ChannelLimits.actorStatusPerSecond, burst: 5)
    private var document: (frame: [UInt8], at: ContinuousClock.Instant)?

    package init() {}

    /// Why `frame` from `peer` (nil without CURVE) is refused before the control protocol sees it:
    /// an operator key's message other than a status request.
    package func roleRefusal(of frame: Frame, from peer: AuthenticatedPeer?) -> BatchRejection? {
        guard let peer, peer.role == .operator else { return nil }
        if case .statusRequest = frame.payload { return nil }
        return BatchRejection(
            .notPermitted, sender: peer.id,
            "a \(frame.kind.rawValue) from an operator key: it may ask for status and nothing else",
            sequence: frame.envelope.sequence)
    }

    /// Takes a status answer from the budget of `peer` (its id under CURVE; its connection, `route`,
    /// without); a rejection when the budget is spent.
    package mutating func admitStatus(
        from peer: AuthenticatedPeer?, sender: String, route: [UInt8], at now: ContinuousClock.Instant
    ) -> BatchRejection? {
        let admitted =
            if let peer, peer.role == .actor {
                actorStatusBudgets.take(peer.id, at: now)
            } else {
                statusBudgets.take(peer?.id ?? "route:" + hexDigits(route), at: now)
            }
        if admitted { return nil }
        let limit = peer?.role == .actor ? ChannelLimits.actorStatusPerSecond : ChannelLimits.statusPerSecond
        return BatchRejection(
            .rateLimited, sender: peer?.id ?? sender, "status requests past \(limit.formatted()) a second")
    }

    /// The status frame to send at `now`: the one made within ``ChannelLimits/statusRefresh``, or
    /// a new one from `make`.
    package mutating func statusFrame(at now: ContinuousClock.Instant, make: () -> [UInt8]?) -> [UInt8]? {
        if let document, now - document.at < ChannelLimits.statusRefresh { return document.frame }
        guard let frame = make() else { return nil }
        document = (frame, now)
        return frame
    }
}

extension Double {
    fileprivate func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}
