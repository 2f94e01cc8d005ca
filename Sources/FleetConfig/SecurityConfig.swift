/// How the channels are secured (`insecure` and the `curve.*` keys): CURVE key files and the
/// actors' allow-list for tcp endpoints. What each role must set is checked where it opens its
/// sockets (``RunConfig/learnerSecurity()``, ``RunConfig/actorSecurity(actorID:)``).
public struct SecurityConfig: Hashable, Sendable {
    /// Lets tcp endpoints run without CURVE and ipc sockets live in directories others may enter,
    /// with a warning at every start.
    public var insecure: Bool
    /// The learner's key pair file (`fleet keygen --name learner` writes `learner.key`).
    public var learnerSecretKeyFile: String?
    /// The learner's public key file (`learner.pub`), with which actors check the learner.
    public var learnerPublicKeyFile: String?
    /// The actors' key pair files, `{actor_id}` standing for the actor's id (``actorSecretKeyFile(for:)``).
    public var actorSecretKeyFile: String?
    /// The allow-list of actor ids and public keys the learner admits (``ActorAllowList``).
    public var authorizedActors: String?

    /// What stands for the actor's id in ``actorSecretKeyFile``.
    public static let actorIDPlaceholder = "{actor_id}"

    /// Reads `insecure` and the `curve.*` keys of a resolved config; nothing is checked here.
    public init(_ config: ResolvedConfig) {
        insecure = config.bool("insecure")
        learnerSecretKeyFile = config.optionalString("curve.learner_secret_key_file")
        learnerPublicKeyFile = config.optionalString("curve.learner_public_key_file")
        actorSecretKeyFile = config.optionalString("curve.actor_secret_key_file")
        authorizedActors = config.optionalString("curve.authorized_actors")
    }

    /// Actor `actorID`'s key pair file: ``actorSecretKeyFile`` with `{actor_id}` replaced.
    public func actorSecretKeyFile(for actorID: String) -> String? {
        actorSecretKeyFile?.replacingOccurrences(of: Self.actorIDPlaceholder, with: actorID)
    }
}
