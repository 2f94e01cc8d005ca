import FleetTransport
import Foundation

/// The actors a learner admits on its CURVE (tcp) endpoints: each actor id with its public key,
/// read from a file of `ACTOR-ID PUBLIC-KEY` lines (`fleet keygen --authorize FILE` adds them):
///
/// ```
/// # comments and blank lines are ignored
/// actor-0 rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
/// actor-1 Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID
/// ```
///
/// It is the learner's ZAP authenticator (``authenticate(_:)``): a connecting peer whose key is
/// listed gets in with its actor id as the ZAP user id (and its key as the `X-Public-Key`
/// property of its messages); any other is refused. It rereads the file when it changes (checked
/// at most once a second, and at once after ``requestReload()``, which `fleet learner` calls on
/// SIGHUP): from then on a key taken out is refused. A file that cannot be read or parsed leaves
/// the last good list in place (and says so). Every method may be called from any thread.
public final class ActorAllowList: @unchecked Sendable {
    /// The file.
    public let path: String
    /// How often the file is checked for changes.
    public static let checkInterval: Duration = .seconds(1)
    /// The message property that carries the key a peer authenticated with.
    public static let publicKeyProperty = "X-Public-Key"

    /// What happened since the last ``takeEvents()``, for the learner to log and act on.
    public enum Event: Hashable, Sendable {
        /// The file was reread: `listed` actors now; `added` and `revoked` (taken out, or given
        /// another key) since the list before.
        case reloaded(listed: Int, added: [String], revoked: [String])
        /// The file changed but cannot be used; the last good list stays.
        case unusable(KeyFileError)
        /// A peer with an unlisted key was refused, for the `count`th time (reported at 1, 10, 100, ...).
        case refused(key: String, address: String, count: Int)
    }

    private let lock = NSLock()
    private var keysByID: [String: String]
    private var idsByKey: [String: String]
    private var fingerprint: _FileFingerprint?
    private var lastCheck = ContinuousClock.now
    private var reloadRequested = false
    private var events: [Event] = []
    private var refusals: [String: Int] = [:]

    /// Reads the allow-list at `path`.
    public init(path: String) throws(KeyFileError) {
        self.path = path
        let fingerprint = _FileFingerprint(path: path)
        keysByID = try Self.parse(try _read(path), path: path)
        idsByKey = Dictionary(uniqueKeysWithValues: keysByID.map { ($0.value, $0.key) })
        self.fingerprint = fingerprint
    }

    /// The listed actors and their keys, now.
    public var entries: [String: String] { lock.withLock { keysByID } }

    /// The actor whose key is `publicKey` (Z85), if it is listed now.
    public func actorID(forKey publicKey: String) -> String? { lock.withLock { idsByKey[publicKey] } }

    /// Whether `actorID` is still listed with `publicKey`: false once its key was taken out or replaced.
    public func isListed(_ actorID: String, key publicKey: String) -> Bool {
        lock.withLock { keysByID[actorID] == publicKey }
    }

    /// Answers a ZAP request: CURVE peers with a listed key get in as their actor id.
    public func authenticate(_ request: ZAPRequest) -> ZAPResponse {
        reloadIfDue()
        guard let key = request.curvePublicKey else { return .deny("CURVE with a listed key is required") }
        return lock.withLock {
            if let id = idsByKey[key] { return .allow(userID: id, metadata: [Self.publicKeyProperty: key]) }
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
            let fresh: [String: String]
            do throws(KeyFileError) {
                fresh = try Self.parse(try _read(path), path: path)
            } catch {
                events.append(.unusable(error))
                return
            }
            let revoked = keysByID.filter { fresh[$0.key] != $0.value }.keys.sorted()
            let added = fresh.filter { keysByID[$0.key] != $0.value }.keys.sorted()
            keysByID = fresh
            idsByKey = Dictionary(uniqueKeysWithValues: fresh.map { ($0.value, $0.key) })
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

    /// The actor ids and keys of allow-list text `text` (the file `path`, for errors).
    public static func parse(_ text: String, path: String) throws(KeyFileError) -> [String: String] {
        var keysByID: [String: String] = [:], idsByKey: [String: String] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 else {
                throw KeyFileError(path: path, line: number + 1, "expected 'ACTOR-ID PUBLIC-KEY'")
            }
            let (id, key) = (fields[0], fields[1])
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
            keysByID[id] = key
            idsByKey[key] = id
        }
        return keysByID
    }
}

extension ActorAllowList {
    /// The first lines of a new allow-list file.
    package static let header = """
        # Fleet allow-list (curve.authorized_actors): the actors the learner admits, one
        # 'ACTOR-ID PUBLIC-KEY' line each. Take a line out to revoke that actor: the learner rereads
        # this file within a second of a change (or on SIGHUP).

        """

    /// Adds `entries` (actor id, public key) to the allow-list file at `path`, creating it (mode
    /// 0644) when missing, by writing a new file and renaming it over the old, so that a learner
    /// reading it never sees half of it. Refuses an id or a key already listed.
    public static func authorize(_ entries: [(id: String, publicKey: String)], inFile path: String) throws(KeyFileError) {
        let existing = _fileExists(path) ? try _read(path) : nil
        let listed = try parse(existing ?? "", path: path)
        var text = existing ?? header
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        for (id, key) in entries {
            if listed[id] != nil { throw KeyFileError(path: path, "already lists \(id); take its line out first") }
            text += "\(id) \(key)\n"
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
