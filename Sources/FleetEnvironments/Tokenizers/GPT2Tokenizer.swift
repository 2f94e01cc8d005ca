import FleetDigest

/// GPT-2's byte-level BPE tokenizer, read from a Hugging Face model folder: text to the ids a GPT-2
/// checkpoint was trained on, and back.
///
/// ```
/// let tokenizer = try GPT2Tokenizer(folder: "models/gpt2")  // tokenizer.json, or vocab.json + merges.txt
/// try tokenizer.encode("Hello world")                     // [15496, 995] with GPT-2's vocabulary
/// tokenizer.decode([15496, 995, 50256])                    // "Hello world" (stops at <|endoftext|>)
/// ```
///
/// `encode` gives the ids of transformers' `GPT2TokenizerFast(text).input_ids`: GPT-2's regex cuts
/// the text into words (``GPT2PreTokenizer``), each word's UTF-8 bytes are spelled in GPT-2's
/// byte alphabet (``ByteLevelAlphabet``) and merged by rank (``BytePairMerges``); every text
/// encodes. One difference: text holding the literal `<|endoftext|>` encodes it as plain text
/// (`<`, `|`, `endoftext`, …), as transformers does with `split_special_tokens=True`, so a
/// dataset's text can never end a prompt or a response early; transformers' default gives the
/// special id there.
///
/// GPT-2 has one special token, `<|endoftext|>`, and it is ``pad``, ``bos`` and ``eos`` at once;
/// see ``decode(_:)`` for how that reads.
public struct GPT2Tokenizer: PromptTokenizer {
    /// The special token's text.
    public static let endOfText = "<|endoftext|>"
    /// The most distinct words whose tokens are kept for reuse.
    public static let cacheCapacity = 100_000

    /// Padding: `<|endoftext|>`.
    public let pad: Int32
    /// Beginning of sequence: `<|endoftext|>`, as GPT-2 starts a document.
    public let bos: Int32
    /// End of sequence: `<|endoftext|>`.
    public let eos: Int32
    /// One more than the largest id of the vocabulary and the special tokens: the model's
    /// vocabulary (50257 for GPT-2).
    public let vocabularySize: Int
    /// `gpt2-bpe-v1;vocabulary=<n>;merges=<m>;pad=bos=eos=<id>;sha256=<hex>`, the hash over every
    /// id's token and every merge in rank order; the same for a folder's tokenizer.json and its
    /// vocab.json with merges.txt.
    public let spec: String

    /// The number of merges.
    public let mergeCount: Int
    private let merges: BytePairMerges
    /// The bytes of each id's token; nil for an id no token has.
    private let bytesOfID: [[UInt8]?]
    private let cache: WordCache

    /// A tokenizer over `vocabulary` (byte-level spellings to ids) and `merges` (pairs of
    /// spellings, lowest rank first), with `specialTokens` (texts to ids) besides, as a tokenizer.json's
    /// added tokens. `<|endoftext|>` must be in one of them.
    ///
    /// - Throws: ``GPT2TokenizerError`` for a negative or repeated id, a byte without its token, a
    ///   merge of or to a spelling outside the vocabulary, a special token whose id differs from the
    ///   vocabulary's, or no `<|endoftext|>`.
    public init(
        vocabulary: [String: Int32], merges: [(String, String)], specialTokens: [String: Int32] = [:]
    ) throws(GPT2TokenizerError) {
        try self.init(vocabulary: vocabulary, merges: merges, specialTokens: specialTokens, origin: .memory)
    }

    init(
        vocabulary: [String: Int32], merges mergeList: [(String, String)], specialTokens: [String: Int32],
        origin: Origin
    ) throws(GPT2TokenizerError) {
        var tokenOfID: [Int32: String] = [:]
        for (token, id) in vocabulary.sorted(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
            guard id >= 0 else { throw origin.vocabularyError(token: token, "id \(id) is negative") }
            if let other = tokenOfID[id] {
                throw origin.vocabularyError(token: token, "id \(id) is also the id of \(quoted(other))")
            }
            tokenOfID[id] = token
        }
        for (token, id) in specialTokens.sorted(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
            guard id >= 0 else { throw origin.specialTokenError(token: token, "id \(id) is negative") }
            if let vocabularyID = vocabulary[token] {
                guard vocabularyID == id else {
                    throw origin.specialTokenError(
                        token: token, "id \(id), but the vocabulary's \(quoted(token)) is \(vocabularyID)")
                }
            } else if let other = tokenOfID[id] {
                throw origin.specialTokenError(token: token, "id \(id) is also the id of \(quoted(other))")
            }
            tokenOfID[id] = token
        }
        guard let endOfText = specialTokens[Self.endOfText] ?? vocabulary[Self.endOfText] else {
            throw origin.vocabularyError(
                token: nil, "no \(quoted(Self.endOfText)) token: GPT-2's padding, beginning and end of sequence")
        }

        var idOfByte: [Int32] = []
        for byte in 0...255 {
            let spelling = String(ByteLevelAlphabet.characterOfByte[byte])
            guard let id = vocabulary[spelling] else {
                throw origin.vocabularyError(
                    token: nil, "no token for byte 0x\(String(byte, radix: 16, uppercase: true)) (\(quoted(spelling))): "
                        + "a byte-level vocabulary spells every byte")
            }
            idOfByte.append(id)
        }

        var mergeOfPair: [UInt64: BytePairMerges.Merge] = [:]
        for (rank, (left, right)) in mergeList.enumerated() {
            guard let leftID = vocabulary[left] else {
                throw origin.mergeError(rank: rank, "\(quoted(left)) is not in the vocabulary")
            }
            guard let rightID = vocabulary[right] else {
                throw origin.mergeError(rank: rank, "\(quoted(right)) is not in the vocabulary")
            }
            guard let merged = vocabulary[left + right] else {
                throw origin.mergeError(rank: rank, "the merged token \(quoted(left + right)) is not in the vocabulary")
            }
            // A later duplicate takes the later rank, as Hugging Face's tokenizers and transformers do.
            mergeOfPair[BytePairMerges.pairKey(leftID, rightID)] = .init(rank: Int32(rank), merged: merged)
        }

        let size = Int(tokenOfID.keys.max() ?? -1) + 1
        var bytesOfID = [[UInt8]?](repeating: nil, count: size)
        for (id, token) in tokenOfID {
            // Hugging Face's byte-level decoder: a token outside the byte alphabet stands for its own text.
            bytesOfID[Int(id)] = ByteLevelAlphabet.bytes(ofSpelling: token) ?? Array(token.utf8)
        }

        pad = endOfText
        bos = endOfText
        eos = endOfText
        vocabularySize = size
        mergeCount = mergeList.count
        merges = BytePairMerges(idOfByte: idOfByte, mergeOfPair: mergeOfPair)
        self.bytesOfID = bytesOfID
        cache = WordCache(capacity: Self.cacheCapacity)
        spec = Self.spec(tokenOfID: tokenOfID, merges: mergeList, vocabularySize: size, endOfText: endOfText)
    }

    /// The ids of `text`, without special tokens; every text encodes.
    public func encode(_ text: String) -> [Int32] {
        var tokens: [Int32] = []
        tokens.reserveCapacity(text.utf8.count / 3 + 1)
        for word in GPT2PreTokenizer.words(text) {
            tokens += cache.tokens(of: Array(word.utf8)) { merges.tokens(ofWord: $0) }
        }
        return tokens
    }

    /// The text of `tokens`, read for `<|endoftext|>` being pad, bos and eos at once: it is skipped
    /// before the first other id (a prompt's bos, left padding) and ends the text after it (a
    /// response's eos). So `decode(prompt)` is the prompt's text, and `decode(response)` the text
    /// before its eos; an empty response (`[eos]`) is "".
    ///
    /// Bytes that are not UTF-8, and ids without a token, become U+FFFD (transformers drops ids
    /// without a token).
    public func decode(_ tokens: [Int32]) -> String {
        var bytes: [UInt8] = []
        var started = false
        for token in tokens {
            if token == eos {
                if started { break }
                continue
            }
            started = true
            if token >= 0, Int(token) < bytesOfID.count, let tokenBytes = bytesOfID[Int(token)] {
                bytes += tokenBytes
            } else {
                bytes += [0xEF, 0xBF, 0xBD]  // U+FFFD
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The words GPT-2's regex cuts `text` into before merging (``GPT2PreTokenizer``): no token
    /// spans two of them.
    public static func words(_ text: String) -> [Substring] {
        GPT2PreTokenizer.words(text)
    }

    /// The byte-level spelling of `id`'s token (`Ġworld`), or nil when no token has that id.
    public func token(of id: Int32) -> String? {
        guard id >= 0, Int(id) < bytesOfID.count, let bytes = bytesOfID[Int(id)] else { return nil }
        return ByteLevelAlphabet.spelling(of: bytes)
    }

    /// The number of distinct words whose tokens are cached.
    var cachedWordCount: Int { cache.count }

    /// The spec: sizes, the special id, and a SHA-256 of every id's token and every merge.
    private static func spec(
        tokenOfID: [Int32: String], merges: [(String, String)], vocabularySize: Int, endOfText: Int32
    ) -> String {
        var canonical: [UInt8] = Array("gpt2-bpe-v1\n".utf8)
        func field(_ text: String) {
            canonical += Array("\(text.utf8.count):".utf8) + Array(text.utf8)
        }
        for (id, token) in tokenOfID.sorted(by: { $0.key < $1.key }) {
            canonical += Array("\(id) ".utf8)
            field(token)
            canonical.append(0x0A)
        }
        canonical += Array("merges\n".utf8)
        for (left, right) in merges {
            field(left)
            canonical.append(0x20)
            field(right)
            canonical.append(0x0A)
        }
        return "gpt2-bpe-v1;vocabulary=\(vocabularySize);merges=\(merges.count);pad=bos=eos=\(endOfText);"
            + "sha256=\(SHA256.hash(canonical).hex)"
    }
}

private func quoted(_ text: String) -> String { GPT2TokenizerError.quoted(text) }
