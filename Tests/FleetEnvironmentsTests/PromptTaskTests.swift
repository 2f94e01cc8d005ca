import XCTest

@testable import FleetEnvironments

final class PromptTaskTests: XCTestCase {
    let tokenizer = CharacterTokenizer.standard

    /// A spread of tasks, smallest and largest of each family included.
    static func makeTasks() -> [any PromptTask] {
        AdditionTask.digitRange.map { AdditionTask(digits: $0) }
        + [1, 3, 5, 12].map { ReverseTask(length: $0) }
        + [1, 5, 12].map { SortDigitsTask(length: $0) }
    }

    let tasks = PromptTaskTests.makeTasks()

    /// Indices to probe: the first few hundred, some past the end of small splits, and huge ones.
    func probeIndices(_ task: any PromptTask, _ split: PromptSplit) -> [Int] {
        let count = task.count(split)
        return Array(0..<300) + [count - 1, count, count + 7, 123_456_789, Int.max]
    }

    // MARK: - Formats

    func testPromptFormats() {
        let addition = AdditionTask(digits: 2).problem(id: 7 * 100 + 45)!
        XCTAssertEqual(addition.promptText, "07+45=")
        XCTAssertEqual(addition.answer, "52")
        XCTAssertEqual(addition.prompt, [1, 3, 10, 13, 7, 8, 14])
        XCTAssertEqual(AdditionTask(digits: 2).problem(id: 0)!.answer, "0")
        XCTAssertEqual(AdditionTask(digits: 3).problem(id: 999_999)!.promptText, "999+999=")
        XCTAssertEqual(AdditionTask(digits: 3).problem(id: 999_999)!.answer, "1998")

        let reverse = ReverseTask(length: 3).problem(id: 0 * 676 + 1 * 26 + 2)!
        XCTAssertEqual(reverse.promptText, "abc>")
        XCTAssertEqual(reverse.answer, "cba")
        XCTAssertEqual(reverse.prompt, [1, 19, 20, 21, 16])

        let sort = SortDigitsTask(length: 4).problem(id: 3141)!
        XCTAssertEqual(sort.promptText, "3141:")
        XCTAssertEqual(sort.answer, "1134")
        XCTAssertEqual(SortDigitsTask(length: 4).problem(id: 7)!.promptText, "0007:")

        XCTAssertNil(AdditionTask(digits: 2).problem(id: 10_000))
        XCTAssertNil(ReverseTask(length: 2).problem(id: -1))
    }

    func testEveryPromptHasTheTasksLength() throws {
        for task in tasks {
            for split in PromptSplit.allCases {
                for index in probeIndices(task, split) {
                    let problem = task.problem(index, split: split)
                    XCTAssertEqual(problem.prompt.count, task.maxPromptLength, "\(task.name) \(split) \(index)")
                    XCTAssertEqual(problem.prompt, try [tokenizer.bos] + tokenizer.encode(problem.promptText))
                    XCTAssertLessThanOrEqual(problem.answer.count + 1, task.maxResponseLength)
                }
            }
        }
        // The budget is tight: the longest answer needs all of it.
        let longest = AdditionTask(digits: 2).problem(id: 9_999)!
        XCTAssertEqual(longest.answer.count + 1, AdditionTask(digits: 2).maxResponseLength)
        XCTAssertEqual(AdditionTask(digits: 6).promptLength, 15)
        XCTAssertEqual(AdditionTask(digits: 6).maxResponseLength, 8)
        XCTAssertEqual(ReverseTask(length: 5).promptLength, 7)
        XCTAssertEqual(ReverseTask(length: 5).maxResponseLength, 6)
        XCTAssertEqual(SortDigitsTask(length: 5).promptLength, 7)
        XCTAssertEqual(SortDigitsTask(length: 5).maxResponseLength, 6)
    }

    func testAnswersAreRight() {
        for task in tasks {
            for split in PromptSplit.allCases {
                for index in probeIndices(task, split) {
                    let problem = task.problem(index, split: split)
                    var text = problem.promptText
                    let expected: String
                    switch task {
                    case is AdditionTask:
                        XCTAssertEqual(text.removeLast(), "=")
                        let operands = text.split(separator: "+").map { Int($0)! }
                        XCTAssertEqual(operands.count, 2)
                        expected = String(operands[0] + operands[1])
                    case is ReverseTask:
                        XCTAssertEqual(text.removeLast(), ">")
                        XCTAssertTrue(text.allSatisfy { $0.isLowercase && $0.isASCII })
                        expected = String(text.reversed())
                    default:
                        XCTAssertEqual(text.removeLast(), ":")
                        XCTAssertTrue(text.allSatisfy(\.isWholeNumber))
                        expected = String(text.sorted())
                    }
                    XCTAssertEqual(problem.answer, expected, "\(task.name) \(problem.promptText)")
                    XCTAssertEqual(task.problem(id: problem.id), problem, "the id rebuilds the problem")
                }
            }
        }
    }

    func testIdsFollowTheOperands() {
        let addition = AdditionTask(digits: 3)
        for index in 0..<200 {
            let problem = addition.problem(index, split: .train)
            let operands = problem.promptText.dropLast().split(separator: "+").map { Int64($0)! }
            XCTAssertEqual(problem.id, operands[0] * 1000 + operands[1])
        }
        let sort = SortDigitsTask(length: 5)
        for index in 0..<200 {
            let problem = sort.problem(index, split: .heldOut)
            XCTAssertEqual(problem.id, Int64(problem.promptText.dropLast())!)
        }
    }

    // MARK: - Determinism and splits

    func testProblemsAreDeterministic() {
        for (first, second) in zip(tasks, PromptTaskTests.makeTasks()) {
            for split in PromptSplit.allCases {
                for index in probeIndices(first, split) {
                    XCTAssertEqual(first.problem(index, split: split), second.problem(index, split: split))
                }
            }
        }
        // Golden: the order is fixed for good (evaluation sets and logged runs depend on it). The
        // values were checked against an independent Python rendering of ProblemSpace's rule.
        let addition = AdditionTask(digits: 2)
        XCTAssertEqual((0..<5).map { addition.problem($0, split: .train).promptText },
            ["19+31=", "89+18=", "90+47=", "76+24=", "74+26="])
        XCTAssertEqual((0..<5).map { addition.problem($0, split: .heldOut).promptText },
            ["35+11=", "04+47=", "42+92=", "82+79=", "05+53="])
        let reverse = ReverseTask(length: 5)
        XCTAssertEqual((0..<3).map { reverse.problem($0, split: .heldOut).promptText },
            ["wljxz>", "offot>", "wonsm>"])
    }

    func testConsecutiveIndicesAreShuffled() {
        let ids = (0..<100).map { AdditionTask(digits: 2).problem($0, split: .train).id }
        XCTAssertNotEqual(ids, ids.sorted())
        XCTAssertEqual(Set(ids).count, 100)
        let firstOperands = Set(ids.map { $0 / 100 })
        XCTAssertGreaterThan(firstOperands.count, 40, "the first 100 problems spread over the operands")
    }

    func testAddition2SplitsPartitionTheWholeSpaceExactly() {
        let task = AdditionTask(digits: 2)
        XCTAssertEqual(task.heldOutCount, 1_000)
        XCTAssertEqual(task.trainCount, 9_000)
        let heldOut = (0..<task.heldOutCount).map { task.problem($0, split: .heldOut) }
        let train = (0..<task.trainCount).map { task.problem($0, split: .train) }
        let heldOutIds = Set(heldOut.map(\.id)), trainIds = Set(train.map(\.id))
        XCTAssertEqual(heldOutIds.count, 1_000, "no held-out problem repeats")
        XCTAssertEqual(trainIds.count, 9_000, "no train problem repeats")
        XCTAssertTrue(heldOutIds.isDisjoint(with: trainIds))
        XCTAssertEqual(heldOutIds.union(trainIds), Set(0..<10_000))
        XCTAssertTrue(heldOut.allSatisfy { task.split(of: $0) == .heldOut })
        XCTAssertTrue(train.allSatisfy { task.split(of: $0) == .train })
        // Past the end, each split wraps around onto itself.
        XCTAssertEqual(task.problem(9_000 + 17, split: .train), train[17])
        XCTAssertEqual(task.problem(1_000 + 17, split: .heldOut), heldOut[17])
    }

    func testLargerSpacesKeepTheSplitsDisjoint() {
        let spaces: [(any PromptTask, ProblemSpace)] = [
            (AdditionTask(digits: 3), AdditionTask(digits: 3).space),
            (ReverseTask(length: 3), ReverseTask(length: 3).space),
            (SortDigitsTask(length: 5), SortDigitsTask(length: 5).space),
        ]
        for (task, space) in spaces {
            XCTAssertEqual(task.heldOutCount, max(1, space.size / 10))
            let heldOut = Set((0..<task.heldOutCount).map { space.code($0, split: .heldOut) })
            XCTAssertEqual(heldOut.count, task.heldOutCount, task.name)
            for index in 0..<20_000 {
                let code = space.code(index, split: .train)
                XCTAssertFalse(heldOut.contains(code), "\(task.name) train \(index) is held out")
            }
            for index in stride(from: 0, to: 20_000, by: 97) {
                let problem = task.problem(index, split: .train)
                XCTAssertEqual(task.split(of: problem), .train)
                XCTAssertFalse(heldOut.contains(Int(problem.id)))
            }
        }
        // A space too large to enumerate: membership by the inverse permutation.
        let huge = AdditionTask(digits: 6)
        XCTAssertEqual(huge.heldOutCount, 100_000_000_000)
        var trainIds = Set<Int64>()
        for index in 0..<20_000 {
            let problem = huge.problem(index, split: .train)
            XCTAssertEqual(huge.split(of: problem), .train)
            trainIds.insert(problem.id)
        }
        XCTAssertEqual(trainIds.count, 20_000)
        for index in 0..<2_000 {
            XCTAssertEqual(huge.split(of: huge.problem(index, split: .heldOut)), .heldOut)
        }
    }

    func testPermutationIsABijectionForAnySize() {
        for size in [2, 3, 10, 26, 100, 676, 1_000, 17_576] {
            let space = ProblemSpace(size: size, key: "test-\(size)")
            let image = (0..<size).map { space.permute($0) }
            XCTAssertEqual(Set(image), Set(0..<size), "size \(size)")
            XCTAssertTrue((0..<size).allSatisfy { space.unpermute(space.permute($0)) == $0 })
            XCTAssertEqual(space.heldOutCount, max(1, size / 10))
            XCTAssertEqual((0..<size).filter { space.split(of: $0) == .heldOut }.count, space.heldOutCount)
        }
        XCTAssertNotEqual(
            (0..<50).map { ProblemSpace(size: 1_000, key: "a").permute($0) },
            (0..<50).map { ProblemSpace(size: 1_000, key: "b").permute($0) }, "the key picks the permutation")
    }

    // MARK: - Verification

    func testVerifyAddition() throws {
        let task = AdditionTask(digits: 2)
        let problem = task.problem(id: 7 * 100 + 45)!  // 07+45= -> 52
        func verdict(_ text: String, eos: Bool = true, tail: [Int32] = []) throws -> Verdict {
            task.verify(response: try tokenizer.encode(text) + (eos ? [tokenizer.eos] : []) + tail, for: problem)
        }
        let right = Verdict(correct: true, wellFormed: true)
        let wrong = Verdict(correct: false, wellFormed: true)
        let illFormed = Verdict(correct: false, wellFormed: false)
        XCTAssertEqual(try verdict("52"), right)
        XCTAssertEqual(try verdict("52", tail: [7, 0, 0]), right, "tokens after eos are ignored")
        XCTAssertEqual(try verdict("53"), wrong)
        XCTAssertEqual(try verdict("052"), wrong, "a leading zero is not the answer")
        XCTAssertEqual(try verdict("521"), wrong)
        XCTAssertEqual(try verdict("5"), wrong)
        XCTAssertEqual(try verdict("52", eos: false), illFormed, "unterminated")
        XCTAssertEqual(try verdict("", eos: false), illFormed)
        XCTAssertEqual(try verdict(""), illFormed, "empty answer")
        XCTAssertEqual(try verdict("5+2"), illFormed)
        XCTAssertEqual(try verdict("ab"), illFormed)
        XCTAssertEqual(task.verify(response: [8, 0, 5, 2], for: problem), illFormed, "pad inside the answer")
        XCTAssertEqual(task.verify(response: [1, 8, 5, 2], for: problem), illFormed, "bos inside the answer")
        XCTAssertEqual(task.verify(response: [8, 99, 2], for: problem), illFormed, "an id outside the vocabulary")
    }

    func testVerifyReverseAndSort() throws {
        func verdict(_ task: any PromptTask, _ id: Int64, _ text: String, eos: Bool = true) throws -> Verdict {
            task.verify(response: try tokenizer.encode(text) + (eos ? [tokenizer.eos] : []), for: task.problem(id: id)!)
        }
        let right = Verdict(correct: true, wellFormed: true)
        let wrong = Verdict(correct: false, wellFormed: true)
        let illFormed = Verdict(correct: false, wellFormed: false)

        let reverse = ReverseTask(length: 3)
        XCTAssertEqual(reverse.problem(id: 28)!.answer, "cba")
        XCTAssertEqual(try verdict(reverse, 28, "cba"), right)
        XCTAssertEqual(try verdict(reverse, 28, "abc"), wrong)
        XCTAssertEqual(try verdict(reverse, 28, "cb1"), illFormed, "a digit in a reversal")
        XCTAssertEqual(try verdict(reverse, 28, "cba", eos: false), illFormed)

        let sort = SortDigitsTask(length: 4)
        XCTAssertEqual(try verdict(sort, 3141, "1134"), right)
        XCTAssertEqual(try verdict(sort, 3141, "1143"), wrong)
        XCTAssertEqual(try verdict(sort, 3141, "11a4"), illFormed, "a letter in a sort")
        XCTAssertEqual(try verdict(sort, 3141, ""), illFormed)
    }

    func testDemonstrationsVerify() throws {
        for task in tasks {
            for split in PromptSplit.allCases {
                for index in probeIndices(task, split) {
                    let problem = task.problem(index, split: split)
                    let demonstration = task.demonstration(for: problem)
                    XCTAssertEqual(demonstration, try tokenizer.encode(problem.answer) + [tokenizer.eos])
                    XCTAssertLessThanOrEqual(demonstration.count, task.maxResponseLength)
                    XCTAssertEqual(
                        task.verify(response: demonstration, for: problem), Verdict(correct: true, wellFormed: true))
                    XCTAssertEqual(tokenizer.decode(demonstration), problem.answer)
                }
            }
        }
    }

    // MARK: - Rewards

    func testRewardSpecs() {
        let verdicts = [(true, true), (false, true), (false, false), (true, false)].map {
            Verdict(correct: $0.0, wellFormed: $0.1)
        }
        XCTAssertEqual(verdicts.map(RewardSpec.exactMatch.reward), [1, 0, 0, 1])
        XCTAssertEqual(verdicts.map(RewardSpec.dapo.reward), [1, -1, -1, 1])
        let shaped = RewardSpec(correct: 1, incorrect: 0, formatBonus: 0.1)
        XCTAssertEqual(verdicts.map(shaped.reward), [1.1, 0.1, 0, 1])
        XCTAssertEqual(RewardSpec.exactMatch, RewardSpec(correct: 1, incorrect: 0, formatBonus: 0))
        XCTAssertEqual(RewardSpec.dapo.spec, "correct=1.0;incorrect=-1.0;format_bonus=0.0")
    }

    // MARK: - Factory and specs

    func testFactoryMakesEveryFamily() throws {
        let addition = try PromptTasks.make(name: "addition-2")
        XCTAssertEqual((addition as? AdditionTask)?.digits, 2)
        XCTAssertEqual(addition.name, "addition-2")
        XCTAssertEqual((try PromptTasks.make(name: "reverse-5") as? ReverseTask)?.length, 5)
        XCTAssertEqual((try PromptTasks.make(name: "sort-5") as? SortDigitsTask)?.length, 5)
        for task in tasks {
            XCTAssertEqual(try PromptTasks.make(name: task.name).spec, task.spec)
        }
    }

    func testFactoryErrorsSayWhatExists() {
        let cases = [
            ("addition-7", "addition takes 1...6 digits, got 7"),
            ("addition-0", "addition takes 1...6 digits, got 0"),
            ("reverse-13", "reverse takes 1...12 letters, got 13"),
            ("sort-0", "sort takes 1...12 digits, got 0"),
            ("multiply-2", "no task family 'multiply'"),
            ("multiply-x", "no task family 'multiply'"),
            ("addition", "expected FAMILY-N"),
            ("addition-x", "'x' is not a whole number"),
            ("addition-+2", "'+2' is not a whole number"),
            ("addition-", "'' is not a whole number"),
            ("addition-02", "write 2 without leading zeros"),
            ("", "expected FAMILY-N"),
        ]
        for (name, reason) in cases {
            XCTAssertThrowsError(try PromptTasks.make(name: name), name) { error in
                let error = error as! UnknownPromptTaskError
                XCTAssertEqual(error.reason, reason)
                XCTAssertEqual(
                    error.description,
                    "unknown prompt task '\(name)': \(reason); known: "
                        + "addition-N (N in 1...6), reverse-N (N in 1...12), sort-N (N in 1...12)")
            }
        }
    }

    func testSpecsAreDistinctAndCarryTheOptions() {
        XCTAssertEqual(Set(tasks.map(\.spec)).count, tasks.count)
        XCTAssertEqual(Set(tasks.map(\.name)).count, tasks.count)
        let spec = AdditionTask(digits: 2).spec
        XCTAssertTrue(spec.contains("name=addition-2;digits=2;"), spec)
        XCTAssertTrue(spec.contains("held_out=1000/10000"), spec)
        XCTAssertTrue(spec.hasSuffix("tokenizer=" + tokenizer.spec), spec)
    }
}
