#if canImport(Glibc)
    import Glibc
#endif

/// The file each input is written to before it is read back: in a directory of this process's
/// own, on /dev/shm when there is one, removed when the process exits normally.
final class ScratchFile: @unchecked Sendable {  // used by libFuzzer's one thread
    static let shared = ScratchFile()

    let directory: String
    let path: String

    private init() {
        let parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        var template = Array("\(parent)/fleet-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("fuzz: cannot make a directory in \(parent)") }
        directory = String(cString: made)
        path = directory + "/capture.rec"
        atexit { ScratchFile.shared.remove() }
    }

    /// Makes the file hold exactly `bytes`; returns its path.
    func replace(with bytes: UnsafeRawBufferPointer) -> String {
        writeFile(path, bytes)
        return path
    }

    func remove() {
        unlink(path)
        rmdir(directory)
    }
}

func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("fuzz: cannot open \(path): errno \(errno)") }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        guard n > 0 else { fatalError("fuzz: cannot write \(path): errno \(errno)") }
        done += n
    }
}

func readFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { fatalError("fuzz: cannot open \(path): errno \(errno)") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard n > 0 else { break }
        bytes += chunk[..<n]
    }
    return bytes
}
