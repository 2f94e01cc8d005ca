import FleetDigest
import FleetWire
import Foundation

/// A policy saved to disk: the `Weights` an actor needs (the message the learner broadcasts) as one
/// encoded wire `Frame`, behind a header that makes any damage detectable, written atomically.
/// `fleet train` leaves the final policy in `checkpoints/policy-final.fleet`; `fleet eval` and a
/// language run's `init_checkpoint` read it.
///
/// The layout (``header`` bytes, then the frame):
///
///     0   16  magic "FLEET-POLICY v1\n"
///     16  32  SHA-256 of the frame's bytes
///     48  ..  the frame (protobuf, `fleet.v1.Frame`)
///
/// Reading checks the magic, then the digest over everything after it, then decodes and validates
/// the frame as any frame off the wire: a flipped bit, a truncation or bytes appended anywhere in
/// the file are refused (``ReadError/damaged(path:reason:)``, or
/// ``ReadError/notAPolicyFile(path:)`` when the magic itself is hit).
///
/// Files from runs before the header (a bare frame, whose first byte is the envelope's protobuf
/// tag `0x0A`) are still read, validated as frames but without a checksum: damage that keeps the
/// frame valid goes unnoticed in them. Write them again (a new run, or `fleet replay`) to add one.
/// No single flipped bit turns a checksummed file into one of these: the magic's first byte, `F`,
/// is three bits away from `0x0A`.
public enum PolicyFile {
    /// The name of the final policy in a run's `checkpoints/` folder.
    public static let finalName = "policy-final.fleet"

    /// The first bytes of every checksummed policy file; `v1` is the layout's version.
    public static let magic = Array("FLEET-POLICY v1\n".utf8)
    /// The bytes before the frame: the magic and the frame's SHA-256.
    public static let header = magic.count + 32
    /// The first byte of a bare encoded frame (field 1, the envelope, length-delimited).
    static let bareFrameTag: UInt8 = 0x0A

    /// Why a file is not a policy: it cannot be read, is damaged, is not a valid frame, or holds
    /// another payload.
    public enum ReadError: Error, CustomStringConvertible {
        /// The file cannot be read.
        case unreadable(path: String, reason: String)
        /// The bytes are not those written: the checksum or the header does not match.
        case damaged(path: String, reason: String)
        /// The file starts with neither the magic nor a frame: another kind of file, or a damaged magic.
        case notAPolicyFile(path: String)
        /// The bytes do not decode to a valid frame.
        case invalid(path: String, WireError)
        /// The frame's payload is not weights; `kind` names it.
        case notAPolicy(path: String, kind: String)

        /// A sentence that starts with the path.
        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "\(path): cannot read it: \(reason)"
            case .damaged(let path, let reason):
                "\(path): the policy file is damaged (\(reason)); refusing it: use another copy or checkpoint"
            case .notAPolicyFile(let path):
                "\(path): not a Fleet policy file (it starts with neither \"FLEET-POLICY v1\" nor a Fleet frame), or a damaged one"
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

    /// The bytes of a policy file holding `weights`: the header, then the frame.
    public static func encoded(_ weights: Weights, sender: String = "learner") -> [UInt8] {
        let frame = Frame(
            envelope: Envelope(senderID: sender, incarnation: 0, sequence: weights.version), payload: .weights(weights)
        ).encoded()
        return magic + SHA256.hash(frame).bytes + frame
    }

    /// Reads the weights saved at `url`; see ``decoded(_:path:)``.
    public static func read(_ url: URL) throws(ReadError) -> Weights {
        let bytes: [UInt8]
        do { bytes = try [UInt8](Data(contentsOf: url)) } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try decoded(bytes, path: url.path)
    }

    /// The weights in the bytes of a policy file, checked against the header's SHA-256 and
    /// validated as any frame off the wire (a bare frame of an older run without the check);
    /// errors name `path`.
    public static func decoded(_ bytes: [UInt8], path: String) throws(ReadError) -> Weights {
        let frameBytes: ArraySlice<UInt8>
        if bytes.starts(with: magic) {
            guard bytes.count >= header else {
                throw .damaged(path: path, reason: "\(bytes.count) bytes, shorter than its \(header)-byte header")
            }
            frameBytes = bytes[header...]
            let recorded = Array(bytes[magic.count..<header])
            let actual = SHA256.hash(frameBytes)
            guard actual.bytes == recorded else {
                throw .damaged(
                    path: path,
                    reason: "the SHA-256 of its \(frameBytes.count) frame bytes is \(actual.hex.prefix(16))…, "
                        + "its header records \(hexDigits(recorded).prefix(16))…")
            }
        } else if bytes.first == bareFrameTag {
            frameBytes = bytes[...]
        } else {
            throw .notAPolicyFile(path: path)
        }
        let frame: Frame
        // The file's own size bounds the policy it can hold (4 bytes a value), and so its decoding.
        let limits = DecodeLimits.weights(parameterCount: frameBytes.count / 4)
        do { frame = try Frame(decoding: Array(frameBytes), limits: limits) } catch { throw .invalid(path: path, error) }
        guard case .weights(let weights) = frame.payload else {
            throw .notAPolicy(path: path, kind: frame.kind.rawValue)
        }
        return weights
    }
}
