/// Decimal numbers written in text: an optional sign, digits (optionally in groups of three after
/// thousands separators, `1,234,567`), an optional decimal part (`3.25`, `.5`).
///
/// A sign belongs to a number only when it does not follow a letter, digit or `)`: in `5-3` the
/// numbers are 5 and 3, in `x = -3` it is -3. A comma is a thousands separator only between 1-3
/// leading digits and groups of exactly three (`1,234`; `1,23` is 1 and 23; `12345,678` is 12345
/// and 678), a period a decimal point only before a digit (`8.` is 8).
enum NumberText {
    /// Every number in `text`, in order.
    static func numbers(in text: String) -> [Double] {
        scan(Array(text.utf8)).map(\.value)
    }

    /// The value of `text` when, trimmed, it is exactly one number; nil otherwise.
    static func value(of text: String) -> Double? {
        let bytes = Array(AnswerText.trimmed(text).utf8)
        let found = scan(bytes)
        guard found.count == 1, found[0].range == 0..<bytes.count else { return nil }
        return found[0].value
    }

    /// The numbers of `bytes` with the byte ranges they span.
    private static func scan(_ bytes: [UInt8]) -> [(value: Double, range: Range<Int>)] {
        var found: [(value: Double, range: Range<Int>)] = []
        var i = 0
        while i < bytes.count {
            let start = i
            var j = i
            var negative = false
            if bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") {
                let free = j == 0 || !(isWordOrDigit(bytes[j - 1]) || bytes[j - 1] == UInt8(ascii: ")"))
                guard free, startsNumber(bytes, at: j + 1) else {
                    i += 1
                    continue
                }
                negative = bytes[j] == UInt8(ascii: "-")
                j += 1
            }
            guard startsNumber(bytes, at: j) else {
                i += 1
                continue
            }
            var digits = negative ? "-0" : "0"  // a leading zero makes ".5" parse
            let integerStart = j
            while j < bytes.count, isDigit(bytes[j]) { j += 1 }
            digits += String(decoding: bytes[integerStart..<j], as: UTF8.self)
            if (1...3).contains(j - integerStart) {
                while isThousandsGroup(bytes, at: j) {
                    digits += String(decoding: bytes[(j + 1)..<(j + 4)], as: UTF8.self)
                    j += 4
                }
            }
            if j + 1 < bytes.count, bytes[j] == UInt8(ascii: "."), isDigit(bytes[j + 1]) {
                let fractionStart = j
                j += 1
                while j < bytes.count, isDigit(bytes[j]) { j += 1 }
                digits += String(decoding: bytes[fractionStart..<j], as: UTF8.self)
            }
            if let value = Double(digits) { found.append((value, start..<j)) }
            i = j
        }
        return found
    }

    /// A comma at `index`, then exactly three digits (no fourth).
    private static func isThousandsGroup(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index + 3 < bytes.count, bytes[index] == UInt8(ascii: ",") else { return false }
        guard bytes[(index + 1)...(index + 3)].allSatisfy(isDigit) else { return false }
        return index + 4 == bytes.count || !isDigit(bytes[index + 4])
    }

    /// A digit, or a decimal point before a digit (and not after one), at `index`.
    private static func startsNumber(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index < bytes.count else { return false }
        if isDigit(bytes[index]) { return true }
        return bytes[index] == UInt8(ascii: ".") && index + 1 < bytes.count && isDigit(bytes[index + 1])
            && (index == 0 || !isDigit(bytes[index - 1]))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// An ASCII letter or digit, or any byte of a non-ASCII character (letters of other scripts).
    private static func isWordOrDigit(_ byte: UInt8) -> Bool {
        let lower = byte | 0x20
        return isDigit(byte) || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || byte >= 0x80
    }
}
