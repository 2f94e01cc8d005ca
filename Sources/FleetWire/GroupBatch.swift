/// Whole groups of G sampled responses to P prompts, sampled with one policy version
/// (`fleet.v1.GroupBatch`).
///
/// Ragged arrays are flat with offsets: item i spans `offsets[i] ..< offsets[i + 1]`. Prompt p
/// owns responses `p * G ..< (p + 1) * G`. Validation requires: `groupSize` >= 1;
/// `promptIDs` int64 [P]; `promptTokens`, `responseTokens` int32 rank 1 with token ids >= 0;
/// `promptOffsets` int64 [P + 1] and `responseOffsets` int64 [P * G + 1], each starting at 0,
/// non-decreasing and ending at its flat array's length; `behaviourLogProbs` float32 shaped like
/// `responseTokens`; `rewards` float32 [P * G]; `truncated` bool [P * G]; floats finite.
/// Every tensor is required on decode (`missing_field`).
public struct GroupBatch: Sendable, Hashable {
    /// The weights version the responses were sampled with.
    public var policyVersion: UInt64
    /// G.
    public var groupSize: UInt32
    /// [P] int64.
    public var promptIDs: WireTensor
    /// [sum of prompt lengths] int32.
    public var promptTokens: WireTensor
    /// [P + 1] int64.
    public var promptOffsets: WireTensor
    /// [sum of response lengths] int32.
    public var responseTokens: WireTensor
    /// [P * G + 1] int64.
    public var responseOffsets: WireTensor
    /// Like `responseTokens`, float32: the per-token log-prob when sampled.
    public var behaviourLogProbs: WireTensor
    /// [P * G] float32.
    public var rewards: WireTensor
    /// [P * G] bool: the response hit the length limit.
    public var truncated: WireTensor

    /// Creates a batch from its tensors as given; the layout above is checked by `validate()`, not here.
    public init(
        policyVersion: UInt64, groupSize: UInt32, promptIDs: WireTensor, promptTokens: WireTensor,
        promptOffsets: WireTensor, responseTokens: WireTensor, responseOffsets: WireTensor,
        behaviourLogProbs: WireTensor, rewards: WireTensor, truncated: WireTensor
    ) {
        self.policyVersion = policyVersion
        self.groupSize = groupSize
        self.promptIDs = promptIDs
        self.promptTokens = promptTokens
        self.promptOffsets = promptOffsets
        self.responseTokens = responseTokens
        self.responseOffsets = responseOffsets
        self.behaviourLogProbs = behaviourLogProbs
        self.rewards = rewards
        self.truncated = truncated
    }
}
