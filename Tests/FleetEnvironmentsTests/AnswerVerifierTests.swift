import XCTest

@testable import FleetEnvironments

/// Each verifier against a table of responses: (response, answer, correct, well formed).
final class AnswerVerifierTests: XCTestCase {
    private typealias Case = (response: String, answer: String, correct: Bool, wellFormed: Bool)

    private func check(
        _ verifier: any AnswerVerifier, _ cases: [Case], file: StaticString = #filePath, line: UInt = #line
    ) {
        for c in cases {
            let verdict = verifier.verdict(response: c.response, answer: c.answer)
            XCTAssertEqual(
                verdict, Verdict(correct: c.correct, wellFormed: c.wellFormed),
                "\(verifier.spec): \(c.response.debugDescription) vs \(c.answer.debugDescription)", file: file, line: line)
        }
    }

    func testExact() {
        check(ExactVerifier(), [
            ("8", "8", true, true),
            ("  8\n", "8 ", true, true),
            ("08", "8", false, true),
            ("8.0", "8", false, true),
            ("Paris", "paris", false, true),
            ("", "8", false, false),
            (" \n\t", "8", false, false),
            ("a b", "a  b", false, true),
        ])
    }

    func testNumeric() {
        let numeric = NumericVerifier(tolerance: 1e-6)
        check(numeric, [
            ("8", "8", true, true),
            ("The answer is 8.", "8", true, true),
            ("3+5=8", "8", true, true),
            ("first 3, then 8", "8", true, true),
            ("8 then 3", "8", false, true),
            ("x = -3", "-3", true, true),
            ("5-3=2", "2", true, true),  // the minus after a digit is an operator: 5, 3, 2
            ("10-13", "-3", false, true),  // 13 is the last number
            ("(-4)", "-4", true, true),
            ("It costs 1,234 dollars", "1234", true, true),
            ("1,234,567", "1234567", true, true),
            ("1,23", "23", true, true),  // not a thousands group: 1 and 23
            ("12345,678", "678", true, true),
            ("3.25", "3.250", true, true),
            (".5", "0.5", true, true),
            ("-.5", "-0.5", true, true),
            ("0.3", "0.30000001", true, true),
            ("0.31", "0.3", false, true),
            ("+7", "7", true, true),
            ("v2", "2", true, true),
            ("no digits here", "8", false, false),
            ("", "8", false, false),
            ("8", "#### 8", true, true),  // the answer's last number
            ("8", "eight", false, true),
        ])
        check(NumericVerifier(tolerance: 0.5), [("3.4", "3", true, true), ("3.6", "3", false, true)])
    }

    func testBoxed() {
        let boxed = BoxedVerifier(tolerance: 1e-6)
        check(boxed, [
            ("so \\boxed{8}", "8", true, true),
            ("\\boxed{8}", "\\boxed{8}", true, true),
            ("\\boxed{ 8 }", "8", true, true),
            ("\\boxed{8.0}", "8", true, true),
            ("\\boxed{1,000}", "1000", true, true),
            ("\\boxed{3} no, \\boxed{4}", "4", true, true),
            ("\\boxed{4} no, \\boxed{3}", "4", false, true),
            ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}", true, true),
            ("\\boxed{\\frac{1}{2}}", "The answer is \\boxed{\\frac{1}{2}}.", true, true),
            ("\\boxed{x^{2}+1}", "x^{2}+1", true, true),
            ("\\boxed{8", "8", false, false),
            ("boxed{8}", "8", false, false),
            ("\\boxed{}", "8", false, true),
            ("8", "8", false, false),
            ("\\boxed{8} and \\boxed{9", "8", true, true),  // the last box that closes
        ])
    }

    func testHashAnswer() {
        let hash = HashAnswerVerifier(tolerance: 1e-6)
        check(hash, [
            ("3+5=8 #### 8", "3+5=8 #### 8", true, true),
            ("#### 8", "8", true, true),
            ("3+5=9 #### 8", "3+5=8 #### 8", true, true),  // only the final answers are compared
            ("3+5=8 #### 9", "3+5=8 #### 8", false, true),
            ("#### 1,234", "#### 1234", true, true),
            ("####8.00", "8", true, true),
            ("#### 7 #### 8", "8", true, true),  // the last ####
            ("#### 8 apples", "8", false, true),
            ("#### eight", "#### eight", true, true),
            ("#### Eight", "#### eight", false, true),
            ("#### ", "8", false, false),
            ("3+5=8", "8", false, false),
            ("", "#### 8", false, false),
            ("#### -3", "-3", true, true),
        ])
    }

    func testRegex() throws {
        check(try RegexVerifier(pattern: #"Answer: (\d+)"#), [
            ("Answer: 42", "42", true, true),
            ("Work... Answer: 42 done", "42", true, true),
            ("Answer: 41 Answer: 42", "42", false, true),  // the first match
            ("answer: 42", "42", false, false),
            ("Answer: forty", "40", false, false),
        ])
        check(try RegexVerifier(pattern: #"[A-D]\b"#), [("I pick C.", "C", true, true), ("none", "C", false, false)])
        check(try RegexVerifier(pattern: #"(?:x=)?(\d+)?y"#), [("y", "y", true, true)])  // group 1 unmatched: the whole match
        XCTAssertThrowsError(try RegexVerifier(pattern: "(unclosed")) { error in
            XCTAssertTrue("\(error)".hasPrefix("verifier_pattern '(unclosed' is not a regular expression"), "\(error)")
        }
        XCTAssertThrowsError(try RegexVerifier(pattern: "")) { error in
            XCTAssertTrue("\(error)".contains("needs verifier_pattern"), "\(error)")
        }
    }

    func testChoice() {
        check(ChoiceVerifier(), [
            ("B", "B", true, true),
            ("(B)", "B", true, true),
            ("B)", "(B)", true, true),
            ("The answer is (C).", "C", true, true),
            ("Answer: D", "D", true, true),
            ("answer: d", "D", false, false),  // letters are capitals
            ("I think B", "B", true, true),  // "I" followed by a lowercase word is a word
            ("A cat is not B", "B", true, true),
            ("A", "A", true, true),
            ("A.", "A", true, true),
            ("C or D", "C", true, true),  // the first standalone capital
            ("Both A and B", "B", true, true),  // "A" before a lowercase word reads as the article
            ("(A) or maybe answer is C", "C", true, true),  // an answer marker wins
            ("Answer: B. Wait, Answer: C", "C", true, true),  // the last marker
            ("ABC", "A", false, false),
            ("Because", "B", false, false),
            ("", "A", false, false),
            ("C", "Answer: C", true, true),
            ("E", "A", false, true),
            ("İ Ǆ ß ANSWER: \u{FFFD} B", "B", true, true),  // non-ASCII letters are no choices
        ])
    }

    func testMakeByName() throws {
        for name in AnswerVerifiers.names where name != "regex" {
            XCTAssertFalse(try AnswerVerifiers.make(name: name, tolerance: 0, pattern: "").spec.isEmpty)
        }
        XCTAssertEqual(try AnswerVerifiers.make(name: "regex", tolerance: 0, pattern: "(x)").spec,
                       "regex-v1;first-match;group-1-or-whole;pattern=(x)")
        XCTAssertNotEqual(
            try AnswerVerifiers.make(name: "numeric", tolerance: 0.1, pattern: "").spec,
            try AnswerVerifiers.make(name: "numeric", tolerance: 0.2, pattern: "").spec)
        XCTAssertThrowsError(try AnswerVerifiers.make(name: "fuzzy", tolerance: 0, pattern: "")) { error in
            XCTAssertEqual("\(error)", "unknown verifier 'fuzzy'; known: exact, numeric, boxed, hash_answer, regex, choice")
        }
        XCTAssertThrowsError(try AnswerVerifiers.make(name: "numeric", tolerance: -1, pattern: ""))
    }
}
