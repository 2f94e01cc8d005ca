/// GPT-2's `bytes_to_unicode`: each byte as a printable character, so a byte-level vocabulary
/// holds no whitespace or control characters.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes, in
/// order, become U+0100 and on (space is `Ġ`, U+0120; newline is `Ċ`, U+010A).
enum ByteLevelAlphabet {
    /// The character of each byte.
    static let characterOfByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if standsForItself(UInt8(byte)) {
                scalars[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                scalars[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return scalars
    }()

    /// The byte of each character of the alphabet.
    static let byteOfCharacter: [Unicode.Scalar: UInt8] = {
        var bytes: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in characterOfByte.enumerated() { bytes[scalar] = UInt8(byte) }
        return bytes
    }()

    /// Whether `byte` is printable Latin-1 other than space and the soft hyphen.
    private static func standsForItself(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    /// The byte-level spelling of `bytes`: `" hé"` is `Ġh` followed by `Ã©`.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(characterOfByte[Int(byte)]) }
        return String(text)
    }

    /// The bytes a byte-level token spells, or nil when a character is outside the alphabet.
    static func bytes(ofSpelling token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byteOfCharacter[scalar] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
