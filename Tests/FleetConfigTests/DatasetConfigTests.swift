import FleetAlgorithms
import FleetConfig
import FleetEnvironments
import Foundation
import XCTest
import FleetTestSupport

/// `task: dataset` in the config: its keys make the task, bad values are config errors naming the
/// key, and built-in tasks keep their own tokenizer and verifier.
final class DatasetConfigTests: XCTestCase {
    /// A training file of `count` lines `{"id": i, "prompt": "<i> plus 1?", "answer": "#### <i+1>"}`.
    private func trainFile(_ count: Int = 30) throws -> String {
        let url = try makeTemporaryDirectory(self).appendingPathComponent("train.jsonl")
        let lines = (0..<count).map { "{\"id\": \($0), \"prompt\": \"\($0) plus 1?\", \"answer\": \"#### \($0 + 1)\"}" }
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url.path
    }

    private func configError(_ yaml: String, overrides: [String] = []) -> String {
        do {
            _ = try ConfigResolver.resolve(
                yaml: yaml, source: "run.yaml", overrides: try overrides.map(ConfigOverride.init(parsing:)))
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testDatasetKeysMakeTheTask() throws {
        let train = try trainFile()
        let yaml = """
            algorithm: grpo
            task: dataset
            dataset:
              train: \(train)
              held_out_fraction: 0.2
            prompt_template: "Q: {prompt}\\nA: "
            verifier: hash_answer
            verifier_tolerance: 0.5
            model:
              context_length: 48
            """
        let config = RunConfig(try ConfigResolver.resolve(yaml: yaml, source: "run.yaml"))
        XCTAssertEqual(config.dataset.train, train)
        XCTAssertNil(config.dataset.heldOut)
        XCTAssertEqual(config.dataset.tokenizer, "byte", "byte by default")
        let task = try config.makeTask()
        XCTAssertEqual(task.name, "dataset")
        XCTAssertEqual(task.count(.train) + task.count(.heldOut), 30)
        XCTAssertEqual(task.problem(id: 4)?.promptText, "Q: 4 plus 1?\nA: ")
        XCTAssertTrue(task.spec.contains("verifier=hash-answer-v1;after-last-####;tolerance=0.5"), task.spec)
        XCTAssertTrue(task.spec.contains(#"template="Q: {prompt}\nA: ""#), task.spec)
        XCTAssertEqual(task.tokenizer.vocabularySize, 259)
        let model = try config.languageModelConfig(for: task)
        XCTAssertEqual(model.vocabulary, 259)
        XCTAssertEqual(config.responseBudget(for: task), "#### 30".utf8.count + 1)
        let problem = try XCTUnwrap(task.problem(id: 4))
        XCTAssertTrue(task.verify(response: try task.tokenizer.encode("#### 5.4") + [2], for: problem).correct)

        let character = RunConfig(try ConfigResolver.resolve(yaml: yaml, source: "run.yaml", overrides: [
            try ConfigOverride(parsing: "tokenizer=character"), try ConfigOverride(parsing: "prompt_template=\"{prompt}\""),
        ]))
        XCTAssertThrowsError(try character.makeTask()) { error in
            XCTAssertTrue("\(error)".contains("train.jsonl:1: field 'prompt': the tokenizer cannot encode it"), "\(error)")
        }
    }

    func testDatasetFilesThatDoNotFitAreSetupErrors() throws {
        let train = try makeTemporaryDirectory(self).appendingPathComponent("train.jsonl").path
        try Data(
            """
            {"prompt": "0123456789", "answer": "1"}
            {"prompt": "x", "answer": "0123456789"}
            {"prompt": "y", "answer": "2"}
            """.utf8
        ).write(to: URL(fileURLWithPath: train))
        func setupError(_ overrides: [String]) throws -> String {
            let config = try RunConfig(file: nil, overrides: ["algorithm=grpo", "task=dataset", "dataset.train=\(train)"] + overrides)
            do {
                let task = try config.makeTask()
                _ = try config.languageModelConfig(for: task)
                return "no error"
            } catch {
                return "\(error)".replacingOccurrences(of: train, with: "train.jsonl")
            }
        }
        XCTAssertEqual(try setupError(["model.context_length=22"]), "no error")
        XCTAssertEqual(
            try setupError(["model.context_length=12"]),
            "dataset: train.jsonl:1: the prompt (11 tokens with bos and the template) and the answer (2 with eos) need "
                + "13 tokens, more than model.context_length 12")
        // Each line fits, the longest prompt with the longest answer (the response budget) does not.
        XCTAssertEqual(
            try setupError(["model.context_length=16"]),
            "model.context_length 16 is too short for dataset: a prompt (11 tokens) and its responses (11) need 22")
        XCTAssertEqual(
            try setupError(["dataset.held_out=/nonexistent/held.jsonl"]), "dataset: /nonexistent/held.jsonl: no such file")
    }

    func testBadDatasetSettingsAreConfigErrorsNamingTheKey() {
        let dataset = "algorithm: grpo\ntask: dataset\ndataset:\n  train: t.jsonl\n"
        XCTAssertEqual(configError(dataset), "no error")
        XCTAssertEqual(
            configError("algorithm: grpo\ntask: dataset\n"),
            "run.yaml: task: dataset needs 'dataset.train', the path of a JSON Lines file")
        XCTAssertEqual(
            configError(dataset + "prompt_template: \"Q: \"\n"),
            #"run.yaml: prompt_template must hold {prompt} exactly once, found it 0 times in "Q: ""#)
        XCTAssertEqual(
            configError(dataset + "verifier: regex\n"),
            "run.yaml: verifier 'regex' needs verifier_pattern, a regular expression such as 'Answer: (\\d+)'")
        XCTAssertTrue(
            configError(dataset + "verifier: regex\nverifier_pattern: \"(x\"\n")
                .hasPrefix("run.yaml: verifier_pattern '(x' is not a regular expression"))
        XCTAssertEqual(configError(dataset + "verifier: regex\nverifier_pattern: \"Answer: (\\\\d+)\"\n"), "no error")
        XCTAssertEqual(
            configError(dataset + "verifier: fuzzy\n"),
            "run.yaml:5:11: 'verifier' must be one of exact, numeric, boxed, hash_answer, regex, choice, got the string \"fuzzy\"")
        XCTAssertEqual(
            configError(dataset + "tokenizer: gpt2\n"),
            "run.yaml:5:12: 'tokenizer' must be one of byte, character, got the string \"gpt2\"")
        XCTAssertEqual(
            configError(dataset, overrides: ["dataset.held_out_fraction=1"]),
            "--set dataset.held_out_fraction=1: 'dataset.held_out_fraction' must be below 1 (the rest trains), got 1.0")
        XCTAssertEqual(configError(dataset + "dataset.held_out_fraction: 1\n", overrides: ["dataset.held_out=h.jsonl"]), "no error")
        XCTAssertEqual(
            configError(dataset, overrides: ["verifier_tolerance=-1"]),
            "--set verifier_tolerance=-1: 'verifier_tolerance' must be at least 0, got the number -1.0")
    }

    func testBuiltInTasksKeepTheirTokenizerAndVerifier() throws {
        XCTAssertEqual(
            configError("algorithm: grpo\ntask: addition-2\nverifier: numeric\n"),
            "run.yaml: 'verifier' applies to task: dataset; task is 'addition-2' (its tokenizer and verifier are built in)")
        XCTAssertEqual(
            configError("algorithm: grpo\ntask: addition-2\n", overrides: ["tokenizer=character"]),
            "--set tokenizer=character: 'tokenizer' applies to task: dataset; task is 'addition-2' (its tokenizer and verifier are built in)")
        // A run's resolved config.yaml lists every key at its default: it reads back.
        let resolved = try ConfigResolver.resolve(yaml: "algorithm: grpo\ntask: addition-2\n", source: "run.yaml")
        XCTAssertEqual(try ConfigResolver.resolve(yaml: resolved.yaml, source: "config.yaml"), resolved)
        let task = try RunConfig(resolved).makeTask()
        XCTAssertTrue(task is AdditionTask)
        XCTAssertEqual(task.maxPromptLength, 7)
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["algorithm=grpo", "task=datset"]).makeTask()) { error in
            XCTAssertTrue("\(error)".hasSuffix("; or dataset, with dataset.train (docs/datasets.md)"), "\(error)")
        }
    }
}
