import XCTest

@testable import FleetEnvironments

final class ByteTokenizerTests: XCTestCase {
    let tokenizer = ByteTokenizer()

    func testSpecialTokensAndVocabulary() {
        XCTAssertEqual([tokenizer.pad, tokenizer.bos, tokenizer.eos], [0, 1, 2])
        XCTAssertEqual(tokenizer.vocabularySize, 259)
        XCTAssertEqual(tokenizer.encode("A\n"), [3 + 65, 3 + 10])
        XCTAssertEqual(tokenizer.encode("é"), [3 + 0xC3, 3 + 0xA9])
        XCTAssertEqual(tokenizer.encode(""), [])
        XCTAssertEqual(tokenizer.spec, "byte-tokenizer-v1;pad=0;bos=1;eos=2;byte=3+b")
        XCTAssertNotEqual(tokenizer.spec, CharacterTokenizer.standard.spec)
    }

    func testRoundTripsAnyUTF8() {
        for text in [
            "", " ", "Tom has 3 apples.", "  leading and trailing  ", "line one\nline two\r\n\ttabbed",
            "café, naïve, Ångström, Straße", "数学の問題: 三たす五は？", "emoji 🚀👩‍👩‍👧‍👦 and flags 🇯🇵",
            "math: ∑ x² ≤ ∞, \\boxed{\\frac{1}{2}}", "quotes \"'` and nul \u{0}", String(repeating: "ü", count: 300),
        ] {
            let tokens = tokenizer.encode(text)
            XCTAssertEqual(tokens.count, text.utf8.count, text)
            XCTAssertTrue(tokens.allSatisfy { $0 >= 3 && $0 < 259 }, text)
            XCTAssertEqual(tokenizer.decode(tokens), text)
            XCTAssertEqual(tokenizer.decode([tokenizer.bos] + tokens + [tokenizer.eos] + tokenizer.encode("after")), text)
        }
    }

    func testDecodeStopsAtEosSkipsPadAndBosAndIsLenient() {
        XCTAssertEqual(tokenizer.decode([1, 3 + 104, 0, 3 + 105, 2, 3 + 33]), "hi")
        XCTAssertEqual(tokenizer.decode([2, 3 + 65]), "")
        XCTAssertEqual(tokenizer.decode([]), "")
        // A lone continuation byte, a truncated sequence, and ids outside the vocabulary: U+FFFD.
        XCTAssertEqual(tokenizer.decode([3 + 0x80, 3 + 65]), "\u{FFFD}A")
        XCTAssertEqual(tokenizer.decode([3 + 65, 3 + 0xE6, 3 + 0x95]), "A\u{FFFD}")
        XCTAssertEqual(tokenizer.decode([3 + 65, 259, -1, 3 + 66]), "A\u{FFFD}\u{FFFD}B")
    }

    func testBothTokenizersServeAsPromptTokenizers() throws {
        let tokenizers: [any PromptTokenizer] = [ByteTokenizer(), CharacterTokenizer.standard]
        for tokenizer in tokenizers {
            XCTAssertEqual(tokenizer.decode(try tokenizer.encode("12+34=")), "12+34=")
        }
        XCTAssertThrowsError(try (CharacterTokenizer.standard as any PromptTokenizer).encode("Tom")) { error in
            XCTAssertTrue("\(error)".contains("'T' (U+0054) at offset 0"), "\(error)")
        }
    }
}
