import Foundation

extension GPT2Tokenizer {
    /// The tokenizer of a Hugging Face GPT-2 model folder: its `tokenizer.json` if there is one,
    /// else its `vocab.json` and `merges.txt`. (tokenizer_config.json and special_tokens_map.json
    /// are not read: GPT-2's one special token is `<|endoftext|>`.)
    ///
    /// - Throws: ``GPT2TokenizerError`` naming the file and the field or line at fault.
    public init(folder: String) throws(GPT2TokenizerError) {
        let directory = URL(fileURLWithPath: folder, isDirectory: true)
        let tokenizerFile = directory.appendingPathComponent("tokenizer.json").path
        if FileManager.default.fileExists(atPath: tokenizerFile) {
            try self.init(tokenizerFile: tokenizerFile)
            return
        }
        let vocabularyFile = directory.appendingPathComponent("vocab.json").path
        let mergesFile = directory.appendingPathComponent("merges.txt").path
        guard FileManager.default.fileExists(atPath: vocabularyFile), FileManager.default.fileExists(atPath: mergesFile)
        else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory)
            throw GPT2TokenizerError(
                file: folder,
                !exists ? "no such folder"
                    : !isDirectory.boolValue ? "not a folder"
                    : "neither tokenizer.json nor vocab.json with merges.txt is in the folder")
        }
        try self.init(vocabularyFile: vocabularyFile, mergesFile: mergesFile)
    }

    /// The tokenizer of a Hugging Face `tokenizer.json`: a BPE model with no normalizer, the
    /// byte-level pre-tokenizer (alone or as the only one of a Sequence) with `add_prefix_space`
    /// false, and the byte-level decoder. Added tokens must be special (they encode as plain
    /// text); the post-processor, truncation and padding are not read.
    public init(tokenizerFile path: String) throws(GPT2TokenizerError) {
        func fail(_ field: String?, _ message: String) -> GPT2TokenizerError {
            GPT2TokenizerError(file: path, field: field, message)
        }
        guard let root = try Self.readJSON(path) as? [String: Any] else { throw fail(nil, "not a JSON object") }

        guard let model = root["model"] as? [String: Any] else { throw fail("model", "missing or not an object") }
        try Self.expect(model["type"], is: "BPE", field: "model.type", fail)
        if let dropout = model["dropout"], !(dropout is NSNull) {
            throw fail("model.dropout", "is \(Self.describe(dropout)); Fleet's BPE has no dropout (null)")
        }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = model[field], !(affix is NSNull), (affix as? String) != "" {
                throw fail("model.\(field)", "is \(Self.describe(affix)); byte-level BPE has none (null)")
            }
        }
        if let ignoreMerges = model["ignore_merges"], Self.boolean(ignoreMerges) != false {
            throw fail("model.ignore_merges", "is \(Self.describe(ignoreMerges)); GPT-2 merges every word (false)")
        }
        guard let vocabularyObject = model["vocab"] as? [String: Any] else {
            throw fail("model.vocab", "missing or not an object of tokens to ids")
        }
        let vocabulary = try Self.ids(vocabularyObject) { token in
            fail("model.vocab[\(GPT2TokenizerError.quoted(token))]", "not an integer id")
        }
        guard let mergeItems = model["merges"] as? [Any] else {
            throw fail("model.merges", "missing or not an array")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeItems.count)
        for (index, item) in mergeItems.enumerated() {
            if let line = item as? String {
                guard let merge = Self.merge(line) else {
                    throw fail(
                        "model.merges[\(index)]", "\(GPT2TokenizerError.quoted(line)) is not two tokens separated by one space")
                }
                merges.append(merge)
            } else if let pair = item as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                merges.append((left, right))
            } else {
                throw fail("model.merges[\(index)]", "neither \"left right\" nor [\"left\", \"right\"]")
            }
        }

        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw fail("normalizer", "is \(Self.describe(normalizer)); GPT-2 normalizes nothing (null)")
        }
        try Self.checkPreTokenizer(root["pre_tokenizer"], fail)
        guard let decoder = root["decoder"] as? [String: Any] else {
            throw fail("decoder", "missing or not an object; GPT-2 decodes byte-level (\"ByteLevel\")")
        }
        try Self.expect(decoder["type"], is: "ByteLevel", field: "decoder.type", fail)

        var specialTokens: [String: Int32] = [:]
        if let added = root["added_tokens"], !(added is NSNull) {
            guard let items = added as? [Any] else { throw fail("added_tokens", "not an array") }
            for (index, item) in items.enumerated() {
                let field = "added_tokens[\(index)]"
                guard let token = item as? [String: Any] else { throw fail(field, "not an object") }
                guard let content = token["content"] as? String else { throw fail("\(field).content", "missing or not a string") }
                guard let id = Self.integer(token["id"]) else { throw fail("\(field).id", "missing or not an integer id") }
                guard Self.boolean(token["special"]) == true else {
                    throw fail(
                        "\(field).special",
                        "\(GPT2TokenizerError.quoted(content)) is not special; Fleet reads only special added tokens "
                            + "(a plain added token would cut the text before GPT-2's regex)")
                }
                guard specialTokens[content] == nil else {
                    throw fail("\(field).content", "\(GPT2TokenizerError.quoted(content)) is added twice")
                }
                specialTokens[content] = id
            }
        }
        try self.init(vocabulary: vocabulary, merges: merges, specialTokens: specialTokens, origin: .tokenizerJSON(path))
    }

    /// The tokenizer of a `vocab.json` (byte-level spellings to ids, `<|endoftext|>` among them)
    /// and a `merges.txt` (one merge a line, `left right`, lowest rank first, after an optional
    /// `#version` line).
    public init(vocabularyFile: String, mergesFile: String) throws(GPT2TokenizerError) {
        guard let object = try Self.readJSON(vocabularyFile) as? [String: Any] else {
            throw GPT2TokenizerError(file: vocabularyFile, "not a JSON object of tokens to ids")
        }
        let vocabulary = try Self.ids(object) { token in
            GPT2TokenizerError(file: vocabularyFile, field: token, "not an integer id")
        }
        let text = try Self.readText(mergesFile)
        var merges: [(String, String)] = []
        var lines: [Int] = []
        // Split by scalars: "\r\n" is one Character.
        var rawLines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        if rawLines.last?.isEmpty == true { rawLines.removeLast() }  // the final newline
        for (offset, rawLine) in rawLines.enumerated() {
            let line = String(rawLine.last == "\r" ? rawLine.dropLast() : rawLine)
            if offset == 0 && line.hasPrefix("#version") { continue }
            guard let merge = Self.merge(line) else {
                throw GPT2TokenizerError(
                    file: mergesFile, line: offset + 1,
                    "\(GPT2TokenizerError.quoted(line)) is not two tokens separated by one space")
            }
            merges.append(merge)
            lines.append(offset + 1)
        }
        try self.init(
            vocabulary: vocabulary, merges: merges, specialTokens: [:],
            origin: .vocabularyAndMerges(vocabulary: vocabularyFile, merges: mergesFile, mergeLines: lines))
    }

    // MARK: - Reading

    /// The two tokens of a merge line, `left right`, split at its one space (by scalars: a space
    /// and a combining mark after it are one Character).
    private static func merge(_ line: String) -> (String, String)? {
        let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    private static func readData(_ path: String) throws(GPT2TokenizerError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GPT2TokenizerError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        return data
    }

    private static func readText(_ path: String) throws(GPT2TokenizerError) -> String {
        let data = try readData(path)
        guard let text = String(validating: data, as: UTF8.self) else { throw GPT2TokenizerError(file: path, "not UTF-8 text") }
        return text
    }

    private static func readJSON(_ path: String) throws(GPT2TokenizerError) -> Any {
        let data = escapingByteOrderMarks(try readData(path))
        do {
            return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw GPT2TokenizerError(file: path, "not JSON: \(error.localizedDescription)")
        }
    }

    /// `data` with each U+FEFF written `\ufeff` (the same character, in a JSON string, where alone
    /// it can be) and one that starts the file dropped: JSONSerialization drops a U+FEFF that
    /// starts a string.
    private static func escapingByteOrderMarks(_ data: Data) -> Data {
        let mark = Data([0xEF, 0xBB, 0xBF])
        guard data.firstRange(of: mark) != nil else { return data }
        var bytes = [UInt8](data)
        if bytes.starts(with: mark) { bytes.removeFirst(3) }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(bytes.count + 64)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0xEF, index + 2 < bytes.count, bytes[index + 1] == 0xBB, bytes[index + 2] == 0xBF {
                escaped += Array("\\ufeff".utf8)
                index += 3
            } else {
                escaped.append(bytes[index])
                index += 1
            }
        }
        return Data(escaped)
    }

    /// `value` as an id, if it is an integer that fits.
    private static func integer(_ value: Any?) -> Int32? {
        guard let value, boolean(value) == nil, let number = value as? Int else { return nil }
        return Int32(exactly: number)
    }

    /// `value` as a boolean, if it is JSON's `true` or `false` (which Foundation reads as a number).
    private static func boolean(_ value: Any?) -> Bool? {
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return nil }
        return number.boolValue
    }

    /// The ids of a JSON object of tokens to ids.
    private static func ids(
        _ object: [String: Any], notAnID: (String) -> GPT2TokenizerError
    ) throws(GPT2TokenizerError) -> [String: Int32] {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(object.count)
        for (token, value) in object {
            guard let id = integer(value) else { throw notAnID(token) }
            ids[token] = id
        }
        return ids
    }

    private static func expect(
        _ value: Any?, is expected: String, field: String, _ fail: (String?, String) -> GPT2TokenizerError
    ) throws(GPT2TokenizerError) {
        guard let value, !(value is NSNull) else { throw fail(field, "missing; Fleet reads \"\(expected)\"") }
        guard (value as? String) == expected else {
            throw fail(field, "is \(describe(value)); Fleet reads only \"\(expected)\"")
        }
    }

    /// GPT-2's pre-tokenizer: ByteLevel with `add_prefix_space` false and the regex, maybe the only
    /// member of a Sequence.
    private static func checkPreTokenizer(
        _ value: Any?, _ fail: (String?, String) -> GPT2TokenizerError
    ) throws(GPT2TokenizerError) {
        guard let preTokenizer = value as? [String: Any] else {
            throw fail("pre_tokenizer", "missing or not an object; GPT-2's is \"ByteLevel\"")
        }
        var field = "pre_tokenizer"
        var byteLevel = preTokenizer
        if (preTokenizer["type"] as? String) == "Sequence" {
            guard let members = preTokenizer["pretokenizers"] as? [Any] else {
                throw fail("pre_tokenizer.pretokenizers", "missing or not an array")
            }
            guard members.count == 1, let only = members[0] as? [String: Any] else {
                throw fail(
                    "pre_tokenizer.pretokenizers",
                    "has \(members.count) pre-tokenizers; Fleet reads a Sequence only of GPT-2's one (\"ByteLevel\")")
            }
            field = "pre_tokenizer.pretokenizers[0]"
            byteLevel = only
        }
        try expect(byteLevel["type"], is: "ByteLevel", field: "\(field).type", fail)
        guard let prefixSpace = boolean(byteLevel["add_prefix_space"]) else {
            throw fail("\(field).add_prefix_space", "missing or not a boolean; GPT-2's is false")
        }
        guard !prefixSpace else {
            throw fail("\(field).add_prefix_space", "is true; GPT-2 adds no space before the text (false)")
        }
        if let useRegex = byteLevel["use_regex"], boolean(useRegex) != true {
            throw fail("\(field).use_regex", "is \(describe(useRegex)); GPT-2 cuts words by its regex (true)")
        }
    }

    /// A JSON value as an error message shows it.
    private static func describe(_ value: Any) -> String {
        if let flag = boolean(value) { return flag ? "true" : "false" }
        switch value {
        case is NSNull: return "null"
        case let text as String: return GPT2TokenizerError.quoted(text)
        case let object as [String: Any]:
            return (object["type"] as? String).map { "a \(GPT2TokenizerError.quoted($0)) object" } ?? "an object"
        case is [Any]: return "an array"
        default: return "\(value)"
        }
    }
}

extension GPT2Tokenizer {
    /// Where a vocabulary and merges came from, for errors that name the file and the field.
    enum Origin: Sendable {
        /// The in-memory initializer's arguments.
        case memory
        /// A tokenizer.json.
        case tokenizerJSON(String)
        /// A vocab.json and a merges.txt; the line of each merge.
        case vocabularyAndMerges(vocabulary: String, merges: String, mergeLines: [Int])

        func vocabularyError(token: String?, _ message: String) -> GPT2TokenizerError {
            let key = token.map(GPT2TokenizerError.quoted)
            switch self {
            case .memory: return GPT2TokenizerError(file: "vocabulary", field: key, message)
            case .tokenizerJSON(let path):
                return GPT2TokenizerError(file: path, field: "model.vocab" + (key.map { "[\($0)]" } ?? ""), message)
            case .vocabularyAndMerges(let path, _, _): return GPT2TokenizerError(file: path, field: key, message)
            }
        }

        func specialTokenError(token: String, _ message: String) -> GPT2TokenizerError {
            let key = GPT2TokenizerError.quoted(token)
            switch self {
            case .tokenizerJSON(let path): return GPT2TokenizerError(file: path, field: "added_tokens", "\(key): \(message)")
            default: return GPT2TokenizerError(file: "specialTokens", field: key, message)
            }
        }

        func mergeError(rank: Int, _ message: String) -> GPT2TokenizerError {
            switch self {
            case .memory: return GPT2TokenizerError(file: "merges", field: "merges[\(rank)]", message)
            case .tokenizerJSON(let path): return GPT2TokenizerError(file: path, field: "model.merges[\(rank)]", message)
            case .vocabularyAndMerges(_, let path, let lines): return GPT2TokenizerError(file: path, line: lines[rank], message)
            }
        }
    }
}
