/// A character-level tokenizer with three special tokens: `pad = 0`, `bos = 1`, `eos = 2`, then
/// one id per character of a fixed ASCII alphabet, in order (the first character is id 3).
///
/// ```
/// let tokens = try CharacterTokenizer.standard.encode("07+45=")  // [3, 10, 13, 7, 8, 14]
/// CharacterTokenizer.standard.decode(tokens + [2, 5])            // "07+45=" (stops at eos)
/// ```
///
/// `encode` adds no special tokens; a prompt is `[bos] + encode(text)`.
public struct CharacterTokenizer: PromptTokenizer, Hashable {
    /// The alphabet of `standard`: digits, the prompt operators, lowercase letters.
    public static let standardAlphabet = "0123456789+=<>:,abcdefghijklmnopqrstuvwxyz"

    /// Fleet's tokenizer for every prompt task: 45 ids.
    public static let standard = CharacterTokenizer(alphabet: standardAlphabet)

    /// Padding (never produced by `encode`; skipped by `decode`).
    public let pad: Int32 = 0
    /// Beginning of sequence: the first token of every prompt.
    public let bos: Int32 = 1
    /// End of sequence: ends every response.
    public let eos: Int32 = 2
    /// The characters after the special tokens, in id order.
    public let alphabet: [Character]
    /// The id of each ASCII code, or -1 for a character outside the alphabet.
    private let idOfASCII: [Int32]

    /// The number of special tokens before the alphabet.
    public static let specialCount = 3

    /// A tokenizer over `alphabet`: distinct ASCII characters, none of them a control character.
    public init(alphabet: String) {
        var idOfASCII = [Int32](repeating: -1, count: 128)
        for (offset, character) in alphabet.enumerated() {
            guard let ascii = character.asciiValue, ascii >= 0x20, ascii < 0x7F else {
                preconditionFailure("tokenizer alphabet character '\(character)' is not printable ASCII")
            }
            precondition(idOfASCII[Int(ascii)] == -1, "tokenizer alphabet repeats '\(character)'")
            idOfASCII[Int(ascii)] = Int32(Self.specialCount + offset)
        }
        self.alphabet = Array(alphabet)
        self.idOfASCII = idOfASCII
    }

    /// The number of ids: the special tokens plus the alphabet.
    public var vocabularySize: Int { Self.specialCount + alphabet.count }

    /// A canonical description of the vocabulary, for spec hashes: two tokenizers with the same
    /// spec map every text and id the same way.
    public var spec: String {
        "character-tokenizer-v1;pad=0;bos=1;eos=2;alphabet=\"\(String(alphabet))\""
    }

    /// The id of `character`, or nil if it is not in the alphabet.
    public func id(of character: Character) -> Int32? {
        guard let ascii = character.asciiValue else { return nil }
        let id = idOfASCII[Int(ascii)]
        return id < 0 ? nil : id
    }

    /// The character with id `token`, or nil for a special token or an id outside the vocabulary.
    public func character(for token: Int32) -> Character? {
        let offset = Int(token) - Self.specialCount
        return alphabet.indices.contains(offset) ? alphabet[offset] : nil
    }

    /// The ids of the characters of `text`, without special tokens.
    /// - Throws: `UnknownCharacterError` for the first character outside the alphabet.
    public func encode(_ text: String) throws(UnknownCharacterError) -> [Int32] {
        var tokens: [Int32] = []
        tokens.reserveCapacity(text.utf8.count)
        for (offset, character) in text.enumerated() {
            guard let id = id(of: character) else {
                throw UnknownCharacterError(character: character, offset: offset, alphabet: String(alphabet))
            }
            tokens.append(id)
        }
        return tokens
    }

    /// The text of `tokens` up to the first `eos`: `pad` and `bos` are skipped, ids outside the
    /// vocabulary are rendered as `?`.
    public func decode(_ tokens: [Int32]) -> String {
        var text = ""
        for token in tokens {
            if token == eos { break }
            if token == pad || token == bos { continue }
            text.append(character(for: token) ?? "?")
        }
        return text
    }
}

/// A character `CharacterTokenizer.encode` cannot encode.
public struct UnknownCharacterError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The character.
    public let character: Character
    /// Its position in the text, in characters from 0.
    public let offset: Int
    /// The tokenizer's alphabet.
    public let alphabet: String

    /// Names the character (with its Unicode scalars), its offset and the alphabet.
    public var description: String {
        let scalars = character.unicodeScalars.map { scalar in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return "character '\(character)' (\(scalars.joined(separator: " "))) at offset \(offset) "
            + "is not in the tokenizer's alphabet \"\(alphabet)\""
    }
}
