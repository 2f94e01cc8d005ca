/// The train/held-out partition of a task's problems, numbered `0 ..< size` by their canonical
/// code (the problem id), and the order each split enumerates them in.
///
/// A fixed pseudorandom permutation `P` of `0 ..< size` (a six-round Feistel network over the
/// next even power of two, cycle-walked into range, keyed by FNV-1a of `key`) lays the problems
/// out in a line; the first `heldOutCount = max(1, size / 10)` positions are held out, the rest
/// train. Held-out index `i` is problem `P(i mod heldOutCount)`; train index `i` is problem
/// `P(heldOutCount + i mod trainCount)`. A problem is held out iff `P⁻¹(code) < heldOutCount`, so
/// the splits are disjoint and together cover every problem exactly once.
struct ProblemSpace: Sendable, Hashable {
    /// The number of problems.
    let size: Int
    /// The number of held-out problems (the first positions of the permutation).
    let heldOutCount: Int
    private let halfBits: Int
    private let roundKeys: [UInt64]

    static let rounds = 6
    /// How the permutation and split are made, for task specs.
    static let rule = "feistel6-fnv1a-held-out-first-tenth-v1"

    /// The partition of `size` (>= 2) problems, keyed by `key` (the task's name).
    init(size: Int, key: String) {
        precondition(size >= 2, "a problem space needs at least 2 problems, got \(size)")
        self.size = size
        self.heldOutCount = max(1, size / 10)
        var bits = 2
        while bits < 62 && (1 << bits) < size { bits += 1 }
        self.halfBits = (bits + 1) / 2
        var state = Self.fnv1a(key)
        self.roundKeys = (0..<Self.rounds).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            return Self.mix(state)
        }
    }

    /// The number of training problems.
    var trainCount: Int { size - heldOutCount }

    func count(_ split: PromptSplit) -> Int {
        split == .heldOut ? heldOutCount : trainCount
    }

    /// The code of problem `index` of `split`.
    func code(_ index: Int, split: PromptSplit) -> Int {
        precondition(index >= 0, "problem index \(index) is negative")
        switch split {
        case .heldOut: return permute(index % heldOutCount)
        case .train: return permute(heldOutCount + index % trainCount)
        }
    }

    /// The split problem `code` belongs to.
    func split(of code: Int) -> PromptSplit {
        precondition(code >= 0 && code < size, "problem code \(code) is outside 0..<\(size)")
        return unpermute(code) < heldOutCount ? .heldOut : .train
    }

    /// `P(position)`.
    func permute(_ position: Int) -> Int {
        var value = UInt64(position)
        repeat { value = encrypt(value) } while value >= UInt64(size)
        return Int(value)
    }

    /// `P⁻¹(code)`.
    func unpermute(_ code: Int) -> Int {
        var value = UInt64(code)
        repeat { value = decrypt(value) } while value >= UInt64(size)
        return Int(value)
    }

    private var mask: UInt64 { (1 << UInt64(halfBits)) - 1 }

    private func round(_ half: UInt64, _ round: Int) -> UInt64 {
        Self.mix(half &+ roundKeys[round]) & mask
    }

    private func encrypt(_ value: UInt64) -> UInt64 {
        var left = value >> UInt64(halfBits), right = value & mask
        for r in 0..<Self.rounds {
            (left, right) = (right, left ^ round(right, r))
        }
        return left << UInt64(halfBits) | right
    }

    private func decrypt(_ value: UInt64) -> UInt64 {
        var left = value >> UInt64(halfBits), right = value & mask
        for r in (0..<Self.rounds).reversed() {
            (left, right) = (right ^ round(left, r), left)
        }
        return left << UInt64(halfBits) | right
    }

    /// The `width` base-`base` digits of `value`, most significant first (`value < base^width`).
    static func digits(_ value: Int, base: Int, width: Int) -> [Int] {
        var digits = [Int](repeating: 0, count: width)
        var rest = value
        for position in (0..<width).reversed() {
            digits[position] = rest % base
            rest /= base
        }
        precondition(rest == 0, "\(value) has more than \(width) base-\(base) digits")
        return digits
    }

    /// `base^exponent`.
    static func power(_ base: Int, _ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { product, _ in product * base }
    }

    /// SplitMix64's finalizer.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64-bit FNV-1a of the UTF-8 bytes (the same on every platform and run, unlike `Hasher`).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
