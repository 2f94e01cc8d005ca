import FleetTransport
import Foundation

/// CURVE key files as `fleet keygen` writes them, for a name such as `learner` or `actor-0`:
///
/// - `NAME.key`, mode 0600: the key pair, secret,
///   ```
///   # Fleet CURVE key pair of "NAME" (Z85). Secret: keep it owner-only (mode 0600).
///   public-key <40 characters>
///   secret-key <40 characters>
///   ```
/// - `NAME.pub`, mode 0644: the public key alone on one line, for peers (`$(cat NAME.pub)` is the key).
public enum CurveKeyFile {
    /// The secret file's name for `name`: `NAME.key`.
    public static func secretFileName(_ name: String) -> String { name + ".key" }
    /// The public file's name for `name`: `NAME.pub`.
    public static func publicFileName(_ name: String) -> String { name + ".pub" }

    /// Whether `name` can name a key pair (and an actor): 1 to 64 letters, digits, `.`, `_` or `-`,
    /// not starting with `.` or `-`.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first, first != UInt8(ascii: "."),
            first != UInt8(ascii: "-")
        else { return false }
        return name.utf8.allSatisfy { isNameByte($0) }
    }

    /// Writes `keys` as `NAME.key` (0600) and `NAME.pub` (0644) into `directory` (which must exist).
    /// Refuses to replace either file: nothing is written when one exists.
    @discardableResult
    public static func write(
        _ keys: CurveKeyPair, name: String, into directory: URL
    ) throws(KeyFileError) -> (secret: URL, public: URL) {
        guard isValidName(name) else {
            throw KeyFileError(path: name, "not a key name: use 1 to 64 letters, digits, '.', '_' or '-' (e.g. actor-0)")
        }
        let secret = directory.appendingPathComponent(secretFileName(name))
        let publicFile = directory.appendingPathComponent(publicFileName(name))
        for url in [secret, publicFile] where _fileExists(url.path) {
            throw KeyFileError(path: url.path, "already exists; fleet keygen never replaces a key (remove it first)")
        }
        let secretText = """
            # Fleet CURVE key pair of "\(name)" (Z85). Secret: keep it owner-only (mode 0600).
            public-key \(keys.publicKey)
            secret-key \(keys.secretKey)

            """
        try _createExclusively(secret.path, contents: secretText, mode: 0o600)
        do {
            try _createExclusively(publicFile.path, contents: keys.publicKey + "\n", mode: 0o644)
        } catch {
            unlink(secret.path)
            throw error
        }
        return (secret, publicFile)
    }

    /// The key pair in the `.key` file at `path`. Unless `allowOpenMode`, a file that its group or
    /// others may read is refused (as ssh refuses such a key).
    public static func readKeyPair(at path: String, allowOpenMode: Bool = false) throws(KeyFileError) -> CurveKeyPair {
        let mode = try _mode(of: path)
        if !allowOpenMode, mode & 0o077 != 0 {
            throw KeyFileError(
                path: path,
                "holds a secret key but is mode \(String(mode & 0o777, radix: 8)): others may read it; "
                    + "chmod 600 \(path)")
        }
        let text = try _read(path)
        var publicKey: String?, secretKey: String?
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2, fields[0] == "public-key" || fields[0] == "secret-key", Z85.isKey(String(fields[1]))
            else {
                throw KeyFileError(path: path, line: number + 1, "expected 'public-key KEY' or 'secret-key KEY' (Z85, 40 characters)")
            }
            if fields[0] == "public-key" { publicKey = String(fields[1]) } else { secretKey = String(fields[1]) }
        }
        guard let secretKey else { throw KeyFileError(path: path, "has no 'secret-key' line: is it a .key file of fleet keygen?") }
        let keys: CurveKeyPair
        do {
            keys = try CurveKeyPair(secretKey: secretKey)
        } catch {
            throw KeyFileError(path: path, "its secret key is not a CURVE key: \(error)")
        }
        if let publicKey, publicKey != keys.publicKey {
            throw KeyFileError(path: path, "its public-key does not belong to its secret-key")
        }
        return keys
    }

    /// The public key in the `.pub` file at `path` (its first non-empty line).
    public static func readPublicKey(at path: String) throws(KeyFileError) -> String {
        let text = try _read(path)
        let line = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        guard let line, Z85.isKey(line) else {
            throw KeyFileError(path: path, "expected a CURVE public key (Z85, 40 characters) on its first line")
        }
        return line
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}

/// A key file or allow-list that cannot be used: which file, where, and why.
public struct KeyFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file concerned.
    public let path: String
    /// The 1-based line, when the problem is on one.
    public let line: Int?
    /// What is wrong, for people.
    public let message: String

    /// Creates an error about `path`, at a 1-based `line` when the problem is on one.
    public init(path: String, line: Int? = nil, _ message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `<path>[:<line>]: <message>`.
    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
}

// MARK: - Files

package func _fileExists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// The permission bits of the file at `path` (following links).
package func _mode(of path: String) throws(KeyFileError) -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else {
        throw KeyFileError(path: path, errno == ENOENT ? "does not exist" : "cannot be read: \(String(cString: strerror(errno)))")
    }
    return info.st_mode
}

package func _read(_ path: String) throws(KeyFileError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        let reason = _fileExists(path) ? "cannot be read" : "does not exist"
        throw KeyFileError(path: path, reason)
    }
    guard let text = String(data: data, encoding: .utf8) else { throw KeyFileError(path: path, "is not UTF-8 text") }
    return text
}

/// Creates `path` with `mode` exactly (whatever the umask), failing if it exists, and writes `contents`.
package func _createExclusively(_ path: String, contents: String, mode: mode_t) throws(KeyFileError) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard descriptor >= 0 else {
        throw KeyFileError(path: path, "cannot be created: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    let bytes = Array(contents.utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
    guard fchmod(descriptor, mode) == 0, written == bytes.count, fsync(descriptor) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(path)
        throw KeyFileError(path: path, "cannot be written: \(reason)")
    }
}
