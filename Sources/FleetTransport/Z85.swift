/// ZeroMQ's Z85 text encoding of binary keys: 32 bytes are 40 characters.
public enum Z85 {
    /// `bytes` as Z85 text; nil unless the count is a multiple of 4.
    ///
    /// The corresponding C function is `zmq_z85_encode`.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        guard !bytes.isEmpty else { return "" }
        var text = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        let encoded = bytes.withUnsafeBufferPointer { _zmqZ85Encode(&text, $0.baseAddress!, $0.count) }
        guard encoded != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes `text` encodes; nil unless its length is a multiple of 5 and every character is
    /// in the Z85 alphabet (libzmq >= 4.3.3 checks both).
    ///
    /// The corresponding C function is `zmq_z85_decode`.
    public static func decode(_ text: String) -> [UInt8]? {
        let count = text.utf8.count
        guard count % 5 == 0, !text.utf8.contains(0) else { return nil }
        var bytes = [UInt8](repeating: 0, count: count / 5 * 4)
        let decoded = text.withCString { _zmqZ85Decode(&bytes, $0) }
        return decoded == nil ? nil : bytes
    }

    /// Whether `text` is a CURVE key in Z85: 40 characters of the alphabet (32 bytes).
    public static func isKey(_ text: String) -> Bool {
        text.utf8.count == 40 && decode(text) != nil
    }
}
