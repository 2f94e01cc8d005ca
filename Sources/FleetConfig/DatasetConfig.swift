/// A dataset task's settings (`task: dataset`): its JSON Lines files, how prompts are templated and
/// tokenized, and how responses are verified.
public struct DatasetConfig: Hashable, Sendable {
    /// The training file (`dataset.train`); required for `task: dataset`.
    public var train: String? = nil
    /// The held-out file (`dataset.held_out`); nil: hold out `heldOutFraction` of the training file.
    public var heldOut: String? = nil
    /// The fraction of the training file held out without a held-out file (`dataset.held_out_fraction`).
    public var heldOutFraction: Double = 0.1
    /// The template each prompt is put in, with one `{prompt}` (`prompt_template`).
    public var promptTemplate: String = "{prompt}"
    /// `byte` or `character` (`tokenizer`).
    public var tokenizer: String = "byte"
    /// The verifier's name (`verifier`).
    public var verifier: String = "exact"
    /// How far apart numbers may be and still be equal (`verifier_tolerance`).
    public var verifierTolerance: Double = 1e-6
    /// The regex verifier's pattern (`verifier_pattern`).
    public var verifierPattern: String = ""

    /// Every field at its default.
    public init() {}
}
