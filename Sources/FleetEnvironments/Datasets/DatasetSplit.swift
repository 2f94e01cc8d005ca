/// The held-out split of a dataset without a held-out file: keyed, so a line's split depends only
/// on itself (its `id`, or its prompt and answer when it has none), never on its position or on
/// the other lines.
///
/// A line is held out when `mix(fnv1a(key)) mod 1_000_000 < fraction * 1_000_000` (FNV-1a of the
/// key's UTF-8 bytes, SplitMix64's finalizer); if that holds out no line, the line with the
/// smallest hash is held out, so that evaluation has at least one problem.
enum DatasetSplit {
    /// The rule, for task specs.
    static let rule = "fnv1a-splitmix-key-mod-1e6-below-fraction-v1"

    /// Whether each of `keys` is held out at `fraction` (in [0, 1)).
    static func heldOut(keys: [String], fraction: Double) -> [Bool] {
        let buckets = keys.map { ProblemSpace.mix(ProblemSpace.fnv1a($0)) }
        let threshold = UInt64((fraction * 1_000_000).rounded())
        var held = buckets.map { $0 % 1_000_000 < threshold }
        if !held.contains(true), let smallest = buckets.indices.min(by: { buckets[$0] < buckets[$1] }) {
            held[smallest] = true
        }
        return held
    }
}
