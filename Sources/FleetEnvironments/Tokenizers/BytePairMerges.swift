/// A byte-level vocabulary's merges, applied to one word: its bytes start as one token each, then
/// the adjacent pair of lowest merge rank (leftmost among equals) becomes its merged token, until no
/// adjacent pair has a merge — the order of Hugging Face `tokenizers`' BPE model.
struct BytePairMerges: Sendable {
    /// A merge's place in the merge list (lower merges first) and the token it makes.
    struct Merge: Sendable, Hashable {
        var rank: Int32
        var merged: Int32
    }

    /// The token of each byte's byte-level character.
    let idOfByte: [Int32]
    /// The merge of each pair of tokens, keyed by ``pairKey(_:_:)``.
    let mergeOfPair: [UInt64: Merge]

    /// The key of the pair `left`, `right` in ``mergeOfPair``.
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// The tokens of a word's bytes after every merge.
    func tokens(ofWord bytes: some Collection<UInt8>) -> [Int32] {
        var ids = bytes.map { idOfByte[Int($0)] }
        guard ids.count > 1 else { return ids }
        // Tokens stay at their byte's position; a merge empties its right one and relinks.
        var next = Array(1...ids.count)
        var previous = Array(-1..<(ids.count - 1))
        var removed = [Bool](repeating: false, count: ids.count)
        var queue = MergeQueue()
        for position in 0..<(ids.count - 1) {
            if let merge = mergeOfPair[Self.pairKey(ids[position], ids[position + 1])] {
                queue.push(.init(rank: merge.rank, position: Int32(position), merged: merge.merged))
            }
        }
        while let candidate = queue.popMinimum() {
            let position = Int(candidate.position)
            let right = next[position]
            guard !removed[position], right < ids.count,
                mergeOfPair[Self.pairKey(ids[position], ids[right])]?.merged == candidate.merged
            else { continue }  // stale: one of its tokens has merged since
            ids[position] = candidate.merged
            removed[right] = true
            next[position] = next[right]
            if next[right] < ids.count { previous[next[right]] = position }
            let before = previous[position]
            if before >= 0, let merge = mergeOfPair[Self.pairKey(ids[before], ids[position])] {
                queue.push(.init(rank: merge.rank, position: Int32(before), merged: merge.merged))
            }
            let after = next[position]
            if after < ids.count, let merge = mergeOfPair[Self.pairKey(ids[position], ids[after])] {
                queue.push(.init(rank: merge.rank, position: Int32(position), merged: merge.merged))
            }
        }
        var tokens: [Int32] = []
        var position = 0
        while position < ids.count {
            tokens.append(ids[position])
            position = next[position]
        }
        return tokens
    }
}

/// A binary min-heap of candidate merges, by rank then position.
struct MergeQueue {
    /// A merge that may apply at `position` (the left token's byte position).
    struct Candidate: Comparable {
        var rank: Int32
        var position: Int32
        var merged: Int32

        static func < (a: Candidate, b: Candidate) -> Bool {
            (a.rank, a.position) < (b.rank, b.position)
        }
    }

    private var heap: [Candidate] = []

    mutating func push(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMinimum() -> Candidate? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let minimum = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left] < heap[smallest] { smallest = left }
            if right < heap.count, heap[right] < heap[smallest] { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}
