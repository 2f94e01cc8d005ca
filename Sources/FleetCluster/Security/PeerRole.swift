/// What a key on the allow-list may do (the third field of its line; none means `actor`).
public enum PeerRole: String, Hashable, Sendable, CaseIterable {
    /// An actor of the run: batches, weights, snapshots, Hello, heartbeats; status rate-limited.
    case actor
    /// `fleet status` and nothing else: admitted on the control socket only, and there served
    /// status alone.
    case `operator`
}
