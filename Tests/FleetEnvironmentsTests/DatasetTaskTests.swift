import Foundation
import XCTest

@testable import FleetEnvironments

final class DatasetTaskTests: XCTestCase {
    private let byte = ByteTokenizer()
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-dataset-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let made = directory!
        addTeardownBlock { try? FileManager.default.removeItem(at: made) }
    }

    /// Writes `text` to `name` in the test's directory; returns its path.
    private func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    private func task(
        _ train: String, heldOut: String? = nil, fraction: Double = 0.1, template: String = "{prompt}",
        verifier: any AnswerVerifier = ExactVerifier(), contextLength: Int? = nil
    ) throws -> DatasetTask<ByteTokenizer> {
        try DatasetTask(
            trainFile: train, heldOutFile: heldOut, heldOutFraction: fraction, template: try PromptTemplate(template),
            tokenizer: byte, verifier: verifier, contextLength: contextLength)
    }

    /// `count` lines `{"id": "p<i>", "prompt": "<i>+1=", "answer": "<i+1>"}`.
    private func numbered(_ count: Int, ids: Bool = true) -> String {
        (0..<count).map { i in
            (ids ? #"{"id": "p\#(i)", "#: "{") + #""prompt": "\#(i)+1=", "answer": "\#(i + 1)"}"#
        }.joined(separator: "\n") + "\n"
    }

    // MARK: - Reading

    func testLinesBecomeProblemsWithIDsTemplatesAndMetadata() throws {
        let train = try file(
            "train.jsonl",
            #"{"id": "q1", "prompt": "Tom has 3 figs and gets 5 more.", "answer": "3+5=8 #### 8", "op": "add", "tags": ["a", 1]}"#
                + "\r\n\n" + #"{"prompt": "Ünïcode? 数", "answer": "yes", "id": 7}"# + "\n  \n"
                + #"{"prompt": "2*3", "answer": "6"}"#)
        let heldOut = try file("held_out.jsonl", #"{"prompt": "1+10", "answer": "2", "source": {"page": 3}}"# + "\n")
        let task = try task(train, heldOut: heldOut, template: "Q: {prompt}\nA: ")

        XCTAssertEqual(task.name, "dataset")
        XCTAssertEqual(task.count(.train), 3)
        XCTAssertEqual(task.count(.heldOut), 1)
        let first = try XCTUnwrap(task.problem(id: 0))
        XCTAssertEqual(first.promptText, "Q: Tom has 3 figs and gets 5 more.\nA: ")
        XCTAssertEqual(first.prompt, [1] + byte.encode("Q: Tom has 3 figs and gets 5 more.\nA: "))
        XCTAssertEqual(first.answer, "3+5=8 #### 8")
        XCTAssertEqual(first.metadata, #"{"id":"q1","op":"add","tags":["a",1]}"#)
        XCTAssertEqual(task.demonstration(for: first), byte.encode("3+5=8 #### 8") + [2])
        XCTAssertEqual(task.problem(id: 1)?.promptText, "Q: Ünïcode? 数\nA: ")
        XCTAssertEqual(task.problem(id: 1)?.metadata, #"{"id":7}"#)
        XCTAssertEqual(task.problem(id: 2)?.metadata, "{}")
        XCTAssertNil(task.problem(id: 3))
        XCTAssertNil(task.problem(id: -1))

        let held = try XCTUnwrap(task.problem(id: 1_000_000_000))
        XCTAssertEqual(held.answer, "2")
        XCTAssertEqual(held.metadata, #"{"source":{"page":3}}"#)
        XCTAssertEqual(task.problem(0, split: .heldOut), held)
        XCTAssertEqual(task.split(of: held), .heldOut)
        XCTAssertEqual(task.split(of: first), .train)
        XCTAssertNil(task.problem(id: 1_000_000_001))

        let lengths = (0..<3).map { task.problem($0, split: .train).prompt.count } + [held.prompt.count]
        XCTAssertEqual(task.maxPromptLength, lengths.max())
        XCTAssertEqual(Set(lengths).count, 4, "prompts differ in length")
        XCTAssertEqual(task.maxResponseLength, "3+5=8 #### 8".utf8.count + 1)
    }

    func testEachSplitIsEnumeratedOnceInAFixedOrderAndWraps() throws {
        let task = try task(try file("train.jsonl", numbered(50)), heldOut: try file("held.jsonl", numbered(5, ids: false)))
        let train = (0..<50).map { task.problem($0, split: .train).id }
        XCTAssertEqual(Set(train), Set(0..<50))
        XCTAssertNotEqual(train, Array(0..<50), "a pseudorandom order, not the file's")
        XCTAssertEqual(task.problem(50 + 7, split: .train), task.problem(7, split: .train))
        XCTAssertEqual(Set((0..<5).map { task.problem($0, split: .heldOut).id }), Set((0..<5).map { 1_000_000_000 + Int64($0) }))
        let again = try self.task(try file("train2.jsonl", numbered(50)), heldOut: try file("held2.jsonl", numbered(5, ids: false)))
        XCTAssertEqual((0..<50).map { again.problem($0, split: .train) }, (0..<50).map { task.problem($0, split: .train) })
    }

    // MARK: - The keyed split

    func testKeyedSplitIsDisjointCoversEveryLineAndFollowsTheKeyNotThePosition() throws {
        let task = try task(try file("train.jsonl", numbered(400)))
        let train = Set((0..<task.count(.train)).map { task.problem($0, split: .train).id })
        let heldOut = Set((0..<task.count(.heldOut)).map { task.problem($0, split: .heldOut).id })
        XCTAssertTrue(train.isDisjoint(with: heldOut))
        XCTAssertEqual(train.union(heldOut), Set(0..<400))
        XCTAssertEqual(task.count(.heldOut), heldOut.count)
        XCTAssertTrue((20...60).contains(heldOut.count), "about a tenth: \(heldOut.count)")
        for id in heldOut { XCTAssertEqual(task.split(of: task.problem(id: id)!), .heldOut) }

        // Reversed lines: each id keeps its split (its problem id is its new position).
        let lines = numbered(400).split(separator: "\n")
        let reversed = try self.task(try file("reversed.jsonl", lines.reversed().joined(separator: "\n")))
        let heldOutPrompts = Set(heldOut.map { task.problem(id: $0)!.promptText })
        let reversedHeldOut = Set((0..<reversed.count(.heldOut)).map { reversed.problem($0, split: .heldOut).promptText })
        XCTAssertEqual(reversedHeldOut, heldOutPrompts)

        // The same file read twice splits the same way; another fraction holds out more.
        let twice = try self.task(try file("twice.jsonl", numbered(400)))
        XCTAssertEqual(Set((0..<twice.count(.heldOut)).map { twice.problem($0, split: .heldOut).id }), heldOut)
        XCTAssertGreaterThan(try self.task(try file("half.jsonl", numbered(400)), fraction: 0.5).count(.heldOut), 150)
    }

    func testKeyedSplitHoldsOutAtLeastOneLineAndKeysLinesWithoutIDsByTheirText() throws {
        let none = try task(try file("two.jsonl", numbered(2)), fraction: 0)
        XCTAssertEqual(none.count(.heldOut), 1)
        XCTAssertEqual(none.count(.train), 1)
        let withoutIDs = try task(try file("plain.jsonl", numbered(300, ids: false)))
        let withIDs = try task(try file("ids.jsonl", numbered(300)))
        XCTAssertGreaterThan(withoutIDs.count(.heldOut), 0)
        XCTAssertNotEqual(
            Set((0..<withoutIDs.count(.heldOut)).map { withoutIDs.problem($0, split: .heldOut).id }),
            Set((0..<withIDs.count(.heldOut)).map { withIDs.problem($0, split: .heldOut).id }),
            "different keys, different split")
    }

    // MARK: - Verifying

    func testVerifyDecodesTheResponseAndNeedsEos() throws {
        let task = try task(
            try file("train.jsonl", #"{"prompt": "3+5", "answer": "3+5=8 #### 8"}"# + "\n" + #"{"prompt": "1", "answer": "1"}"#),
            heldOut: try file("held.jsonl", #"{"prompt": "2", "answer": "2"}"#), verifier: HashAnswerVerifier(tolerance: 0))
        let problem = try XCTUnwrap(task.problem(id: 0))
        XCTAssertEqual(task.verify(response: byte.encode("3+5=8 #### 8") + [2], for: problem), Verdict(correct: true, wellFormed: true))
        XCTAssertEqual(task.verify(response: byte.encode("#### 8") + [2, 3, 4], for: problem), Verdict(correct: true, wellFormed: true))
        XCTAssertEqual(task.verify(response: byte.encode("#### 9") + [2], for: problem), Verdict(correct: false, wellFormed: true))
        XCTAssertEqual(task.verify(response: byte.encode("8") + [2], for: problem), Verdict(correct: false, wellFormed: false))
        XCTAssertEqual(task.verify(response: byte.encode("#### 8"), for: problem), Verdict(correct: false, wellFormed: false))
        XCTAssertEqual(task.verify(response: [2], for: problem), Verdict(correct: false, wellFormed: false))
        XCTAssertEqual(task.verify(response: task.demonstration(for: problem), for: problem).correct, true)
    }

    // MARK: - Specs

    func testSpecChangesWithTheFilesTemplateTokenizerAndVerifier() throws {
        let train = try file("train.jsonl", numbered(20))
        let base = try task(train).spec
        XCTAssertTrue(base.hasPrefix("dataset-task-v1;train=fnv1a64:"), base)
        XCTAssertTrue(base.contains("tokenizer=byte-tokenizer-v1"), base)
        XCTAssertEqual(try task(train).spec, base)
        XCTAssertNotEqual(try task(try file("other.jsonl", numbered(20) + numbered(1).replacingOccurrences(of: "p0", with: "x"))).spec, base)
        XCTAssertNotEqual(try task(train, fraction: 0.2).spec, base)
        XCTAssertNotEqual(try task(train, heldOut: try file("held.jsonl", numbered(1, ids: false))).spec, base)
        XCTAssertNotEqual(try task(train, template: "Q: {prompt}").spec, base)
        XCTAssertNotEqual(try task(train, verifier: NumericVerifier(tolerance: 0)).spec, base)
        let character = try DatasetTask(trainFile: train, tokenizer: CharacterTokenizer.standard, verifier: ExactVerifier())
        XCTAssertNotEqual(character.spec, base)
        XCTAssertEqual(character.problem(id: 3)?.prompt, [1] + (try CharacterTokenizer.standard.encode("3+1=")))
    }

    // MARK: - Templates

    func testTemplatesHoldOnePlaceholder() throws {
        XCTAssertEqual(try PromptTemplate("Question: {prompt}\nAnswer: ").apply(to: "2+2?"), "Question: 2+2?\nAnswer: ")
        XCTAssertEqual(PromptTemplate.identity.apply(to: "x {prompt} y"), "x {prompt} y", "the prompt's own braces stay")
        XCTAssertEqual(try PromptTemplate("{ {prompt} }").apply(to: "z"), "{ z }")
        XCTAssertEqual(try PromptTemplate("a\"b\n{prompt}").quoted, #""a\"b\n{prompt}""#)
        XCTAssertThrowsError(try PromptTemplate("Question: ")) { error in
            XCTAssertEqual("\(error)", #"prompt_template must hold {prompt} exactly once, found it 0 times in "Question: ""#)
        }
        XCTAssertThrowsError(try PromptTemplate("{prompt} and {prompt}"))
    }

    // MARK: - Errors

    func testBadFilesAreErrorsNamingFileLineAndField() throws {
        let good = #"{"prompt": "1", "answer": "1"}"# + "\n"
        let cases: [(text: String, expected: String)] = [
            (good + "not json\n", "train.jsonl:2: not valid JSON (each line must be one JSON object)"),
            (good + #"{"prompt": "1", "answer": "1""# + "\n", "train.jsonl:2: not valid JSON (each line must be one JSON object)"),
            (good + "[1, 2]\n", "train.jsonl:2: expected a JSON object, got an array"),
            (good + "\n\n" + #"{"answer": "1"}"#, #"train.jsonl:4: field 'prompt': missing (each line needs "prompt" and "answer" strings)"#),
            (#"{"prompt": "1"}"#, #"train.jsonl:1: field 'answer': missing (each line needs "prompt" and "answer" strings)"#),
            (#"{"prompt": 12, "answer": "1"}"#, "train.jsonl:1: field 'prompt': must be a string, got a number"),
            (#"{"prompt": "1", "answer": 12}"#, "train.jsonl:1: field 'answer': must be a string, got a number"),
            (#"{"prompt": "1", "answer": null}"#, "train.jsonl:1: field 'answer': must be a string, got null"),
            (#"{"prompt": "1", "answer": ["1"]}"#, "train.jsonl:1: field 'answer': must be a string, got an array"),
            (#"{"prompt": " ", "answer": "1"}"#, "train.jsonl:1: field 'prompt': is empty"),
            (#"{"prompt": "1", "answer": ""}"#, "train.jsonl:1: field 'answer': is empty"),
            (#"{"prompt": "1", "answer": "1", "id": true}"#, "train.jsonl:1: field 'id': must be a string or an integer, got a boolean"),
            (#"{"prompt": "1", "answer": "1", "id": 1.5}"#, "train.jsonl:1: field 'id': must be a string or an integer, got a number"),
            (#"{"prompt": "1", "answer": "1", "id": 7}"# + "\n" + #"{"prompt": "2", "answer": "2", "id": "7"}"#,
             "train.jsonl:2: field 'id': duplicate id '7' (first on line 1)"),
            ("", "train.jsonl: empty: no JSON lines with a prompt and an answer"),
            ("\n  \n\n", "train.jsonl: empty: no JSON lines with a prompt and an answer"),
            (good, "train.jsonl: has 1 problem: holding one out for evaluation needs at least 2 (or a held-out file)"),
        ]
        for (text, expected) in cases {
            let path = try file("train.jsonl", text)
            XCTAssertEqual(message { try self.task(path) }, expected, text)
        }
    }

    /// What `body` throws, with the test directory left out of paths; "no error" when it returns.
    private func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)".replacingOccurrences(of: directory.path + "/", with: "")
        }
    }

    func testFilesThatCannotBeReadEncodedOrFitAreErrors() throws {
        let train = try file("train.jsonl", numbered(3))
        XCTAssertEqual(message { try self.task(self.directory.appendingPathComponent("missing.jsonl").path) }, "missing.jsonl: no such file")
        let invalid = directory.appendingPathComponent("invalid.jsonl")
        try Data(Array(#"{"prompt": "1", "answer": "1"}"#.utf8) + [10, 0xFF, 0xFE, 10]).write(to: invalid)
        XCTAssertEqual(message { try self.task(invalid.path) }, "invalid.jsonl:2: not UTF-8 text")
        XCTAssertEqual(
            message { try DatasetTask(trainFile: train, tokenizer: CharacterTokenizer.standard, verifier: ExactVerifier(),
                                      contextLength: nil) }, "no error")
        let capital = try file("capital.jsonl", numbered(2) + #"{"prompt": "Two", "answer": "2"}"#)
        XCTAssertTrue(
            message { try DatasetTask(trainFile: capital, tokenizer: CharacterTokenizer.standard, verifier: ExactVerifier()) }
                .hasPrefix("capital.jsonl:3: field 'prompt': the tokenizer cannot encode it: character 'T' (U+0054) at offset 0"))
        let upperAnswer = try file("upper.jsonl", numbered(2) + #"{"prompt": "two", "answer": "II"}"#)
        XCTAssertTrue(
            message { try DatasetTask(trainFile: upperAnswer, tokenizer: CharacterTokenizer.standard, verifier: ExactVerifier()) }
                .hasPrefix("upper.jsonl:3: field 'answer': the tokenizer cannot encode it"))
        // "9+1=" with bos is 5 tokens, "10" with eos 3: 8 tokens.
        let long = try file("long.jsonl", numbered(10))
        XCTAssertEqual(message { try self.task(long, contextLength: 8) }, "no error")
        XCTAssertEqual(
            message { try self.task(long, template: "Q: {prompt}", contextLength: 8) },
            "long.jsonl:1: the prompt (8 tokens with bos and the template) and the answer (2 with eos) need 10 tokens, "
                + "more than model.context_length 8")
        let heldOut = try file("held.jsonl", #"{"prompt": "x", "answer": "y", "id": "p2"}"#)
        XCTAssertEqual(
            message { try self.task(train, heldOut: heldOut) },
            "held.jsonl:1: field 'id': id 'p2' is also in the training file train.jsonl (line 3)")
    }
}
