import Synchronization

/// The tokens of words already encoded, shared by every copy of a tokenizer and safe to use from
/// any thread; it stops growing at `capacity` words.
///
/// Words are keyed by their UTF-8 bytes: Swift's `String` equality is canonical equivalence, which
/// would give `"e\u{301}"` the tokens of `"é"`.
final class WordCache: Sendable {
    /// The most words kept.
    let capacity: Int
    private let tokensOfWord = Mutex<[[UInt8]: [Int32]]>([:])

    /// An empty cache of at most `capacity` words.
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The cached tokens of `word`, else `encode(word)`, cached while there is room.
    func tokens(of word: [UInt8], encode: ([UInt8]) -> [Int32]) -> [Int32] {
        if let tokens = tokensOfWord.withLock({ $0[word] }) { return tokens }
        let tokens = encode(word)
        tokensOfWord.withLock { cache in
            if cache.count < capacity { cache[word] = tokens }
        }
        return tokens
    }

    /// The number of words cached.
    var count: Int { tokensOfWord.withLock { $0.count } }
}
