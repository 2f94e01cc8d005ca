import Foundation

/// The permission checks of the files the learner trusts besides its secret key (which
/// ``CurveKeyFile/readKeyPair(at:allowOpenMode:)`` checks): the allow-list must not be writable
/// by others (they would list their own keys), nor its directory or the secret key's (they could
/// put another file in its place). A directory with the sticky bit (`/tmp`) lets no one replace
/// another user's file: it is only warned of.
public enum KeyFilePermissions {
    /// Throws when the allow-list at `path` is writable by group or others, or sits in a
    /// directory they may write (without the sticky bit); the message names the file and the chmod.
    public static func checkAllowList(_ path: String) throws(KeyFileError) {
        let mode = try _mode(of: path)
        if mode & 0o022 != 0 {
            throw KeyFileError(
                path: path,
                "is mode \(octal(mode)): others may write this allow-list and admit their own keys; chmod go-w \(path)")
        }
        if let problem = directoryProblem(holding: path), problem.refused { throw problem.error }
    }

    /// What is wrong with the directory that holds `path` (a key file or the allow-list): nil when
    /// only its owner may write it. `refused` unless it has the sticky bit.
    public static func directoryProblem(holding path: String) -> (error: KeyFileError, refused: Bool)? {
        let directory = (path as NSString).deletingLastPathComponent
        let shown = directory.isEmpty ? "." : directory
        var info = stat()
        guard stat(shown, &info) == 0, info.st_mode & 0o022 != 0 else { return nil }
        let sticky = info.st_mode & mode_t(S_ISVTX) != 0
        let error = KeyFileError(
            path: shown,
            "holds \((path as NSString).lastPathComponent) but is mode \(octal(info.st_mode)): "
                + (sticky
                    ? "others may add files beside it (the sticky bit keeps them from replacing it); "
                    : "others may replace the files in it; ")
                + "chmod go-w \(shown) (or keep the keys in an owner-only directory: chmod 700 \(shown))")
        return (error, !sticky)
    }

    private static func octal(_ mode: mode_t) -> String { String(mode & 0o7777, radix: 8) }
}
