/// Bounds on what decoding a frame may cost.
///
/// protobuf-c has no limits of its own: 20 MB of empty repeated sub-messages once made it allocate
/// 1.42 GB. The frame size is checked before anything is unpacked, and unpacking draws on a byte
/// budget; exceeding either is a `WireError` (`frame_too_large`, `budget_exceeded`), never a crash.
public struct DecodeLimits: Sendable, Hashable {
    /// The largest frame, in bytes, that is unpacked at all.
    public var maxFrameBytes: Int
    /// The most memory, in bytes, that protobuf-c may allocate while unpacking one frame
    /// (message structs, pointer arrays, copies of bytes and strings, its own bookkeeping).
    /// A well-formed frame needs little more than its own size.
    public var maxUnpackedBytes: Int

    /// Creates limits; both are in bytes.
    public init(maxFrameBytes: Int, maxUnpackedBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
        self.maxUnpackedBytes = maxUnpackedBytes
    }

    /// 64 MiB frames, 2 x 64 MiB + 1 MiB of unpacked memory.
    public static let `default` = DecodeLimits(
        maxFrameBytes: 64 << 20, maxUnpackedBytes: (128 << 20) + (1 << 20))

    /// The limits for weights of a policy with `parameterCount` float32 values: the default, or,
    /// for a policy whose values alone need more (a GPT-2 of 124M parameters is 475 MiB), room
    /// for its values and 16 MiB of names, shapes and framing, with the default's 2 x + 1 MiB
    /// of unpacked memory.
    public static func weights(parameterCount: Int) -> DecodeLimits {
        let frame = 4 * parameterCount + (16 << 20)
        guard frame > DecodeLimits.default.maxFrameBytes else { return .default }
        return DecodeLimits(maxFrameBytes: frame, maxUnpackedBytes: 2 * frame + (1 << 20))
    }
}
