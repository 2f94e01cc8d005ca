/// GPT-2's pre-tokenization: the text cut into words before byte-pair encoding, as the regex
///
/// ```
/// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
/// ```
///
/// cuts it, written out over Unicode scalars:
///
/// ```
/// "Hello  world's 42!\n" → "Hello", " ", " world", "'s", " 42", "!", "\n"
/// ```
///
/// The classes are those of Hugging Face `tokenizers`' byte-level pre-tokenizer, whose regex
/// engine (Oniguruma) knows Unicode 14.0: `\p{L}` and `\p{N}` are the letter and number general
/// categories of scalars assigned by Unicode 14.0 (a later letter is "other" there, and here);
/// `\s` is the White_Space property (not U+001C–U+001F, unlike Python's `str.isspace`). Checked
/// against `tokenizers` 0.20 on every Unicode scalar. (transformers' slow GPT2Tokenizer uses Python's
/// `regex` with a later Unicode, so it cuts differently around letters and digits assigned after
/// 14.0.)
enum GPT2PreTokenizer {
    /// What the regex sees of one Unicode scalar.
    enum ScalarClass: UInt8, Sendable {
        case letter, number, whitespace, other
    }

    /// The Unicode version of the regex engine's character classes.
    static let unicodeVersion: Unicode.Version = (major: 14, minor: 0)

    /// The class of each ASCII scalar.
    private static let asciiClasses: [ScalarClass] = (0..<128).map { value in
        switch UInt8(value) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): .number
        case 0x09...0x0D, 0x20: .whitespace
        default: .other
        }
    }

    /// The class of `scalar` in the regex.
    static func scalarClass(_ scalar: Unicode.Scalar) -> ScalarClass {
        if scalar.isASCII { return asciiClasses[Int(scalar.value)] }
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return isKnownToRegex(properties) ? .letter : .other
        case .decimalNumber, .letterNumber, .otherNumber:
            return isKnownToRegex(properties) ? .number : .other
        default:
            return properties.isWhitespace ? .whitespace : .other
        }
    }

    /// Whether the scalar was assigned by ``unicodeVersion``.
    private static func isKnownToRegex(_ properties: Unicode.Scalar.Properties) -> Bool {
        guard let age = properties.age else { return false }
        return (age.major, age.minor) <= (unicodeVersion.major, unicodeVersion.minor)
    }

    /// The words of `text`, in order; together they are the whole text.
    static func words(_ text: String) -> [Substring] {
        let view = text.unicodeScalars
        var indices: [String.Index] = []
        var scalars: [Unicode.Scalar] = []
        var classes: [ScalarClass] = []
        indices.reserveCapacity(text.utf8.count + 1)
        scalars.reserveCapacity(text.utf8.count)
        classes.reserveCapacity(text.utf8.count)
        var index = view.startIndex
        while index < view.endIndex {
            let scalar = view[index]
            indices.append(index)
            scalars.append(scalar)
            classes.append(scalarClass(scalar))
            index = view.index(after: index)
        }
        indices.append(view.endIndex)

        var words: [Substring] = []
        var start = 0
        while start < scalars.count {
            let end = wordEnd(from: start, scalars: scalars, classes: classes)
            words.append(text[indices[start]..<indices[end]])
            start = end
        }
        return words
    }

    /// Where the word that starts at `start` ends: the regex's alternatives tried in order.
    static func wordEnd(from start: Int, scalars: [Unicode.Scalar], classes: [ScalarClass]) -> Int {
        let count = scalars.count
        // 's|'t|'re|'ve|'m|'ll|'d
        if scalars[start] == "'", let length = contractionLength(after: start, scalars: scalars) {
            return start + 1 + length
        }
        // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': an optional space, then a run of one class.
        var head = start
        if scalars[start] == " ", start + 1 < count, classes[start + 1] != .whitespace { head = start + 1 }
        let headClass = classes[head]
        var end = head + 1
        while end < count, classes[end] == headClass { end += 1 }
        if headClass != .whitespace { return end }
        // '\s+(?!\S)': a run of whitespace that ends the text or, less its last scalar, is
        // followed by whitespace; else '\s+': a lone whitespace scalar before a word.
        if end == count || end - start == 1 { return end }
        return end - 1
    }

    /// The length after the apostrophe at `apostrophe` of the contraction there, if any.
    private static func contractionLength(after apostrophe: Int, scalars: [Unicode.Scalar]) -> Int? {
        func scalar(_ offset: Int) -> Unicode.Scalar? {
            apostrophe + offset < scalars.count ? scalars[apostrophe + offset] : nil
        }
        switch (scalar(1), scalar(2)) {
        case ("s", _), ("t", _), ("m", _), ("d", _): return 1
        case ("r", "e"), ("v", "e"), ("l", "l"): return 2
        default: return nil
        }
    }
}
