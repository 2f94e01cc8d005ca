import XCTest

@testable import FleetEnvironments

/// A built-in task in another tokenizer's ids (bytes here; a model folder's GPT-2 BPE in a run):
/// the same problems and splits, prompts re-spelled, responses verified as text.
final class RetokenizedTaskTests: XCTestCase {
    private let base = AdditionTask(digits: 2)
    private let bytes = ByteTokenizer()
    private var task: RetokenizedTask<AdditionTask, ByteTokenizer> { RetokenizedTask(base, tokenizer: bytes) }

    private func response(_ text: String, eos: Bool = true) throws -> [Int32] {
        try bytes.encode(text) + (eos ? [bytes.eos] : [])
    }

    func testProblemsAreTheBuiltInTasksInTheTokenizersIDs() throws {
        XCTAssertEqual(task.name, "addition-2")
        XCTAssertEqual(task.count(.train), base.count(.train))
        XCTAssertEqual(task.count(.heldOut), base.count(.heldOut))
        XCTAssertNotEqual(task.spec, base.spec)
        XCTAssertTrue(task.spec.contains(bytes.spec))
        for (index, split) in [(0, PromptSplit.train), (17, .train), (3, .heldOut)] {
            let original = base.problem(index, split: split), problem = task.problem(index, split: split)
            XCTAssertEqual(problem.id, original.id)
            XCTAssertEqual(problem.answer, original.answer)
            XCTAssertEqual(problem.prompt, [bytes.bos] + (try bytes.encode(original.promptText)))
            XCTAssertNotEqual(problem.prompt, original.prompt, "byte ids are not the character tokenizer's")
            XCTAssertEqual(task.problem(id: problem.id), problem)
            XCTAssertEqual(task.split(of: problem), split)
            XCTAssertLessThanOrEqual(problem.prompt.count, task.maxPromptLength)
            XCTAssertEqual(task.verify(response: task.demonstration(for: problem), for: problem), Verdict(correct: true, wellFormed: true))
        }
        XCTAssertNil(task.problem(id: 10_000))
    }

    func testResponsesAreVerifiedAsTheirText() throws {
        let problem = try XCTUnwrap(task.problem(id: 745))  // 07+45=
        XCTAssertEqual(problem.promptText, "07+45=")
        XCTAssertEqual(task.verify(response: try response("52"), for: problem), Verdict(correct: true, wellFormed: true))
        XCTAssertEqual(task.verify(response: try response("52") + [65, 66], for: problem), Verdict(correct: true, wellFormed: true),
                       "what follows eos is ignored")
        XCTAssertEqual(task.verify(response: try response("53"), for: problem), Verdict(correct: false, wellFormed: true))
        XCTAssertEqual(task.verify(response: try response("5x"), for: problem), Verdict(correct: false, wellFormed: false))
        XCTAssertEqual(task.verify(response: try response("é"), for: problem), Verdict(correct: false, wellFormed: false),
                       "text the character tokenizer cannot spell")
        XCTAssertEqual(task.verify(response: try response("52", eos: false), for: problem), Verdict(correct: false, wellFormed: false))
        XCTAssertEqual(task.verify(response: [bytes.eos], for: problem), Verdict(correct: false, wellFormed: false))
    }
}
