/// A byte-level tokenizer: any UTF-8 text, with the special tokens `pad = 0`, `bos = 1`, `eos = 2`,
/// then byte `b` as id `3 + b` (259 ids).
///
/// ```
/// ByteTokenizer().encode("é!")              // [198, 172, 36]: 0xC3 0xA9 '!' plus 3
/// ByteTokenizer().decode([1, 198, 172, 2])  // "é" (stops at eos)
/// ```
///
/// `decode` is lenient: bytes that are not valid UTF-8, and ids outside the vocabulary, become
/// U+FFFD (the replacement character).
public struct ByteTokenizer: PromptTokenizer, Hashable {
    /// The number of special tokens before the bytes.
    public static let specialCount = 3

    /// Padding (never produced by `encode`; skipped by `decode`).
    public let pad: Int32 = 0
    /// Beginning of sequence: the first token of every prompt.
    public let bos: Int32 = 1
    /// End of sequence: ends every response.
    public let eos: Int32 = 2

    /// The byte tokenizer (it has no options).
    public init() {}

    /// 3 special tokens and 256 bytes.
    public var vocabularySize: Int { Self.specialCount + 256 }

    /// `byte-tokenizer-v1;pad=0;bos=1;eos=2;byte=3+b`.
    public var spec: String { "byte-tokenizer-v1;pad=0;bos=1;eos=2;byte=3+b" }

    /// `3 + b` for each UTF-8 byte `b` of `text`; every text encodes.
    public func encode(_ text: String) -> [Int32] {
        text.utf8.map { Int32(Self.specialCount) + Int32($0) }
    }

    /// The UTF-8 text of the byte tokens before the first `eos`; `pad` and `bos` are skipped,
    /// invalid UTF-8 and ids outside the vocabulary become U+FFFD.
    public func decode(_ tokens: [Int32]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count)
        for token in tokens {
            if token == eos { break }
            if token == pad || token == bos { continue }
            let byte = Int(token) - Self.specialCount
            if (0..<256).contains(byte) {
                bytes.append(UInt8(byte))
            } else {
                bytes += [0xEF, 0xBF, 0xBD]  // U+FFFD
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
