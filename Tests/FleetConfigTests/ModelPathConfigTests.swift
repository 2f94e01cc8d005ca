import FleetConfig
import FleetEnvironments
import Foundation
import XCTest
import FleetTestSupport

/// `model.path`: a GPT-2 folder's config.json decides the language policy's architecture; keys set
/// against it and `init_checkpoint` beside it are refused by name; the learning hash of configs
/// without it is what it was.
final class ModelPathConfigTests: XCTestCase {
    /// A folder holding a GPT-2 config.json (width 32, 3 blocks, 4 heads, 40 positions, `vocabulary`
    /// ids) and, unless not `withTokenizer`, a tokenizer of 260 ids.
    private func folder(_ fields: String = "", vocabulary: Int = 260, withTokenizer: Bool = true) throws -> String {
        let url = try makeTemporaryDirectory(self)
        let json = """
            {"model_type": "gpt2", "n_embd": 32, "n_layer": 3, "n_head": 4, "n_positions": 40, "vocab_size": \(vocabulary)\(fields)}
            """
        try Data(json.utf8).write(to: url.appendingPathComponent("config.json"))
        if withTokenizer { XCTAssertEqual(try writeByteLevelTokenizer(to: url), 260) }
        return url.path
    }

    private func config(_ overrides: [String]) throws -> RunConfig {
        try RunConfig(file: nil, overrides: ["algorithm=grpo", "task=addition-2"] + overrides)
    }

    private func assertRefused(_ overrides: [String], naming key: String, saying text: String, line: UInt = #line) {
        XCTAssertThrowsError(try config(overrides), line: line) { error in
            guard let error = error as? ConfigError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(error.key, key, line: line)
            XCTAssertTrue(error.message.contains(text), error.message, line: line)
        }
    }

    func testTheFolderDecidesTheArchitecture() throws {
        let path = try folder()
        let resolved = try config(["model.path=\"\(path)\""])
        XCTAssertEqual(resolved.language.modelPath, path)
        XCTAssertEqual(
            [resolved.language.modelWidth, resolved.language.modelLayers, resolved.language.modelHeads, resolved.language.contextLength],
            [32, 3, 4, 40])
        let model = try resolved.languageModelConfig(for: resolved.makeTask())
        XCTAssertEqual([model.vocabulary, model.width, model.layers, model.heads, model.contextLength], [260, 32, 3, 4, 40])
        XCTAssertNoThrow(try config(["model.path=\"\(path)\"", "model.width=32", "model.context_length=40"]),
                         "keys that agree with the folder are accepted")
    }

    func testKeysSetAgainstTheFolderAreRefusedByName() throws {
        let path = try folder()
        assertRefused(["model.path=\"\(path)\"", "model.width=64"], naming: "model.width", saying: "n_embd 32")
        assertRefused(["model.path=\"\(path)\"", "model.layers=2"], naming: "model.layers", saying: "n_layer 3")
        assertRefused(["model.path=\"\(path)\"", "model.heads=2"], naming: "model.heads", saying: "n_head 4")
        assertRefused(["model.path=\"\(path)\"", "model.context_length=32"], naming: "model.context_length", saying: "n_positions 40")
        assertRefused(["model.path=\"\(path)\"", "init_checkpoint=policy.fleet"], naming: "init_checkpoint", saying: "model.path")
        assertRefused(["model.path=\"/nonexistent/gpt2\""], naming: "model.path", saying: "/nonexistent/gpt2")
        let unsupported = try folder(#", "n_inner": 7"#)
        assertRefused(["model.path=\"\(unsupported)\""], naming: "model.path", saying: "n_inner")
    }

    func testAFolderWhoseVocabularyIsSmallerThanTheTokenizersIsRefused() throws {
        for (vocabulary, fits) in [(260, true), (300, true), (259, false)] {
            let resolved = try config(["model.path=\"\(try folder(vocabulary: vocabulary))\""])
            if fits {
                XCTAssertEqual(try resolved.languageModelConfig(for: resolved.makeTask()).vocabulary, vocabulary)
            } else {
                XCTAssertThrowsError(try resolved.languageModelConfig(for: resolved.makeTask())) { error in
                    XCTAssertTrue("\(error)".contains("vocab_size 259 is smaller"), "\(error)")
                }
            }
        }
    }

    func testTheTaskSpeaksTheFoldersTokenizer() throws {
        let path = try folder()
        let task = try config(["model.path=\"\(path)\""]).makeTask()
        XCTAssertTrue(task is RetokenizedTask<AdditionTask, GPT2Tokenizer>, "\(type(of: task))")
        let problem = try XCTUnwrap(task.problem(id: 745))
        XCTAssertEqual(problem.promptText, "07+45=")
        XCTAssertEqual(problem.prompt, [259, 257, 43, 256, 61], "<|endoftext|>, 07 and 45 merged as merges.txt says, + and =")
        XCTAssertEqual(task.demonstration(for: problem), [258, 259], "52 merged, <|endoftext|>")
        let lines = [#"{"prompt": "07+45=", "answer": "52"}"#, #"{"prompt": "1+1=", "answer": "2"}"#, #"{"prompt": "2+2=", "answer": "4"}"#]
        let file = URL(fileURLWithPath: path).appendingPathComponent("train.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let dataset = try RunConfig(file: nil, overrides: [
            "algorithm=grpo", "task=dataset", "dataset.train=\"\(file.path)\"", "tokenizer=character", "model.path=\"\(path)\"",
        ]).makeTask()
        XCTAssertTrue(dataset is DatasetTask<GPT2Tokenizer>, "\(type(of: dataset))")
        XCTAssertEqual(dataset.problem(id: 0)?.prompt, [259, 257, 43, 256, 61])
        XCTAssertEqual(dataset.problem(id: 0).map(dataset.demonstration(for:)), [258, 259])
        XCTAssertThrowsError(try config(["model.path=\"\(try folder(withTokenizer: false))\""]).makeTask()) { error in
            XCTAssertTrue("\(error)".contains("tokenizer"), "\(error)")
        }
    }

    func testModelPathCountsInTheLearningHashOnlyWhenSet() throws {
        let base = try config([]).resolved.learningSHA256
        XCTAssertEqual(base, try config(["model.path=null"]).resolved.learningSHA256)
        XCTAssertNotEqual(base, try config(["model.path=\"\(try folder())\"", "model.width=32", "model.layers=3",
                                            "model.context_length=40"]).resolved.learningSHA256)
        // The hash of this config as main's fleet (4631d83, before model.path) wrote it in a capture manifest.
        XCTAssertEqual(
            try config(["total_training_steps=1", "eval_prompts=5"]).resolved.learningSHA256,
            "a516e359129b672c36ae14611bc9fa635f39a079d0fb3c42fcd0718e0b67cebe")
    }
}

/// A task in a model folder's tokenizer: here bytes stand in for the folder's GPT-2 BPE.
final class TaskTokenizerTests: XCTestCase {
    func testBuiltInAndDatasetTasksTakeTheGivenTokenizer() throws {
        let builtIn = try RunConfig(file: nil, overrides: ["algorithm=grpo", "task=addition-2"])
        let task = try builtIn.makeTask(tokenizer: ByteTokenizer())
        XCTAssertEqual(task.name, "addition-2")
        XCTAssertTrue(task is RetokenizedTask<AdditionTask, ByteTokenizer>, "\(type(of: task))")
        XCTAssertEqual(task.problem(0, split: .train).prompt, [ByteTokenizer().bos] + (try ByteTokenizer().encode(task.problem(0, split: .train).promptText)))

        let directory = try makeTemporaryDirectory(self)
        let file = directory.appendingPathComponent("train.jsonl")
        let lines = [#"{"prompt": "1+1", "answer": "2"}"#, #"{"prompt": "2+2", "answer": "4"}"#, #"{"prompt": "3+3", "answer": "6"}"#]
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let dataset = try RunConfig(
            file: nil, overrides: ["algorithm=grpo", "task=dataset", "dataset.train=\"\(file.path)\"", "tokenizer=character"])
        XCTAssertTrue(try dataset.makeTask(tokenizer: ByteTokenizer()) is DatasetTask<ByteTokenizer>)
        XCTAssertTrue(try dataset.makeTask() is DatasetTask<CharacterTokenizer>)
    }
}
