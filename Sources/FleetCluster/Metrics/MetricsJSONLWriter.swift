import FleetWire
import Foundation

/// Writes `metrics.jsonl`: one JSON object a logging step, `{"step": 512, "wall_time": ..., "charts/SPS": 5120.0, ...}`,
/// keys in the order logged. A value that is not finite is written as `null`.
///
/// Each line is written when logged (one write a step), so a killed run loses no line.
public final class MetricsJSONLWriter {
    /// The file written, `metrics.jsonl` of the run directory.
    public let fileURL: URL
    private var handle: FileHandle?

    /// Opens `url` for appending, creating it if needed.
    public init(url: URL) throws {
        fileURL = url
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
        }
        handle = try Self.openForAppending(url)
    }

    private static func openForAppending(_ url: URL) throws -> FileHandle {
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        return handle
    }

    deinit { try? close() }

    /// Appends the line of one step.
    public func write(step: Int, wallTime: Double, scalars: [MetricScalar]) throws {
        try handle?.write(contentsOf: Data((Self.line(step: step, wallTime: wallTime, scalars: scalars) + "\n").utf8))
    }

    /// Drops the lines of steps after `step`, and a torn last line (a run killed mid-write): a run
    /// resumed from a checkpoint at `step` logs those steps again. The file is rewritten atomically.
    public func discardSteps(after step: Int) throws {
        let lines = try String(contentsOf: fileURL, encoding: .utf8).split(separator: "\n")
        let kept = lines.filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let lineStep = object["step"] as? Int
            else { return false }
            return lineStep <= step
        }
        guard kept.count != lines.count else { return }
        try handle?.close()
        try AtomicFile.write(Data(kept.map { $0 + "\n" }.joined().utf8), to: fileURL)
        handle = try Self.openForAppending(fileURL)
    }

    /// Closes the file; later writes are dropped.
    public func close() throws {
        try handle?.close()
        handle = nil
    }

    /// The JSON object of one step (without the newline).
    public static func line(step: Int, wallTime: Double, scalars: [MetricScalar]) -> String {
        var fields = ["\"step\": \(step)", "\"wall_time\": \(number(wallTime))"]
        for scalar in scalars { fields.append("\(quoted(scalar.tag)): \(number(scalar.value))") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    private static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"  // Swift's shortest round-trip form is valid JSON
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
