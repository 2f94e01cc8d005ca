#if canImport(Glibc)
import Glibc
#endif

/// The one place record files call C file APIs: an open file descriptor and its path, with
/// `EINTR` retried, short reads and writes completed, and failures thrown as ``RecordError/io``.
internal struct _RecordFileDescriptor {
    let rawValue: Int32
    let path: String

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(RecordError) -> Self {
        let fd = retryingEINTR { Glibc.open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw .fileExists(path: path) }
            throw .io(operation: "open", path: path, errno: code)
        }
        return Self(rawValue: fd, path: path)
    }

    /// Reads up to `buffer.count` bytes at `offset`, fewer only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(RecordError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = Glibc.pread(rawValue, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw .io(operation: "pread", path: path, errno: errno)
            }
        }
        return done
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(RecordError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.pwrite(rawValue, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n >= 0 {
                done += n
            } else if errno != EINTR {
                throw .io(operation: "pwrite", path: path, errno: errno)
            }
        }
    }

    func size() throws(RecordError) -> Int {
        var info = stat()
        guard fstat(rawValue, &info) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    func truncate(to length: Int) throws(RecordError) {
        guard retryingEINTR({ ftruncate(rawValue, off_t(length)) }) == 0 else {
            throw .io(operation: "ftruncate", path: path, errno: errno)
        }
    }

    func sync() throws(RecordError) {
        guard retryingEINTR({ fsync(rawValue) }) == 0 else {
            throw .io(operation: "fsync", path: path, errno: errno)
        }
    }

    /// Closes the descriptor. An error from `close` is reported but the descriptor is gone anyway.
    func close() throws(RecordError) {
        guard Glibc.close(rawValue) == 0 || errno == EINTR else {
            throw .io(operation: "close", path: path, errno: errno)
        }
    }

    /// Makes the directory entry of `path` durable (fsync of its parent directory).
    static func syncParentDirectory(of path: String) throws(RecordError) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = try open(directory, flags: O_RDONLY | O_DIRECTORY)
        defer { try? fd.close() }
        try fd.sync()
    }

    private static func retryingEINTR(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result != -1 || errno != EINTR { return result }
        }
    }

    private func retryingEINTR(_ call: () -> Int32) -> Int32 { Self.retryingEINTR(call) }
}
