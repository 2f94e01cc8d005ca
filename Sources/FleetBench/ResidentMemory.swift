import Foundation

/// This process's resident memory, from Linux's `/proc/self/status`.
public enum ResidentMemory {
    /// Resident bytes now (`VmRSS`); nil where `/proc` does not say.
    public static var current: Int? { statusBytes("VmRSS") }

    /// The most resident bytes since the start or the last ``resetPeak()`` (`VmHWM`).
    public static var peak: Int? { statusBytes("VmHWM") }

    /// Starts a new peak from the current resident size (writes `5` to `/proc/self/clear_refs`);
    /// `false` when the kernel does not allow it (then ``peak`` keeps counting from the start).
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    /// The `key:` line of `/proc/self/status`, in bytes (the file says kB).
    static func statusBytes(_ key: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }
}
