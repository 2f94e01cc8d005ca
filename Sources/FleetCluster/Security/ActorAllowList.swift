import FleetTransport
import Foundation

/// The peers a learner admits on its CURVE (tcp) endpoints: each id with its public key and its
/// role, read from a file of `ID PUBLIC-KEY [ROLE]` lines (`fleet keygen --authorize FILE` adds them):
///
/// ```
/// # comments and blank lines are ignored
/// actor-0 rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
/// actor-1 Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID
/// operator x!2Hm[n7Q@xJ^3w3oR%qA8&fYFpE6t1b0S+zl2Gp operator
/// ```
///
/// A line without a role is an actor's (``PeerRole``). It is the learner's ZAP authenticator
/// (``authenticate(_:)``): a connecting peer whose key is listed gets in with its id as the ZAP
/// user id (and its key and role as the `X-Public-Key` and `X-Fleet-Role` properties of its
/// messages), an actor on every socket, an operator on the control socket only (its ZAP domain,
/// ``controlDomain``); any other is refused. It rereads the file when it changes (checked
/// at most once a second, and at once after ``requestReload()``, which `fleet learner` calls on
/// SIGHUP): from then on a key taken out is refused. A file that cannot be read or parsed, or that
/// others may write (``KeyFilePermissions``), leaves the last good list in place (and says so).
/// Every method may be called from any thread.
public final class ActorAllowList: @unchecked Sendable {
    /// The file.
    public let path: String
    /// How often the file is checked for changes.
    public static let checkInterval: Duration = .seconds(1)
    /// The message property that carries the key a peer authenticated with.
    public static let publicKeyProperty = "X-Public-Key"
    /// The message property that carries the role a peer was admitted with (``PeerRole``).
    public static let roleProperty = "X-Fleet-Role"
    /// The ZAP domain of the learner's batch and weights sockets: actors only.
    public static let actorDomain = "fleet"
    /// The ZAP domain of the learner's control socket: actors and operators.
    public static let controlDomain = "fleet-control"

    /// One listed peer: its key and role.
    public struct Entry: Hashable, Sendable {
        /// Its CURVE public key (Z85).
        public var publicKey: String
        /// What it may do.
        public var role: PeerRole
        public init(publicKey: String, role: PeerRole = .actor) {
            self.publicKey = publicKey
            self.role = role
        }
    }

    /// What happened since the last ``takeEvents()``, for the learner to log and act on.
    public enum Event: Hashable, Sendable {
        /// The file was reread: `listed` actors now; `added` and `revoked` (taken out, or given
        /// another key) since the list before.
        case reloaded(listed: Int, added: [String], revoked: [String])
        /// The file changed but cannot be used; the last good list stays.
        case unusable(KeyFileError)
        /// A peer with an unlisted key was refused, for the `count`th time (reported at 1, 10, 100, ...).
        case refused(key: String, address: String, count: Int)
        /// An operator key tried a socket other than the control socket (its ZAP `domain`), for
        /// the `count`th time (reported at 1, 10, 100, ...).
        case operatorRefused(id: String, domain: String, address: String, count: Int)
    }

    private let lock = NSLock()
    private var entriesByID: [String: Entry]
    private var idsByKey: [String: String]
    private var fingerprint: _FileFingerprint?
    private var lastCheck = ContinuousClock.now
    private var reloadRequested = false
    private var events: [Event] = []
    private var refusals: [String: Int] = [:]

    /// Whether the file (and its directory) must be writable by its owner only (``KeyFilePermissions``).
    public let checksPermissions: Bool

    /// Reads the allow-list at `path`; unless `checkPermissions` is false (`insecure: true`), one
    /// that others may write is refused.
    public init(path: String, checkPermissions: Bool = true) throws(KeyFileError) {
        self.path = path
        checksPermissions = checkPermissions
        let fingerprint = _FileFingerprint(path: path)
        if checkPermissions { try KeyFilePermissions.checkAllowList(path) }
        entriesByID = try Self.parseEntries(try _read(path), path: path)
        idsByKey = Dictionary(uniqueKeysWithValues: entriesByID.map { ($0.value.publicKey, $0.key) })
        self.fingerprint = fingerprint
    }

    /// The listed peers and their keys, now.
    public var entries: [String: String] { lock.withLock { entriesByID.mapValues(\.publicKey) } }

    /// The listed peers with their keys and roles, now.
    public var roles: [String: PeerRole] { lock.withLock { entriesByID.mapValues(\.role) } }

    /// The peer whose key is `publicKey` (Z85), if it is listed now.
    public func actorID(forKey publicKey: String) -> String? { lock.withLock { idsByKey[publicKey] } }

    /// Whether `id` is still listed with `publicKey` (and `role`, when given): false once its key
    /// was taken out or replaced, or its role changed.
    public func isListed(_ id: String, key publicKey: String, role: PeerRole? = nil) -> Bool {
        lock.withLock {
            guard let entry = entriesByID[id], entry.publicKey == publicKey else { return false }
            return role == nil || entry.role == role
        }
    }

    /// Answers a ZAP request: CURVE peers with a listed key get in as their id, actors on every
    /// domain, operators on ``controlDomain`` only.
    public func authenticate(_ request: ZAPRequest) -> ZAPResponse {
        reloadIfDue()
        guard let key = request.curvePublicKey else { return .deny("CURVE with a listed key is required") }
        return lock.withLock {
            if let id = idsByKey[key], let entry = entriesByID[id] {
                if entry.role == .operator, request.domain != Self.controlDomain {
                    let count = (refusals["operator:" + id] ?? 0) + 1
                    refusals["operator:" + id] = count
                    if _isPowerOfTen(count) {
                        events.append(.operatorRefused(id: id, domain: request.domain, address: request.address, count: count))
                    }
                    return .deny("an operator key is admitted on the control channel only")
                }
                return .allow(
                    userID: id, metadata: [Self.publicKeyProperty: key, Self.roleProperty: entry.role.rawValue])
            }
            // Counted per key, so that a peer retrying every 100 ms costs a few lines; past 1024
            // keys (a peer making a new key each time), together.
            let bucket = refusals[key] != nil || refusals.count < 1024 ? key : "(other keys)"
            let count = (refusals[bucket] ?? 0) + 1
            refusals[bucket] = count
            if _isPowerOfTen(count) { events.append(.refused(key: bucket, address: request.address, count: count)) }
            return .deny("key not on the allow-list")
        }
    }

    /// Rereads the file on the next ``reloadIfDue()`` whether or not it looks changed.
    public func requestReload() { lock.withLock { reloadRequested = true } }

    /// Rereads the file if it changed (looked at most once per ``checkInterval``) or a reload was requested.
    public func reloadIfDue(now: ContinuousClock.Instant = .now) {
        lock.withLock {
            guard reloadRequested || now - lastCheck >= Self.checkInterval else { return }
            lastCheck = now
            let current = _FileFingerprint(path: path)
            guard reloadRequested || current != fingerprint else { return }
            reloadRequested = false
            fingerprint = current
            let fresh: [String: Entry]
            do throws(KeyFileError) {
                if checksPermissions { try KeyFilePermissions.checkAllowList(path) }
                fresh = try Self.parseEntries(try _read(path), path: path)
            } catch {
                events.append(.unusable(error))
                return
            }
            // A role changed counts as revoked: its connections were admitted with the old one.
            let revoked = entriesByID.filter { fresh[$0.key] != $0.value }.keys.sorted()
            let added = fresh.filter { entriesByID[$0.key] != $0.value }.keys.sorted()
            entriesByID = fresh
            idsByKey = Dictionary(uniqueKeysWithValues: fresh.map { ($0.value.publicKey, $0.key) })
            events.append(.reloaded(listed: fresh.count, added: added, revoked: revoked))
        }
    }

    /// The events since the last call, oldest first.
    public func takeEvents() -> [Event] {
        lock.withLock {
            defer { events.removeAll() }
            return events
        }
    }

    /// The ids and keys of allow-list text `text` (the file `path`, for errors).
    public static func parse(_ text: String, path: String) throws(KeyFileError) -> [String: String] {
        try parseEntries(text, path: path).mapValues(\.publicKey)
    }

    /// The ids, keys and roles of allow-list text `text` (the file `path`, for errors).
    public static func parseEntries(_ text: String, path: String) throws(KeyFileError) -> [String: Entry] {
        var keysByID: [String: Entry] = [:], idsByKey: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 || fields.count == 3 else {
                throw KeyFileError(path: path, line: number + 1, "expected 'ID PUBLIC-KEY [actor|operator]'")
            }
            let (id, key) = (fields[0], fields[1])
            guard let role = fields.count == 3 ? PeerRole(rawValue: fields[2]) : .actor else {
                throw KeyFileError(
                    path: path, line: number + 1, "\(id)'s role '\(fields[2])' is neither 'actor' nor 'operator'")
            }
            guard CurveKeyFile.isValidName(id) else {
                throw KeyFileError(path: path, line: number + 1, "'\(id)' is not an actor id (letters, digits, '.', '_', '-')")
            }
            guard Z85.isKey(key) else {
                throw KeyFileError(path: path, line: number + 1, "\(id)'s key is not a CURVE public key (Z85, 40 characters)")
            }
            guard keysByID[id] == nil else { throw KeyFileError(path: path, line: number + 1, "\(id) is listed twice") }
            if let other = idsByKey[key] {
                throw KeyFileError(path: path, line: number + 1, "\(id) has the same key as \(other): each actor needs its own")
            }
            keysByID[id] = Entry(publicKey: key, role: role)
            idsByKey[key] = id
        }
        return keysByID
    }
}

extension ActorAllowList {
    /// The first lines of a new allow-list file.
    package static let header = """
        # Fleet allow-list (curve.authorized_actors): the peers the learner admits, one
        # 'ID PUBLIC-KEY [ROLE]' line each; ROLE is 'actor' (the default) or 'operator' (fleet
        # status only). Take a line out to revoke that peer: the learner rereads this file within a
        # second of a change (or on SIGHUP).

        """

    /// Adds `entries` (id, public key) to the allow-list file at `path` with `role`, creating it
    /// (mode 0644) when missing, by writing a new file and renaming it over the old, so that a
    /// learner reading it never sees half of it. Refuses an id or a key already listed.
    public static func authorize(
        _ entries: [(id: String, publicKey: String)], role: PeerRole = .actor, inFile path: String
    ) throws(KeyFileError) {
        let existing = _fileExists(path) ? try _read(path) : nil
        let listed = try parse(existing ?? "", path: path)
        var text = existing ?? header
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        for (id, key) in entries {
            if listed[id] != nil { throw KeyFileError(path: path, "already lists \(id); take its line out first") }
            text += role == .actor ? "\(id) \(key)\n" : "\(id) \(key) \(role.rawValue)\n"
        }
        _ = try parse(text, path: path)  // duplicates among `entries`, malformed ids or keys
        let mode = existing == nil ? 0o644 : (try _mode(of: path) & 0o777)
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        try _createExclusively(temporary, contents: text, mode: mode)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw KeyFileError(path: path, "cannot be replaced: \(reason)")
        }
    }
}

/// What tells a changed file apart: its inode (a file replaced by rename), size and modification time.
package struct _FileFingerprint: Hashable {
    package let device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int

    /// The file's fingerprint; nil when it cannot be looked at.
    package init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        seconds = info.st_mtim.tv_sec
        nanoseconds = info.st_mtim.tv_nsec
    }
}

/// 1, 10, 100, ...: when a repeated event is worth a line.
package func _isPowerOfTen(_ count: Int) -> Bool {
    var mark = 1
    while mark < count { mark *= 10 }
    return mark == count
}
