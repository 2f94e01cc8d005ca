import Foundation

/// Writes scalars to a TensorBoard event file, `events.out.tfevents.<unix-time>.<hostname>`,
/// which `tensorboard --logdir` reads.
///
/// Events are buffered and reach the file every ``flushInterval`` seconds (checked when an event
/// is written), on ``flush()`` and on ``close()``. Use one writer from one task at a time.
public final class TensorBoardEventWriter {
    /// The event file.
    public let fileURL: URL
    /// Seconds between writes of the buffer to the file.
    public let flushInterval: Double
    private let clock: () -> Double
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private var lastFlush: Double

    /// Creates the event file in `directory` and writes its first event (`file_version`).
    /// `clock` gives the wall time in seconds since 1970 (events' `wall_time`, the flush policy
    /// and the file name).
    public init(
        directory: URL, flushInterval: Double = 5, hostname: String = TensorBoardEventWriter.hostname,
        clock: @escaping () -> Double = { Date().timeIntervalSince1970 }
    ) throws {
        self.flushInterval = flushInterval
        self.clock = clock
        let now = clock()
        let base = "events.out.tfevents.\(Int(now)).\(hostname)"
        var url = directory.appendingPathComponent(base)
        var suffix = 1
        while FileManager.default.fileExists(atPath: url.path) {  // a second writer in the same second
            url = directory.appendingPathComponent("\(base).\(suffix)")
            suffix += 1
        }
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        fileURL = url
        handle = try FileHandle(forWritingTo: url)
        lastFlush = now
        TFRecord.append(TensorBoardEvent.fileVersionEvent(wallTime: now), to: &buffer)
        try flush()
    }

    deinit { try? close() }

    /// Adds one event with every scalar of `step`; `wallTime` defaults to the clock's now.
    public func write(step: Int, scalars: [MetricScalar], wallTime: Double? = nil) throws {
        let now = clock()
        TFRecord.append(
            TensorBoardEvent.scalarEvent(wallTime: wallTime ?? now, step: Int64(step), scalars: scalars), to: &buffer)
        if now - lastFlush >= flushInterval { try flush() }
    }

    /// Writes the buffered events to the file.
    public func flush() throws {
        lastFlush = clock()
        guard let handle, !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and closes the file; later writes are dropped.
    public func close() throws {
        guard let handle else { return }
        try flush()
        try handle.close()
        self.handle = nil
    }

    /// This machine's host name, as TensorBoard's file names carry it.
    public static var hostname: String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        let host = String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return host.isEmpty ? "localhost" : host
    }
}
