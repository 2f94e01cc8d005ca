/// How verifiers compare an extracted answer with the expected one.
enum AnswerText {
    /// `text` without leading and trailing whitespace and newlines.
    static func trimmed<S: StringProtocol>(_ text: S) -> String {
        let characters = Array(text)
        guard let first = characters.firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = characters.lastIndex(where: { !$0.isWhitespace })!
        return String(characters[first...last])
    }

    /// Equal once trimmed, or both whole numbers (``NumberText/value(of:)``) at most `tolerance` apart.
    static func matches(_ extracted: String, _ expected: String, tolerance: Double) -> Bool {
        let extracted = trimmed(extracted), expected = trimmed(expected)
        if extracted == expected { return true }
        guard let x = NumberText.value(of: extracted), let y = NumberText.value(of: expected) else { return false }
        return abs(x - y) <= tolerance
    }
}
