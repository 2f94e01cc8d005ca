/// What a prompt task's tokenizer does: text to ids and back, with three special tokens every
/// Fleet tokenizer places first (`pad = 0`, `bos = 1`, `eos = 2`).
///
/// `encode` adds no special tokens (a prompt is `[bos] + encode(text)`); `decode` reads up to the
/// first `eos` and skips `pad` and `bos`. (Where one id is all three, as GPT-2's `<|endoftext|>`,
/// `decode` skips it before the first other id and stops at it after: see `GPT2Tokenizer`.)
public protocol PromptTokenizer: Sendable {
    /// The number of ids, special tokens included: the model's vocabulary.
    var vocabularySize: Int { get }
    /// Padding (never produced by `encode`; skipped by `decode`).
    var pad: Int32 { get }
    /// Beginning of sequence: the first token of every prompt.
    var bos: Int32 { get }
    /// End of sequence: ends every response.
    var eos: Int32 { get }
    /// A canonical description of the vocabulary, for spec hashes: two tokenizers with the same
    /// spec map every text and id the same way.
    var spec: String { get }
    /// The ids of `text`, without special tokens; throws an error that names what cannot be encoded.
    func encode(_ text: String) throws -> [Int32]
    /// The text of `tokens` up to the first `eos`, `pad` and `bos` skipped.
    func decode(_ tokens: [Int32]) -> String
}

extension PromptTokenizer {
    /// `encode(text)` for text known to be encodable (a programmer error otherwise).
    func encodeKnown(_ text: String) -> [Int32] {
        do {
            return try encode(text)
        } catch {
            preconditionFailure("task text: \(error)")
        }
    }
}
