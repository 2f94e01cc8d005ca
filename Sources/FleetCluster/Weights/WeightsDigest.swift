import FleetDigest
import FleetTensor
import FleetWire

/// The SHA-256 of a list of parameters over a canonical byte layout (`weights_sha256` in
/// `summary.json`). For each parameter, in list order:
///
/// 1. the byte length of the name's UTF-8 encoding, as a little-endian UInt64, then those bytes;
/// 2. the rank, as a little-endian UInt64, then each extent, outermost first, likewise;
/// 3. every element's float32 bit pattern, row-major, as a little-endian UInt32.
///
/// Nothing else (no version, no spec hash, no count of parameters) is included. The same values
/// under other names, shapes or order give another digest; `-0.0` and `0.0` differ.
public func weightsSHA256(_ parameters: [(name: String, tensor: Tensor)]) -> SHA256.Digest {
    var sha = SHA256()
    for p in parameters { _hashEntry(&sha, name: p.name, shape: p.tensor.shape, values: p.tensor.data) }
    return sha.finalize()
}

/// The same digest as `weightsSHA256(parameters)` for the parameters in a weights message (tensors
/// under `Weights.optimizerPrefix` are left out); `nil` when a parameter tensor is not float32.
public func weightsSHA256(_ weights: Weights) -> SHA256.Digest? {
    var sha = SHA256()
    for named in weights.tensors where !named.name.hasPrefix(Weights.optimizerPrefix) {
        guard let values = named.tensor.float32 else { return nil }
        _hashEntry(&sha, name: named.name, shape: named.tensor.shape, values: values)
    }
    return sha.finalize()
}

package func _hashEntry(_ sha: inout SHA256, name: String, shape: [Int], values: [Float]) {
    func word(_ x: Int) {
        withUnsafeBytes(of: UInt64(x).littleEndian) { sha.update($0) }
    }
    let utf8 = Array(name.utf8)
    word(utf8.count)
    sha.update(utf8)
    word(shape.count)
    for extent in shape { word(extent) }
    #if _endian(little)
    values.withUnsafeBytes { sha.update($0) }
    #else
    values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { sha.update($0) }
    #endif
}
