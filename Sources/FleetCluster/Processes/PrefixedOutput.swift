import Foundation

/// Copies a child's output to one of ours line by line, each line prefixed with `[name] `, so the
/// lines of several children interleave whole.
final class PrefixedOutput: @unchecked Sendable {
    /// One lock for every child's lines, so no two writes interleave.
    private static let writeLock = NSLock()
    private let lock = NSLock()
    private var pending = Data()
    private let prefix: Data
    private let destination: FileHandle
    private let finished = DispatchSemaphore(value: 0)

    /// Starts copying `pipe`'s reading end to `destination`.
    init(_ pipe: Pipe, name: String, to destination: FileHandle) {
        prefix = Data("[\(name)] ".utf8)
        self.destination = destination
        let reader = pipe.fileHandleForReading
        // A thread of its own, blocking in read(2): it sees the end of the output for certain, and
        // each read returns what is there (FileHandle's read(upToCount:) would wait for a full buffer).
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(reader.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                lock.withLock { pending.append(contentsOf: buffer[..<count]) }
                flush(all: false)
            }
            flush(all: true)
            finished.signal()
        }
        thread.name = "output of \(name)"
        thread.start()
    }

    /// Waits (at most `seconds`) until the child's end of the pipe is closed and every line is out.
    func waitUntilDrained(seconds: Double) {
        if finished.wait(timeout: .now() + seconds) == .success { finished.signal() }
    }

    private func flush(all: Bool) {
        var out = Data()
        lock.withLock {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                out += prefix + pending[pending.startIndex...newline]
                pending.removeSubrange(pending.startIndex...newline)
            }
            if all, !pending.isEmpty {
                out += prefix + pending + Data("\n".utf8)
                pending.removeAll()
            }
        }
        guard !out.isEmpty else { return }
        Self.writeLock.withLock { destination.write(out) }
    }
}
