/// Why a capture could not be written or read.
public enum CaptureError: Error, CustomStringConvertible {
    /// A record file of the capture failed (`path`: the file).
    case record(path: String, RecordError)
    /// A record is not a capture entry.
    case entry(path: String, offset: Int, CaptureEntryError)
    /// The manifest is missing or unreadable.
    case badManifest(path: String, reason: String)
    /// A path given as a capture is neither a capture directory nor a record file.
    case notACapture(path: String)
    /// Capture was asked for where there is no run directory to write it to.
    case noRunDirectory

    /// A one-line message that starts with the path at fault, when there is one.
    public var description: String {
        switch self {
        case .record(let path, let error): "\(path): \(error)"
        case .entry(let path, let offset, let error): "\(path): record at offset \(offset): \(error)"
        case .badManifest(let path, let reason): "\(path): not a capture manifest: \(reason)"
        case .notACapture(let path): "\(path) is neither a capture directory nor a capture file"
        case .noRunDirectory: "capture needs a run directory"
        }
    }
}
