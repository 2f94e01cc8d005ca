import XCTest

@testable import FleetEnvironments

final class CharacterTokenizerTests: XCTestCase {
    let tokenizer = CharacterTokenizer.standard

    func testIds() {
        XCTAssertEqual([tokenizer.pad, tokenizer.bos, tokenizer.eos], [0, 1, 2])
        XCTAssertEqual(tokenizer.vocabularySize, 45)
        let alphabet = "0123456789+=<>:,abcdefghijklmnopqrstuvwxyz"
        for (offset, character) in alphabet.enumerated() {
            XCTAssertEqual(tokenizer.id(of: character), Int32(3 + offset), "\(character)")
            XCTAssertEqual(tokenizer.character(for: Int32(3 + offset)), character)
        }
        XCTAssertEqual(try tokenizer.encode("07+45="), [3, 10, 13, 7, 8, 14])
        XCTAssertEqual(try tokenizer.encode("az>:,<"), [19, 44, 16, 17, 18, 15])
        XCTAssertNil(tokenizer.character(for: 0))
        XCTAssertNil(tokenizer.character(for: 45))
        XCTAssertNil(tokenizer.id(of: "A"))
    }

    func testRoundTrip() throws {
        let texts = [
            "", "0", "123+456=579", "hello>olleh", "3141:1134", "a,b<c>d:e", CharacterTokenizer.standardAlphabet,
        ]
        for text in texts {
            let tokens = try tokenizer.encode(text)
            XCTAssertEqual(tokens.count, text.count)
            XCTAssertEqual(tokenizer.decode(tokens), text)
            XCTAssertEqual(tokenizer.decode([tokenizer.bos] + tokens + [tokenizer.eos]), text)
        }
    }

    func testDecodeStopsAtEosSkipsSpecialsAndMarksUnknownIds() {
        XCTAssertEqual(tokenizer.decode([1, 8, 0, 4, 2, 5, 6]), "51")
        XCTAssertEqual(tokenizer.decode([2, 5]), "")
        XCTAssertEqual(tokenizer.decode([3, 45, -1, 999, 3]), "0???0")
        XCTAssertEqual(tokenizer.decode([]), "")
    }

    func testEncodeNamesTheUnknownCharacter() {
        XCTAssertThrowsError(try tokenizer.encode("12 +3")) { error in
            let error = error as! UnknownCharacterError
            XCTAssertEqual(error.character, " ")
            XCTAssertEqual(error.offset, 2)
            XCTAssertTrue(error.description.contains("' ' (U+0020) at offset 2"), error.description)
        }
        XCTAssertThrowsError(try tokenizer.encode("abC")) { error in
            XCTAssertEqual((error as! UnknownCharacterError).character, "C")
        }
        XCTAssertThrowsError(try tokenizer.encode("é")) { error in
            XCTAssertTrue("\(error)".contains("U+00E9"), "\(error)")
        }
    }

    func testSpecIsCanonical() {
        XCTAssertEqual(
            tokenizer.spec,
            #"character-tokenizer-v1;pad=0;bos=1;eos=2;alphabet="0123456789+=<>:,abcdefghijklmnopqrstuvwxyz""#)
        XCTAssertEqual(CharacterTokenizer(alphabet: "0123456789+=<>:,abcdefghijklmnopqrstuvwxyz"), tokenizer)
        XCTAssertNotEqual(CharacterTokenizer(alphabet: "ab").spec, tokenizer.spec)
    }
}
