import XCTest

@testable import FleetEnvironments

/// A tiny byte-level vocabulary: byte `b`'s token is id `b`, then 20 merges (ids 256–275) and
/// `<|endoftext|>` (276). The ids below were checked with transformers' GPT2TokenizerFast and
/// GPT2Tokenizer on the same vocab.json and merges.txt.
enum TinyGPT2 {
    static let merges: [(String, String)] = [
        ("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("'", "s"), ("l", "l"), ("e", "ll"), ("H", "ell"), ("Hell", "o"),
        ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("Ġwor", "l"), ("Ġworl", "d"), ("Ġ", "Ġ"), ("1", "2"), ("Ċ", "Ċ"),
        ("Ã", "©"), ("c", "a"), ("ca", "f"), ("caf", "Ã©"),
    ]
    static let endOfText: Int32 = 276

    static var vocabulary: [String: Int32] {
        var vocabulary: [String: Int32] = [:]
        for byte in 0..<256 { vocabulary[String(ByteLevelAlphabet.characterOfByte[byte])] = Int32(byte) }
        for (left, right) in merges { vocabulary[left + right] = Int32(vocabulary.count) }
        vocabulary["<|endoftext|>"] = endOfText
        return vocabulary
    }

    static func tokenizer() throws -> GPT2Tokenizer {
        try GPT2Tokenizer(vocabulary: vocabulary, merges: merges)
    }
}

final class GPT2TokenizerTests: XCTestCase {
    func testEncodesTrickyTextAsTransformersDoes() throws {
        let tokenizer = try TinyGPT2.tokenizer()
        let cases: [(String, [Int32])] = [
            ("", []),
            ("Hello world", [263, 268]),  // merges chained by rank: l l, e ll, H ell, Hell o
            ("Hello  world", [263, 32, 268]),  // two spaces: a lone "Ġ", then "Ġworld"
            ("Hello   world", [263, 269, 268]),  // three: "ĠĠ", then "Ġworld"
            ("the  ", [116, 257, 269]),  // trailing spaces stay one word
            ("the", [116, 257]),
            (" the", [258]),  // a space belongs to the word after it
            ("he's", [257, 259]),  // contractions
            ("he'S", [257, 39, 83]),  // only lowercase ones
            ("'ll", [39, 260]),
            ("it's'd", [105, 116, 259, 39, 100]),
            ("a\n\nb", [97, 10, 10, 98]),  // newlines before a word split
            ("a\n\n", [97, 271]),  // and stay together at the end
            ("\n b", [10, 32, 98]),
            ("a\r\nb", [97, 13, 10, 98]),
            ("\t\t x", [9, 9, 32, 120]),
            ("x  \n", [120, 269, 10]),
            (" ", [32]),
            ("12345", [270, 51, 52, 53]),  // digits
            (" 12", [32, 270]),
            ("!!?", [33, 33, 63]),  // punctuation runs
            ("a,b", [97, 44, 98]),
            ("café", [275]),  // non-ASCII letters merge on their UTF-8 bytes
            (" café", [32, 275]),
            ("e\u{301}", [101, 204, 129]),  // a combining mark is not a letter
            ("aжb", [97, 208, 182, 98]),
            ("x\u{A0}y", [120, 194, 160, 121]),  // no-break space: whitespace, not " "
            ("a\u{1C}b", [97, 28, 98]),  // U+001C: not whitespace for the regex
            ("a \u{1C}", [97, 32, 28]),
            ("🚀", [240, 159, 154, 128]),  // unmerged bytes fall back to byte tokens
            ("lll", [260, 108]),  // leftmost first among equal ranks
            ("Hello world's 12 cafés!\n", [263, 268, 259, 32, 270, 32, 275, 115, 33, 10]),
            // The literal special token is plain text (transformers with split_special_tokens=True).
            ("<|endoftext|>", [60, 124, 101, 110, 100, 111, 102, 116, 101, 120, 116, 124, 62]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(tokenizer.encode(text), expected, "\(text.debugDescription)")
            // Twice: the second comes from the word cache.
            XCTAssertEqual(tokenizer.encode(text), expected, "\(text.debugDescription), cached")
        }
    }

    func testPreTokenizerCutsWordsAsGPT2sRegex() {
        let cases: [(String, [Substring])] = [
            ("Hello  world's 42!\n", ["Hello", " ", " world", "'s", " 42", "!", "\n"]),
            ("  a", [" ", " a"]),
            ("a   ", ["a", "   "]),
            ("a \tb", ["a", " ", "\t", "b"]),
            (" 's", [" '", "s"]),
            ("!'s", ["!'", "s"]),
            ("x'S", ["x", "'", "S"]),
            ("a\u{A0}\u{A0}b", ["a", "\u{A0}", "\u{A0}", "b"]),
            ("日本語 テキスト", ["日本語", " テキスト"]),
            ("٣٤ and ½²", ["٣٤", " and", " ½²"]),
            ("👍🏽 ok", ["👍🏽", " ok"]),
            // Unicode 14.0's classes, as Hugging Face tokenizers' Oniguruma: U+1C89 (a Cyrillic
            // letter of Unicode 16.0) is "other" there.
            ("aжb", ["aжb"]),
            ("a\u{1C89}b", ["a", "\u{1C89}", "b"]),
            ("a\u{1C}b", ["a", "\u{1C}", "b"]),
            ("a\u{2028}b", ["a", "\u{2028}", "b"]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(GPT2PreTokenizer.words(text), expected, "\(text.debugDescription)")
            XCTAssertEqual(GPT2PreTokenizer.words(text).joined(), text)
        }
        XCTAssertEqual(GPT2PreTokenizer.scalarClass("\u{3000}"), .whitespace)
        XCTAssertEqual(GPT2PreTokenizer.scalarClass("\u{85}"), .whitespace)
        XCTAssertEqual(GPT2PreTokenizer.scalarClass("\u{1F}"), .other)
        XCTAssertEqual(GPT2PreTokenizer.scalarClass("Ⅻ"), .number)
        XCTAssertEqual(GPT2PreTokenizer.scalarClass("ǅ"), .letter)
        XCTAssertEqual(GPT2PreTokenizer.scalarClass("\u{E000}"), .other)
    }

    func testByteLevelAlphabetIsGPT2s() {
        XCTAssertEqual(ByteLevelAlphabet.characterOfByte[0x20], "Ġ")
        XCTAssertEqual(ByteLevelAlphabet.characterOfByte[0x0A], "Ċ")
        XCTAssertEqual(ByteLevelAlphabet.characterOfByte[0x00], "Ā")
        XCTAssertEqual(ByteLevelAlphabet.characterOfByte[0xAD], "\u{143}")  // the last of the 68 moved bytes
        XCTAssertEqual(ByteLevelAlphabet.characterOfByte[Int(UInt8(ascii: "A"))], "A")
        XCTAssertEqual(ByteLevelAlphabet.characterOfByte[0xE9], "é")
        XCTAssertEqual(Set(ByteLevelAlphabet.characterOfByte).count, 256)
        XCTAssertEqual(ByteLevelAlphabet.spelling(of: Array(" hé".utf8)), "ĠhÃ©")
        XCTAssertEqual(ByteLevelAlphabet.bytes(ofSpelling: "ĠhÃ©"), Array(" hé".utf8))
        XCTAssertNil(ByteLevelAlphabet.bytes(ofSpelling: "a b"))
    }

    func testDecodeRoundTripsAndReadsEndOfTextAsPadBosAndEos() throws {
        let tokenizer = try TinyGPT2.tokenizer()
        XCTAssertEqual([tokenizer.pad, tokenizer.bos, tokenizer.eos], [276, 276, 276])
        for text in [
            "", " ", "Hello world's 12 cafés!\n", "  leading and trailing  ", "line\r\n\ttab", "数学の問題 🚀👩‍👩‍👧‍👦",
            "e\u{301} \u{A0}\u{2028}\u{1C}", "<|endoftext|> as text", String(repeating: "ü", count: 300),
        ] {
            let tokens = tokenizer.encode(text)
            XCTAssertEqual(tokenizer.decode(tokens), text)
            XCTAssertFalse(tokens.contains(tokenizer.eos), text)
            // A prompt: [bos] + tokens; a response: tokens + [eos], padded with eos.
            XCTAssertEqual(tokenizer.decode([tokenizer.bos] + tokens), text)
            XCTAssertEqual(tokenizer.decode(tokens + [tokenizer.eos, tokenizer.pad, tokenizer.pad]), text)
            if !tokens.isEmpty {
                XCTAssertEqual(tokenizer.decode(tokens + [tokenizer.eos] + tokenizer.encode("after")), text)
            }
            XCTAssertEqual(tokenizer.decode([tokenizer.pad, tokenizer.bos] + tokens + [tokenizer.eos]), text)
        }
        XCTAssertEqual(tokenizer.decode([276]), "")  // an empty response
        // Leading ones are skipped, so ids after an empty response's eos would be read (a sampled
        // response ends at its eos: none follow).
        XCTAssertEqual(tokenizer.decode([276, 263]), "Hello")
        XCTAssertEqual(tokenizer.decode([276, 263, 276, 268]), "Hello")
        XCTAssertEqual(tokenizer.decode([]), "")
        // Partial UTF-8 and ids without a token become U+FFFD.
        XCTAssertEqual(tokenizer.decode([0xC3, 65]), "\u{FFFD}A")
        XCTAssertEqual(tokenizer.decode([65, 0xE6, 0x95]), "A\u{FFFD}")
        XCTAssertEqual(tokenizer.decode([65, 277, -1, 66]), "A\u{FFFD}\u{FFFD}B")
    }

    func testVocabularySizeSpecAndSpecialTokens() throws {
        let tokenizer = try TinyGPT2.tokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 277)
        XCTAssertEqual(tokenizer.mergeCount, 20)
        XCTAssertTrue(tokenizer.spec.hasPrefix("gpt2-bpe-v1;vocabulary=277;merges=20;pad=bos=eos=276;sha256="), tokenizer.spec)
        XCTAssertEqual(tokenizer.spec, try TinyGPT2.tokenizer().spec)
        XCTAssertNotEqual(tokenizer.spec, ByteTokenizer().spec)
        XCTAssertEqual(tokenizer.token(of: 268), "Ġworld")
        XCTAssertNil(tokenizer.token(of: 277))

        // Swapping two merges' ranks, or one token's id, changes the spec.
        var swapped = TinyGPT2.merges
        swapped.swapAt(0, 1)
        XCTAssertNotEqual(try GPT2Tokenizer(vocabulary: TinyGPT2.vocabulary, merges: swapped).spec, tokenizer.spec)
        var renumbered = TinyGPT2.vocabulary
        renumbered["<|endoftext|>"] = 400
        let sparse = try GPT2Tokenizer(vocabulary: renumbered, merges: TinyGPT2.merges)
        XCTAssertNotEqual(sparse.spec, tokenizer.spec)
        XCTAssertEqual(sparse.vocabularySize, 401)
        XCTAssertEqual(sparse.decode([65, 300, 66]), "A\u{FFFD}B")  // no token has id 300

        // Special tokens beyond the vocabulary count, and decode as their text.
        let padded = try GPT2Tokenizer(
            vocabulary: TinyGPT2.vocabulary, merges: TinyGPT2.merges, specialTokens: ["<|endoftext|>": 276, "<my pad>": 280])
        XCTAssertEqual(padded.vocabularySize, 281)
        XCTAssertEqual(padded.eos, 276)
        XCTAssertEqual(padded.decode([263, 280, 268]), "Hello<my pad> world")
        XCTAssertEqual(padded.encode("<my pad>"), [60, 109, 121, 32, 112, 97, 100, 62])  // plain text
        XCTAssertNotEqual(padded.spec, tokenizer.spec)

        // The special token may come from specialTokens alone.
        var withoutEndOfText = TinyGPT2.vocabulary
        withoutEndOfText["<|endoftext|>"] = nil
        let added = try GPT2Tokenizer(vocabulary: withoutEndOfText, merges: TinyGPT2.merges, specialTokens: ["<|endoftext|>": 276])
        XCTAssertEqual(added.spec, tokenizer.spec)
        XCTAssertEqual(added.eos, 276)
    }

    func testWordCacheKeepsCanonicallyEquivalentWordsApart() throws {
        let tokenizer = try TinyGPT2.tokenizer()
        // "é" and "e\u{301}" are equal as Swift Strings but not as bytes.
        XCTAssertEqual(tokenizer.encode("café"), [275])
        XCTAssertEqual(tokenizer.encode("cafe\u{301}"), [274, 101, 204, 129])
        XCTAssertEqual(tokenizer.encode("café"), [275])
        XCTAssertEqual(tokenizer.encode("\u{2F826}"), [240, 175, 160, 166])  // a CJK compatibility ideograph
        XCTAssertEqual(tokenizer.encode("\u{52C9}"), [229, 139, 137])  // its canonical equivalent
    }

    func testEncodesThousandsOfLinesQuickly() throws {
        let tokenizer = try TinyGPT2.tokenizer()
        var generator = SystemRandomNumberGenerator()
        let words = ["Hello", "world", "the", "café", "12", "he's", "🚀", "数学", "  ", "\n", "!", "x"]
        let lines = (0..<5000).map { _ in (0..<20).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ") }
        let start = ContinuousClock.now
        var total = 0
        for line in lines { total += tokenizer.encode(line).count }
        let elapsed = ContinuousClock.now - start
        print("GPT2Tokenizer: 5000 lines, \(total) tokens in \(elapsed); \(tokenizer.cachedWordCount) words cached")
        XCTAssertLessThan(elapsed, .seconds(20))
        XCTAssertLessThan(tokenizer.cachedWordCount, 100)
        // A long word without spaces: merges by a queue, not pairs rescanned per merge.
        let long = String(repeating: "l", count: 20_000)
        XCTAssertEqual(tokenizer.encode(long), [Int32](repeating: 260, count: 10_000))
    }

    func testRefusesBadVocabulariesAndMerges() {
        func refusal(
            _ vocabulary: [String: Int32], _ merges: [(String, String)] = TinyGPT2.merges,
            special: [String: Int32] = [:]
        ) -> String {
            do {
                _ = try GPT2Tokenizer(vocabulary: vocabulary, merges: merges, specialTokens: special)
                return "accepted"
            } catch {
                return error.description
            }
        }
        var vocabulary = TinyGPT2.vocabulary
        vocabulary["<|endoftext|>"] = nil
        XCTAssertEqual(
            refusal(vocabulary),
            "vocabulary: no \"<|endoftext|>\" token: GPT-2's padding, beginning and end of sequence")
        vocabulary = TinyGPT2.vocabulary
        vocabulary["Ġ"] = nil
        XCTAssertEqual(
            refusal(vocabulary, []),
            "vocabulary: no token for byte 0x20 (\"Ġ\"): a byte-level vocabulary spells every byte")
        vocabulary = TinyGPT2.vocabulary
        vocabulary["extra"] = -3
        XCTAssertEqual(refusal(vocabulary), "vocabulary: field '\"extra\"': id -3 is negative")
        vocabulary = TinyGPT2.vocabulary
        vocabulary["extra"] = 268
        XCTAssertEqual(refusal(vocabulary), "vocabulary: field '\"Ġworld\"': id 268 is also the id of \"extra\"")
        XCTAssertEqual(
            refusal(TinyGPT2.vocabulary, TinyGPT2.merges + [("Ġworld", "s")]),
            "merges: field 'merges[20]': the merged token \"Ġworlds\" is not in the vocabulary")
        XCTAssertEqual(
            refusal(TinyGPT2.vocabulary, [("h", "e"), ("xyz", "e")]),
            "merges: field 'merges[1]': \"xyz\" is not in the vocabulary")
        XCTAssertEqual(
            refusal(TinyGPT2.vocabulary, [("h", "e"), ("e", "xyz")]),
            "merges: field 'merges[1]': \"xyz\" is not in the vocabulary")
        XCTAssertEqual(
            refusal(TinyGPT2.vocabulary, special: ["<|endoftext|>": 50256]),
            "specialTokens: field '\"<|endoftext|>\"': id 50256, but the vocabulary's \"<|endoftext|>\" is 276")
        XCTAssertEqual(
            refusal(TinyGPT2.vocabulary, special: ["<pad>": 263]),
            "specialTokens: field '\"<pad>\"': id 263 is also the id of \"Hello\"")
        XCTAssertEqual(refusal(TinyGPT2.vocabulary, special: ["<pad>": -1]), "specialTokens: field '\"<pad>\"': id -1 is negative")
    }
}
