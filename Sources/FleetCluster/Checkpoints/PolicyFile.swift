import FleetWire
import Foundation

/// A policy saved to disk: one encoded wire `Frame` whose payload is the `Weights` an actor needs
/// (the same message the learner broadcasts), written atomically. `fleet train` leaves the final
/// policy in `checkpoints/policy-final.fleet`; `fleet eval` reads it.
public enum PolicyFile {
    /// The name of the final policy in a run's `checkpoints/` folder.
    public static let finalName = "policy-final.fleet"

    /// Why a file is not a policy: it cannot be read, is not a valid frame, or holds another payload.
    public enum ReadError: Error, CustomStringConvertible {
        /// The file cannot be read.
        case unreadable(path: String, reason: String)
        /// The bytes do not decode to a valid frame.
        case invalid(path: String, WireError)
        /// The frame's payload is not weights; `kind` names it.
        case notAPolicy(path: String, kind: String)

        /// A sentence that starts with the path.
        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "\(path): cannot read it: \(reason)"
            case .invalid(let path, let error): "\(path): not a valid Fleet frame: \(error)"
            case .notAPolicy(let path, let kind): "\(path): holds a \(kind) frame, not weights"
            }
        }
    }

    /// Writes `weights` to `url` (temporary file, fsync, rename), creating its folder if needed.
    public static func write(_ weights: Weights, to url: URL, sender: String = "learner") throws {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(Data(encoded(weights, sender: sender)), to: url)
    }

    /// The bytes of a policy file holding `weights`.
    public static func encoded(_ weights: Weights, sender: String = "learner") -> [UInt8] {
        Frame(envelope: Envelope(senderID: sender, incarnation: 0, sequence: weights.version), payload: .weights(weights))
            .encoded()
    }

    /// Reads the weights saved at `url`, validated as any frame off the wire.
    public static func read(_ url: URL) throws(ReadError) -> Weights {
        let bytes: [UInt8]
        do { bytes = try [UInt8](Data(contentsOf: url)) } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        let frame: Frame
        do { frame = try Frame(decoding: bytes) } catch { throw .invalid(path: url.path, error) }
        guard case .weights(let weights) = frame.payload else {
            throw .notAPolicy(path: url.path, kind: frame.kind.rawValue)
        }
        return weights
    }
}
