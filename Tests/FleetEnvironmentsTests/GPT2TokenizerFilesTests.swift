import Foundation
import XCTest

@testable import FleetEnvironments

/// Loading GPT-2 tokenizer folders (tokenizer.json; vocab.json with merges.txt) and refusing what
/// Fleet does not read, by file and field.
final class GPT2TokenizerFilesTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-gpt2-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: - Writing folders

    /// GPT-2's tokenizer.json layout around the tiny vocabulary.
    private func tokenizerJSON(mergesAsPairs: Bool = false) -> [String: Any] {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]
        let merges: [Any] = TinyGPT2.merges.map { mergesAsPairs ? [$0.0, $0.1] as Any : "\($0.0) \($0.1)" as Any }
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": [
                [
                    "id": 276, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": true, "special": true,
                ] as [String: Any]
            ],
            "normalizer": NSNull(), "pre_tokenizer": byteLevel, "post_processor": byteLevel, "decoder": byteLevel,
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": "",
                "end_of_word_suffix": "", "fuse_unk": false, "vocab": TinyGPT2.vocabulary.mapValues { Int($0) },
                "merges": merges,
            ] as [String: Any],
        ]
    }

    private func write(_ json: Any, to name: String) throws {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
        try data.write(to: folder.appendingPathComponent(name))
    }

    private func writeText(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }

    private func writeVocabularyAndMerges(header: String = "#version: 0.2\n", lineEnd: String = "\n") throws {
        try write(TinyGPT2.vocabulary.mapValues { Int($0) }, to: "vocab.json")
        try writeText(header + TinyGPT2.merges.map { "\($0.0) \($0.1)\(lineEnd)" }.joined(), to: "merges.txt")
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The error loading the folder, or "loaded".
    private func refusal() -> String {
        do {
            _ = try GPT2Tokenizer(folder: folder.path)
            return "loaded"
        } catch {
            return error.description
        }
    }

    /// The error loading the folder's tokenizer.json after `change`, less the file's path.
    private func tokenizerJSONRefusal(_ change: (inout [String: Any]) -> Void) throws -> String {
        var json = tokenizerJSON()
        change(&json)
        try write(json, to: "tokenizer.json")
        let message = refusal()
        let prefix = path("tokenizer.json") + ": "
        XCTAssertTrue(message.hasPrefix(prefix), message)
        return String(message.dropFirst(prefix.count))
    }

    // MARK: - Loading

    func testLoadsTokenizerJSONAndVocabularyWithMergesAlike() throws {
        let inMemory = try TinyGPT2.tokenizer()
        try writeVocabularyAndMerges()
        let fromFiles = try GPT2Tokenizer(folder: folder.path)
        for mergesAsPairs in [false, true] {
            try write(tokenizerJSON(mergesAsPairs: mergesAsPairs), to: "tokenizer.json")  // preferred when present
            let fromJSON = try GPT2Tokenizer(folder: folder.path)
            XCTAssertEqual(fromJSON.spec, inMemory.spec)
            XCTAssertEqual(fromJSON.encode("Hello world's 12 cafés!\n"), [263, 268, 259, 32, 270, 32, 275, 115, 33, 10])
        }
        XCTAssertEqual(fromFiles.spec, inMemory.spec)
        XCTAssertEqual(fromFiles.vocabularySize, 277)
        XCTAssertEqual(fromFiles.eos, 276)
        XCTAssertEqual(fromFiles.encode("Hello  world"), [263, 32, 268])

        // merges.txt without a #version line, with CRLF line ends.
        try FileManager.default.removeItem(atPath: path("tokenizer.json"))
        try writeVocabularyAndMerges(header: "", lineEnd: "\r\n")
        XCTAssertEqual(try GPT2Tokenizer(folder: folder.path).spec, inMemory.spec)
    }

    func testReadsByteLevelInsideASequenceAndSpecialAddedTokens() throws {
        var json = tokenizerJSON()
        json["pre_tokenizer"] = [
            "type": "Sequence",
            "pretokenizers": [["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true]],
        ] as [String: Any]
        var added = json["added_tokens"] as! [[String: Any]]
        added.append(["id": 300, "content": "<pad>", "special": true])
        json["added_tokens"] = added
        try write(json, to: "tokenizer.json")
        let tokenizer = try GPT2Tokenizer(folder: folder.path)
        XCTAssertEqual(tokenizer.vocabularySize, 301)
        XCTAssertEqual(tokenizer.encode("<pad>"), [60, 112, 97, 100, 62])
        XCTAssertEqual(tokenizer.decode([300, 263]), "<pad>Hello")
    }

    func testKeepsByteOrderMarksThatStartStrings() throws {
        var json = tokenizerJSON()
        json["added_tokens"] = (json["added_tokens"] as! [Any]) + [["id": 300, "content": "\u{FEFF}<pad>", "special": true]]
        let data = try JSONSerialization.data(withJSONObject: json)
        XCTAssertNotNil(data.firstRange(of: Data([0x22, 0xEF, 0xBB, 0xBF])))  // written raw, after a quote
        try (Data([0xEF, 0xBB, 0xBF]) + data).write(to: folder.appendingPathComponent("tokenizer.json"))  // and a file BOM
        let tokenizer = try GPT2Tokenizer(folder: folder.path)
        XCTAssertEqual(tokenizer.decode([263, 300]), "Hello\u{FEFF}<pad>")
    }

    // MARK: - Refusals

    func testRefusesMissingFolderAndFiles() throws {
        let missing = folder.appendingPathComponent("nope").path
        XCTAssertThrowsError(try GPT2Tokenizer(folder: missing)) { error in
            XCTAssertEqual("\(error)", "\(missing): no such folder")
        }
        XCTAssertEqual(refusal(), "\(folder.path): neither tokenizer.json nor vocab.json with merges.txt is in the folder")
        try write(TinyGPT2.vocabulary.mapValues { Int($0) }, to: "vocab.json")
        XCTAssertEqual(refusal(), "\(folder.path): neither tokenizer.json nor vocab.json with merges.txt is in the folder")
        try writeText("{\"model\": ", to: "tokenizer.json")
        XCTAssertTrue(refusal().hasPrefix("\(path("tokenizer.json")): not JSON"), refusal())
        try write([1, 2], to: "tokenizer.json")
        XCTAssertEqual(refusal(), "\(path("tokenizer.json")): not a JSON object")
    }

    func testRefusesOtherModelsNamingTheField() throws {
        func model(_ key: String, _ value: Any?) -> (inout [String: Any]) -> Void {
            { json in
                var model = json["model"] as! [String: Any]
                model[key] = value
                json["model"] = model
            }
        }
        XCTAssertEqual(try tokenizerJSONRefusal { $0["model"] = nil }, "field 'model': missing or not an object")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("type", "WordPiece")),
            "field 'model.type': is \"WordPiece\"; Fleet reads only \"BPE\"")
        XCTAssertEqual(try tokenizerJSONRefusal(model("type", nil)), "field 'model.type': missing; Fleet reads \"BPE\"")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("dropout", 0.1)), "field 'model.dropout': is 0.1; Fleet's BPE has no dropout (null)")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("continuing_subword_prefix", "##")),
            "field 'model.continuing_subword_prefix': is \"##\"; byte-level BPE has none (null)")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("end_of_word_suffix", "</w>")),
            "field 'model.end_of_word_suffix': is \"</w>\"; byte-level BPE has none (null)")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("ignore_merges", true)),
            "field 'model.ignore_merges': is true; GPT-2 merges every word (false)")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("vocab", ["a", "b"])),
            "field 'model.vocab': missing or not an object of tokens to ids")
        var vocabulary: [String: Any] = TinyGPT2.vocabulary.mapValues { Int($0) }
        vocabulary["Ġworld"] = "268"
        XCTAssertEqual(try tokenizerJSONRefusal(model("vocab", vocabulary)), "field 'model.vocab[\"Ġworld\"]': not an integer id")
        vocabulary["Ġworld"] = true
        XCTAssertEqual(try tokenizerJSONRefusal(model("vocab", vocabulary)), "field 'model.vocab[\"Ġworld\"]': not an integer id")
        vocabulary["Ġworld"] = 268
        vocabulary["<|endoftext|>"] = nil
        XCTAssertEqual(
            try tokenizerJSONRefusal { json in
                model("vocab", vocabulary)(&json)
                json["added_tokens"] = []
            },
            "field 'model.vocab': no \"<|endoftext|>\" token: GPT-2's padding, beginning and end of sequence")
        XCTAssertEqual(try tokenizerJSONRefusal(model("merges", "Ġ t")), "field 'model.merges': missing or not an array")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("merges", ["h e", "Ġ t x"])),
            "field 'model.merges[1]': \"Ġ t x\" is not two tokens separated by one space")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("merges", ["h e", ["Ġ"]])),
            "field 'model.merges[1]': neither \"left right\" nor [\"left\", \"right\"]")
        XCTAssertEqual(
            try tokenizerJSONRefusal(model("merges", ["h e", "he y"])),
            "field 'model.merges[1]': the merged token \"hey\" is not in the vocabulary")
    }

    func testRefusesNormalizersOtherPreTokenizersAndDecoders() throws {
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true]
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["normalizer"] = ["type": "NFC"] },
            "field 'normalizer': is a \"NFC\" object; GPT-2 normalizes nothing (null)")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["pre_tokenizer"] = ["type": "Whitespace"] },
            "field 'pre_tokenizer.type': is \"Whitespace\"; Fleet reads only \"ByteLevel\"")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["pre_tokenizer"] = NSNull() },
            "field 'pre_tokenizer': missing or not an object; GPT-2's is \"ByteLevel\"")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["pre_tokenizer"] = byteLevel.merging(["add_prefix_space": true]) { $1 } },
            "field 'pre_tokenizer.add_prefix_space': is true; GPT-2 adds no space before the text (false)")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["pre_tokenizer"] = byteLevel.filter { $0.key != "add_prefix_space" } },
            "field 'pre_tokenizer.add_prefix_space': missing or not a boolean; GPT-2's is false")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["pre_tokenizer"] = byteLevel.merging(["use_regex": false]) { $1 } },
            "field 'pre_tokenizer.use_regex': is false; GPT-2 cuts words by its regex (true)")
        XCTAssertEqual(
            try tokenizerJSONRefusal {
                $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "Digits"], byteLevel]] as [String: Any]
            },
            "field 'pre_tokenizer.pretokenizers': has 2 pre-tokenizers; Fleet reads a Sequence only of GPT-2's one (\"ByteLevel\")")
        XCTAssertEqual(
            try tokenizerJSONRefusal {
                $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "Metaspace"]]] as [String: Any]
            },
            "field 'pre_tokenizer.pretokenizers[0].type': is \"Metaspace\"; Fleet reads only \"ByteLevel\"")
        XCTAssertEqual(
            try tokenizerJSONRefusal {
                $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [byteLevel.merging(["add_prefix_space": true]) { $1 }]]
                    as [String: Any]
            },
            "field 'pre_tokenizer.pretokenizers[0].add_prefix_space': is true; GPT-2 adds no space before the text (false)")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["decoder"] = nil },
            "field 'decoder': missing or not an object; GPT-2 decodes byte-level (\"ByteLevel\")")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["decoder"] = ["type": "WordPiece", "prefix": "##"] },
            "field 'decoder.type': is \"WordPiece\"; Fleet reads only \"ByteLevel\"")
    }

    func testRefusesPlainAndConflictingAddedTokens() throws {
        func adding(_ token: [String: Any]) -> (inout [String: Any]) -> Void {
            { json in json["added_tokens"] = (json["added_tokens"] as! [Any]) + [token] }
        }
        XCTAssertEqual(
            try tokenizerJSONRefusal(adding(["id": 277, "content": "hello", "special": false])),
            "field 'added_tokens[1].special': \"hello\" is not special; Fleet reads only special added tokens "
                + "(a plain added token would cut the text before GPT-2's regex)")
        XCTAssertEqual(
            try tokenizerJSONRefusal(adding(["id": 277, "content": "hello"])),
            "field 'added_tokens[1].special': \"hello\" is not special; Fleet reads only special added tokens "
                + "(a plain added token would cut the text before GPT-2's regex)")
        XCTAssertEqual(
            try tokenizerJSONRefusal(adding(["id": "277", "content": "<pad>", "special": true])),
            "field 'added_tokens[1].id': missing or not an integer id")
        XCTAssertEqual(
            try tokenizerJSONRefusal(adding(["id": 277, "special": true])), "field 'added_tokens[1].content': missing or not a string")
        XCTAssertEqual(
            try tokenizerJSONRefusal(adding(["id": 277, "content": "<|endoftext|>", "special": true])),
            "field 'added_tokens[1].content': \"<|endoftext|>\" is added twice")
        XCTAssertEqual(
            try tokenizerJSONRefusal { $0["added_tokens"] = [["id": 5, "content": "<|endoftext|>", "special": true]] },
            "field 'added_tokens': \"<|endoftext|>\": id 5, but the vocabulary's \"<|endoftext|>\" is 276")
        XCTAssertEqual(
            try tokenizerJSONRefusal(adding(["id": 263, "content": "<pad>", "special": true])),
            "field 'added_tokens': \"<pad>\": id 263 is also the id of \"Hello\"")
        XCTAssertEqual(try tokenizerJSONRefusal { $0["added_tokens"] = "none" }, "field 'added_tokens': not an array")
    }

    func testRefusesBadVocabularyAndMergesFilesByLine() throws {
        try writeVocabularyAndMerges()
        try writeText("#version: 0.2\nh e\nĠ t\nĠt\nl l\n", to: "merges.txt")
        XCTAssertEqual(refusal(), "\(path("merges.txt")):4: \"Ġt\" is not two tokens separated by one space")
        try writeText("#version: 0.2\nh e\n\nl l\n", to: "merges.txt")
        XCTAssertEqual(refusal(), "\(path("merges.txt")):3: \"\" is not two tokens separated by one space")
        try writeText("h e\nh ex\n", to: "merges.txt")
        XCTAssertEqual(refusal(), "\(path("merges.txt")):2: \"ex\" is not in the vocabulary")
        try writeText("#version: 0.2\nh e\nhe y\n", to: "merges.txt")
        XCTAssertEqual(refusal(), "\(path("merges.txt")):3: the merged token \"hey\" is not in the vocabulary")

        try writeVocabularyAndMerges()
        var vocabulary: [String: Any] = TinyGPT2.vocabulary.mapValues { Int($0) }
        vocabulary["<|endoftext|>"] = nil
        try write(vocabulary, to: "vocab.json")
        XCTAssertEqual(
            refusal(), "\(path("vocab.json")): no \"<|endoftext|>\" token: GPT-2's padding, beginning and end of sequence")
        vocabulary["<|endoftext|>"] = 2.5
        try write(vocabulary, to: "vocab.json")
        XCTAssertEqual(refusal(), "\(path("vocab.json")): field '<|endoftext|>': not an integer id")
        try write(["a", "b"], to: "vocab.json")
        XCTAssertEqual(refusal(), "\(path("vocab.json")): not a JSON object of tokens to ids")
        try Data([0x68, 0x20, 0xFF, 0x0A]).write(to: folder.appendingPathComponent("merges.txt"))
        try writeVocabularyAndMerges(header: "")
        try Data([0x68, 0x20, 0xFF, 0x0A]).write(to: folder.appendingPathComponent("merges.txt"))
        XCTAssertEqual(refusal(), "\(path("merges.txt")): not UTF-8 text")
    }
}
