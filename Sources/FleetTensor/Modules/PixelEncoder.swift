/// A network that turns image observations into feature vectors: `[B, C, H, W]` floats to
/// `[B, features]`, for a policy or value head to read.
///
/// An encoder is built for one ``inputShape`` and may adapt its layers to it (small images get
/// fewer or gentler downsampling steps; each encoder documents its rule, and its ``Module/spec``
/// records the layers it chose). Scaling pixels (CleanRL divides uint8 frames by 255) is the
/// caller's business: encoders take floats as given.
public protocol PixelEncoder: Module {
    /// The shape of one observation, `[C, H, W]`.
    var inputShape: [Int] { get }
    /// The width of the feature vector.
    var features: Int { get }
    /// `x` `[B, C, H, W]` (or flattened `[B, C·H·W]`) to `[B, features]`.
    func callAsFunction(_ x: Tensor) -> Tensor
}

extension PixelEncoder {
    /// `x` as `[B, C, H, W]`: a flattened batch `[B, C·H·W]` is reshaped (sharing storage), an
    /// image batch is checked against ``inputShape``.
    public func images(_ x: Tensor) -> Tensor {
        let pixels = inputShape.reduce(1, *)
        if x.rank == 2 && x.shape[1] == pixels { return x.reshaped([x.shape[0]] + inputShape) }
        precondition(x.rank == 4 && Array(x.shape.dropFirst()) == inputShape,
                     "\(type(of: self)) takes [B, \(inputShape.map(String.init).joined(separator: ", "))] or [B, \(pixels)], got \(x.shape)")
        return x
    }
}

/// `[C, H, W]` written `CxHxW` for spec headers.
func shapeText(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }

/// The pixel encoders by name, for configs and benchmarks.
public enum PixelEncoderKind: String, CaseIterable, Sendable {
    /// ``NatureCNN``.
    case nature
    /// ``SNetEncoder`` with ``SNetEncoder/Configuration/snet49``.
    case snet49
    /// ``SNetEncoder`` with ``SNetEncoder/Configuration/small``.
    case snetSmall = "snet-small"

    /// The encoder's default output width: 512 for the Nature CNN (the paper's), 256 for SNet.
    public var defaultFeatures: Int { self == .nature ? 512 : 256 }

    /// An encoder of this kind for observations of `inputShape` `[C, H, W]`, with `features` outputs
    /// (nil: ``defaultFeatures``), drawing its initialization from `generator`.
    public func make(inputShape: [Int], features: Int? = nil, using generator: inout RandomGenerator) -> any PixelEncoder {
        let features = features ?? defaultFeatures
        switch self {
        case .nature: return NatureCNN(inputShape: inputShape, features: features, using: &generator)
        case .snet49: return SNetEncoder(inputShape: inputShape, features: features, configuration: .snet49, using: &generator)
        case .snetSmall: return SNetEncoder(inputShape: inputShape, features: features, configuration: .small, using: &generator)
        }
    }
}
