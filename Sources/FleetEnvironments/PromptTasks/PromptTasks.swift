/// A prompt task name `PromptTasks.make(name:)` does not know, with what exists.
public struct UnknownPromptTaskError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name asked for.
    public let name: String
    /// What is wrong with it.
    public let reason: String

    /// The name, the reason, and the known name patterns.
    public var description: String {
        "unknown prompt task '\(name)': \(reason); known: " + PromptTasks.knownNames.joined(separator: ", ")
    }
}

/// Makes prompt tasks by name.
public enum PromptTasks {
    /// The names `make` accepts, as patterns.
    public static let knownNames = [
        "addition-N (N in \(AdditionTask.digitRange))",
        "reverse-N (N in \(ReverseTask.lengthRange))",
        "sort-N (N in \(SortDigitsTask.lengthRange))",
    ]

    /// The task `name` names: `addition-N` (operand digits), `reverse-N` (letters) or `sort-N` (digits).
    public static func make(name: String) throws(UnknownPromptTaskError) -> any PromptTask {
        guard let dash = name.lastIndex(of: "-") else {
            throw UnknownPromptTaskError(name: name, reason: "expected FAMILY-N")
        }
        let family = String(name[..<dash])
        let option = name[name.index(after: dash)...]
        guard ["addition", "reverse", "sort"].contains(family) else {
            throw UnknownPromptTaskError(name: name, reason: "no task family '\(family)'")
        }
        guard !option.isEmpty, option.allSatisfy(\.isASCII), option.allSatisfy(\.isNumber),
            let size = Int(option)
        else {
            throw UnknownPromptTaskError(name: name, reason: "'\(option)' is not a whole number")
        }
        guard String(size) == option else {
            throw UnknownPromptTaskError(name: name, reason: "write \(size) without leading zeros")
        }
        func check(_ range: ClosedRange<Int>, _ what: String) throws(UnknownPromptTaskError) {
            guard range.contains(size) else {
                throw UnknownPromptTaskError(name: name, reason: "\(family) takes \(range) \(what), got \(size)")
            }
        }
        switch family {
        case "addition":
            try check(AdditionTask.digitRange, "digits")
            return AdditionTask(digits: size)
        case "reverse":
            try check(ReverseTask.lengthRange, "letters")
            return ReverseTask(length: size)
        case "sort":
            try check(SortDigitsTask.lengthRange, "digits")
            return SortDigitsTask(length: size)
        default:
            preconditionFailure("family '\(family)' was checked above")
        }
    }
}
