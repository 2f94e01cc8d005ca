/// ShuffleNet's channel shuffle, forward beside backward.
///
/// Channel splits and joins along C are ``slice(axis:_:)`` and ``concat(_:axis:)`` on axis 1.
extension Tensor {
    /// The channels of `x` `[B, C, ...]` interleaved across `groups`: viewed as `[B, groups, C/groups, ...]`,
    /// the two group axes are swapped (as ShuffleNet's `channel_shuffle`), so output channel
    /// `j·groups + i` is input channel `i·(C/groups) + j`. With 2 groups, the channels of the two
    /// halves alternate. Backward applies the inverse permutation (a shuffle with `C/groups` groups).
    public func channelShuffle(groups: Int) -> Tensor {
        precondition(rank >= 2, "channelShuffle needs x [B, C, ...], got \(shape)")
        let channels = shape[1]
        precondition(groups >= 1 && channels % groups == 0, "channelShuffle: \(channels) channels do not split into \(groups) groups")
        let x = self
        let (batch, plane) = (shape[0], shape[2...].reduce(1, *))
        let out = Tensor.shuffleChannels(data, batch: batch, groups: groups, perGroup: channels / groups, plane: plane)
        return Tensor(out, shape: shape).record([x]) {
            { g in
                x.accumulateGrad(Tensor.shuffleChannels(g, batch: batch, groups: channels / groups, perGroup: groups, plane: plane))
            }
        }
    }

    /// `values` `[batch, groups, perGroup, plane]` with the middle two axes swapped (plane blocks moved).
    static func shuffleChannels(_ values: [Float], batch: Int, groups: Int, perGroup: Int, plane: Int) -> [Float] {
        let channels = groups * perGroup
        return [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                for b in 0..<batch {
                    for i in 0..<groups {
                        for j in 0..<perGroup {
                            (out.baseAddress! + (b * channels + j * groups + i) * plane)
                                .initialize(from: v.baseAddress! + (b * channels + i * perGroup + j) * plane, count: plane)
                        }
                    }
                }
            }
            initialized = values.count
        }
    }
}
