/// How the channels are secured (`insecure` and the `curve.*` keys): CURVE key files and the
/// actors' allow-list for tcp endpoints. What each role must set is checked where it opens its
/// sockets (``RunConfig/learnerSecurity()``, ``RunConfig/actorSecurity(actorID:)``).
public struct SecurityConfig: Hashable, Sendable {
    /// Lets tcp endpoints run without CURVE and ipc sockets live in directories others may enter,
    /// with a warning at every start.
    public var insecure = false
    /// The learner's key pair file (`fleet keygen --name learner` writes `learner.key`).
    public var learnerSecretKeyFile: String? = nil
    /// The learner's public key file (`learner.pub`), with which actors check the learner.
    public var learnerPublicKeyFile: String? = nil
    /// The actors' key pair files, `{actor_id}` standing for the actor's id (``actorSecretKeyFile(for:)``).
    public var actorSecretKeyFile: String? = nil
    /// The allow-list of actor ids and public keys the learner admits (``ActorAllowList``).
    public var authorizedActors: String? = nil

    /// What stands for the actor's id in ``actorSecretKeyFile``.
    public static let actorIDPlaceholder = "{actor_id}"

    /// Every field at its default.
    public init() {}

    /// Actor `actorID`'s key pair file: ``actorSecretKeyFile`` with `{actor_id}` replaced.
    public func actorSecretKeyFile(for actorID: String) -> String? {
        actorSecretKeyFile?.replacingOccurrences(of: Self.actorIDPlaceholder, with: actorID)
    }
}
