import Foundation

/// A seeded pseudo-random generator (xoshiro256**), identical on every platform.
///
/// The seed is expanded into the 256-bit state with SplitMix64, as the xoshiro authors
/// recommend. The whole state is ``state`` (four words), so a checkpoint can save and restore it.
/// Conforms to `RandomNumberGenerator`, but note that the standard library's algorithms that
/// take a generator (`shuffled(using:)`) are not promised to stay the same across Swift versions;
/// Fleet's own sampling uses the methods below.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var s0, s1, s2, s3: UInt64

    /// The four state words; never all zero.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator whose state is derived from `seed`.
    public init(seed: UInt64) {
        var s = seed
        var words: [UInt64] = []
        for _ in 0..<4 {
            // SplitMix64.
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// A generator continuing from a saved ``state``.
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "xoshiro256** needs 4 words, not all zero")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal sample (Box–Muller, cosine branch; two uniforms per sample).
    ///
    /// Only one of the pair is used so that the generator's state stays the four words.
    public mutating func nextGaussian() -> Double {
        let u1 = 1 - nextDouble()  // in (0, 1], so the logarithm is finite
        let u2 = nextDouble()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Shuffles `indices` in place (Fisher–Yates, from the last position down, one ``nextInt(below:)``
    /// each): the same order on every platform and Swift version, for the learners' mini-batches.
    public mutating func shuffle(_ indices: inout [Int]) {
        guard indices.count > 1 else { return }
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            indices.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// Uniform integer in `0..<bound` (Lemire's method, unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
