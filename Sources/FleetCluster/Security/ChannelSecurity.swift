import FleetConfig
import FleetTransport
import Foundation

/// How the learner protects its channels: CURVE with its key pair on every tcp endpoint, peers
/// admitted by the allow-list; ipc sockets in an owner-only directory. From the config, by
/// ``RunConfig/learnerSecurity()``.
public struct LearnerSecurity: Sendable {
    /// The learner's key pair and the actors it admits, when some endpoint is tcp and the keys are set.
    public var curve: LearnerCurve?
    /// What `insecure: true` lets through, a line each, to be said at every start.
    public var warnings: [String]
}

/// The learner's CURVE settings: its key pair, and the actors it admits.
public struct LearnerCurve: Sendable {
    /// The learner's key pair, read from `curve.learner_secret_key_file`.
    public var keys: CurveKeyPair
    /// The actors admitted, from `curve.authorized_actors`.
    public var allowList: ActorAllowList
}

/// How an actor connects: as a CURVE client (its key pair, the learner's public key) to tcp
/// endpoints. From the config, by ``RunConfig/actorSecurity(actorID:)``.
public struct ActorSecurity: Sendable {
    /// The actor's key pair and the learner's public key, when some endpoint is tcp and the keys are set.
    public var curve: ActorCurve?
    /// What `insecure: true` lets through, a line each, to be said at every start.
    public var warnings: [String]
}

/// An actor's CURVE settings.
public struct ActorCurve: Hashable, Sendable {
    /// The actor's key pair, read from its `curve.actor_secret_key_file`.
    public var keys: CurveKeyPair
    /// The learner's public key (Z85, 40 characters), read from `curve.learner_public_key_file`.
    public var learnerPublicKey: String
}

extension RunConfig {
    /// The learner's security for these endpoints. Throws a ``ConfigError`` naming the keys to set
    /// when a tcp endpoint has no CURVE keys, or an ipc socket's directory is not owner-only,
    /// unless `insecure: true` (then each is a warning); or when a key file or the allow-list
    /// cannot be used.
    public func learnerSecurity() throws(ConfigError) -> LearnerSecurity {
        var security = LearnerSecurity(curve: nil, warnings: [])
        let settings = self.security
        if let (key, endpoint) = endpoints.named.first(where: { _isTCP($0.endpoint) }) {
            let secretFile = settings.learnerSecretKeyFile, allowListFile = settings.authorizedActors
            switch (secretFile, allowListFile) {
            case (let secretFile?, let allowListFile?):
                let keys = try Self.keyPair(
                    secretFile, key: "curve.learner_secret_key_file", insecure: settings.insecure,
                    warnings: &security.warnings)
                let allowList: ActorAllowList
                do {
                    allowList = try ActorAllowList(path: allowListFile, checkPermissions: !settings.insecure)
                } catch {
                    throw ConfigError(
                        error.message.contains("chmod") ? .insecure : .unreadableFile, source: error.path,
                        key: "curve.authorized_actors", line: error.line,
                        message: "curve.authorized_actors: \(error.message)"
                            + (_fileExists(error.path) ? "" : " (fleet keygen --authorize FILE writes it)"))
                }
                try Self.checkDirectories(
                    of: [("curve.learner_secret_key_file", secretFile), ("curve.authorized_actors", allowListFile)],
                    insecure: settings.insecure, warnings: &security.warnings)
                if settings.insecure, let mode = try? _mode(of: allowListFile), mode & 0o022 != 0 {
                    security.warnings.append(
                        "insecure: true: curve.authorized_actors \(allowListFile) is mode \(String(mode & 0o777, radix: 8)): "
                            + "others may write it and admit their own keys")
                }
                // Before roles, `fleet keygen --name operator --authorize` listed the status key as an actor.
                let actorIDs = Set((0..<admissibleActorCount).map { ActorLoop.id(index: $0) })
                for (id, role) in allowList.roles.sorted(by: { $0.key < $1.key }) where role == .actor && !actorIDs.contains(id) {
                    security.warnings.append(
                        "curve.authorized_actors: \(id) is listed as an actor (no role) but is not one of this run's "
                            + "actors; if it is a key for fleet status, end its line with ' operator' so that it can "
                            + "ask for status and nothing else")
                }
                security.curve = LearnerCurve(keys: keys, allowList: allowList)
            case (nil, nil) where settings.insecure:
                security.warnings.append(Self.unauthenticatedWarning)
            default:
                let missing = [
                    secretFile == nil ? "curve.learner_secret_key_file (the learner's key pair: fleet keygen --name learner)" : nil,
                    allowListFile == nil ? "curve.authorized_actors (the allow-list of actor keys: fleet keygen --authorize)" : nil,
                ].compactMap { $0 }
                throw ConfigError(
                    .insecure, source: "\(key)=\(endpoint)", key: missing.first.map { String($0.prefix { $0 != " " }) },
                    message: "a tcp endpoint needs CURVE keys: set \(missing.joined(separator: " and "))"
                        + (secretFile == nil && allowListFile == nil ? ", or insecure: true to run it unauthenticated" : ""))
            }
        }
        for (key, endpoint) in endpoints.named where endpoint.hasPrefix("ipc://") {
            guard let problem = IPCSocketDirectory.problem(with: endpoint) else { continue }
            if settings.insecure {
                security.warnings.append("insecure: true: \(key) \(endpoint): \(problem); other users may connect")
            } else {
                throw ConfigError(
                    .insecure, source: "\(key)=\(endpoint)", key: key,
                    message: "\(problem): other users could connect; use an owner-only directory (chmod 700) "
                        + "or set insecure: true")
            }
        }
        return security
    }

    /// Actor `actorID`'s security for these endpoints: CURVE client keys for tcp ones. Throws a
    /// ``ConfigError`` naming the keys to set when a tcp endpoint has none, unless `insecure: true`
    /// (then a warning); or when a key file cannot be used.
    public func actorSecurity(actorID: String) throws(ConfigError) -> ActorSecurity {
        var security = ActorSecurity(curve: nil, warnings: [])
        let settings = self.security
        guard let (key, endpoint) = endpoints.named.first(where: { _isTCP($0.endpoint) }) else { return security }
        let learnerFile = settings.learnerPublicKeyFile, secretFile = settings.actorSecretKeyFile(for: actorID)
        switch (learnerFile, secretFile) {
        case (let learnerFile?, let secretFile?):
            let keys = try Self.keyPair(
                secretFile, key: "curve.actor_secret_key_file", insecure: settings.insecure, warnings: &security.warnings)
            let learnerKey: String
            do {
                learnerKey = try CurveKeyFile.readPublicKey(at: learnerFile)
            } catch {
                throw ConfigError(
                    .unreadableFile, source: error.path, key: "curve.learner_public_key_file",
                    message: "curve.learner_public_key_file: \(error.message)"
                        + (_fileExists(error.path) ? "" : " (fleet keygen writes it: learner.pub)"))
            }
            security.curve = ActorCurve(keys: keys, learnerPublicKey: learnerKey)
        case (nil, nil) where settings.insecure:
            security.warnings.append(Self.unauthenticatedWarning)
        default:
            let missing = [
                learnerFile == nil ? "curve.learner_public_key_file (the learner's learner.pub)" : nil,
                secretFile == nil ? "curve.actor_secret_key_file (this actor's key pair, e.g. keys/{actor_id}.key)" : nil,
            ].compactMap { $0 }
            throw ConfigError(
                .insecure, source: "\(key)=\(endpoint)", key: missing.first.map { String($0.prefix { $0 != " " }) },
                message: "a tcp endpoint needs CURVE keys: set \(missing.joined(separator: " and "))"
                    + (learnerFile == nil && secretFile == nil ? ", or insecure: true to run it unauthenticated" : ""))
        }
        return security
    }

    /// Refuses (or with `insecure`, or for a sticky directory, warns of) a directory others may
    /// write that holds one of `files` (config key, path).
    private static func checkDirectories(
        of files: [(key: String, path: String)], insecure: Bool, warnings: inout [String]
    ) throws(ConfigError) {
        for (key, path) in files {
            guard let (error, refused) = KeyFilePermissions.directoryProblem(holding: path) else { continue }
            if refused && !insecure {
                throw ConfigError(.insecure, source: error.path, key: key, message: "\(key): \(error.message)")
            }
            warnings.append("\(insecure ? "insecure: true: " : "")\(key): \(error)")
        }
    }

    private static let unauthenticatedWarning =
        "insecure: true: the tcp endpoints run without CURVE: no authentication, no encryption; anyone who "
        + "reaches them can send batches, read the weights and stop actors"

    /// The key pair in the file `path` names (config key `key`); with `insecure`, a file others
    /// may read is taken with a warning.
    private static func keyPair(
        _ path: String, key: String, insecure: Bool, warnings: inout [String]
    ) throws(ConfigError) -> CurveKeyPair {
        if insecure, let mode = try? _mode(of: path), mode & 0o077 != 0 {
            warnings.append("insecure: true: \(key) \(path) is mode \(String(mode & 0o777, radix: 8)): others may read the secret key")
        }
        do {
            return try CurveKeyFile.readKeyPair(at: path, allowOpenMode: insecure)
        } catch {
            throw ConfigError(
                error.message.contains("chmod") ? .insecure : .unreadableFile, source: error.path, key: key,
                line: error.line,
                message: "\(key): \(error.message)" + (_fileExists(error.path) ? "" : " (fleet keygen writes key files)"))
        }
    }
}

/// The check that an ipc socket lives where only its owner can reach it.
package enum IPCSocketDirectory {
    /// Why `endpoint`'s socket would be reachable by other users (or cannot be checked); nil when
    /// its directory is ours and owner-only.
    package static func problem(with endpoint: String) -> String? {
        let path = String(endpoint.dropFirst("ipc://".count))
        if path.hasPrefix("@") { return "an abstract socket (@…) has no permissions at all" }
        if path == "*" || path.isEmpty { return "a wildcard ipc socket's directory is not known" }
        let directory = (path as NSString).deletingLastPathComponent
        let shown = directory.isEmpty ? "." : directory
        var info = stat()
        guard stat(directory.isEmpty ? "." : directory, &info) == 0 else {
            return "the socket's directory \(shown) cannot be looked at (\(String(cString: strerror(errno))))"
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return "\(shown) is not a directory" }
        if info.st_uid != geteuid() {
            return "the socket's directory \(shown) belongs to uid \(info.st_uid), not to us (uid \(geteuid()))"
        }
        if info.st_mode & 0o077 != 0 {
            return "the socket's directory \(shown) is mode \(String(info.st_mode & 0o777, radix: 8)), not owner-only"
        }
        return nil
    }
}
