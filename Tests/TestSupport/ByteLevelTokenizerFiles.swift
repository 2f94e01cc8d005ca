import Foundation

/// Writes a tiny GPT-2-style tokenizer into `folder`: `vocab.json` with the 256 byte tokens
/// (spelled in GPT-2's byte alphabet, ids 0-255), one token per merge, then `<|endoftext|>`, and
/// `merges.txt` with `merges` in rank order. Returns the number of ids (`<|endoftext|>` is the last).
@discardableResult
public func writeByteLevelTokenizer(to folder: URL, merges: [(String, String)] = [("4", "5"), ("0", "7"), ("5", "2")]) throws -> Int {
    // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others for 256 + n.
    let printable = Set(Array(33...126) + Array(161...172) + Array(174...255))
    var shifted = 0
    var vocabulary: [String: Int] = [:]
    for byte in 0..<256 {
        let scalar = printable.contains(byte) ? byte : 256 + { defer { shifted += 1 }; return shifted }()
        vocabulary[String(Character(Unicode.Scalar(UInt32(scalar))!))] = byte
    }
    for (left, right) in merges { vocabulary[left + right] = vocabulary.count }
    vocabulary["<|endoftext|>"] = vocabulary.count
    try JSONSerialization.data(withJSONObject: vocabulary, options: [.sortedKeys]).write(to: folder.appendingPathComponent("vocab.json"))
    let lines = ["#version: 0.2"] + merges.map { "\($0.0) \($0.1)" }
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("merges.txt"))
    return vocabulary.count
}
