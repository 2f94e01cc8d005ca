/// Text that came from a peer (a sender id, a host name, a reason), made fit for one log line:
/// printable ASCII only, and short. A newline in a host name must not start a forged log line, and
/// a megabyte of it must not reach the log.
package enum PeerText {
    /// The longest escaped text a log line carries, in characters, before it is cut.
    package static let maxLoggedCharacters = 200

    /// `text` with the backslash and every character outside printable ASCII escaped (`\n`, `\r`,
    /// `\t`, `\\`, `\xNN` for other control bytes, `\u{...}` beyond ASCII), cut after `limit`
    /// characters with a note of how many bytes were left out.
    package static func escaped(_ text: String, limit: Int = maxLoggedCharacters) -> String {
        var out = ""
        var consumedBytes = 0
        for scalar in text.unicodeScalars {
            let piece: String
            switch scalar.value {
            case 0x5C: piece = "\\\\"
            case 0x0A: piece = "\\n"
            case 0x0D: piece = "\\r"
            case 0x09: piece = "\\t"
            case 0x20...0x7E: piece = String(scalar)
            case 0..<0x80: piece = "\\x" + hex(scalar.value, width: 2)
            default: piece = "\\u{" + hex(scalar.value, width: 1) + "}"
            }
            if out.utf8.count + piece.utf8.count > limit {
                return out + "…[\(text.utf8.count - consumedBytes) more bytes]"
            }
            out += piece
            consumedBytes += String(scalar).utf8.count
        }
        return out
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
