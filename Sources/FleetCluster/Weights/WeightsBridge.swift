import FleetDigest
import FleetTensor
import FleetWire
import Synchronization

/// Spec hashes already computed: a learner and its actors hash the same few specs on every broadcast.
private let specHashes = Mutex<[String: [UInt8]]>([:])

/// The bridge between FleetTensor's parameters and optimizer state and FleetWire's `Weights`
/// message: what the learner broadcasts to actors and what a checkpoint stores.
///
/// Parameters travel as float32 tensors under their own names, in the module's order. A
/// checkpoint may add the optimizer's state under names that start with ``Weights/optimizerPrefix``:
/// `optimizer.kind` (the optimizer's kind as UTF-8 bytes, uint8), each counter as an int64 scalar
/// (`optimizer.actor.0.weight.step`) and each buffer as float32
/// (`optimizer.actor.0.weight.exp_avg`). Values are copied bit for bit in both directions.
extension Weights {
    /// The name prefix reserved for optimizer state; no parameter name may start with it.
    public static let optimizerPrefix = "optimizer."

    /// The model spec hash carried by `Weights`: SHA-256 of the spec text's UTF-8 bytes.
    public static func modelSpecHash(_ spec: String) -> [UInt8] {
        if let known = specHashes.withLock({ $0[spec] }) { return known }
        let hash = SHA256.hash(utf8: spec).bytes
        specHashes.withLock {
            if $0.count >= 64 { $0.removeAll() }
            $0[spec] = hash
        }
        return hash
    }

    /// A weights message holding each parameter's values, in order, and, for a checkpoint, the
    /// optimizer's state. The values are shared with the parameters, not copied (an array's
    /// copy-on-write): encode the message and let it go before the next update, as the learner
    /// does, and nothing is copied at all; an update while it is kept copies that parameter once.
    ///
    /// - Parameters:
    ///   - modelSpec: the model's canonical spec text; its SHA-256 becomes `modelSpecHash`.
    ///   - optimizerState: state to store under ``optimizerPrefix``, or `nil`.
    public init(version: UInt64, parameters: [(name: String, tensor: Tensor)], modelSpec: String,
                optimizerState: OptimizerState? = nil) {
        var tensors: [NamedTensor] = []
        tensors.reserveCapacity(parameters.count)
        for p in parameters {
            precondition(!p.name.hasPrefix(Weights.optimizerPrefix), "parameter name \"\(p.name)\" uses the reserved optimizer prefix")
            tensors.append(NamedTensor(name: p.name, tensor: WireTensor(float32: p.tensor.data, shape: p.tensor.shape)))
        }
        if let optimizerState { tensors += optimizerState.namedTensors() }
        self.init(version: version, modelSpecHash: Weights.modelSpecHash(modelSpec), tensors: tensors)
    }

    /// Copies these weights into `parameters` (in place), after checking that they match exactly:
    /// the spec hash, the set of names, and each tensor's dtype (float32) and shape.
    ///
    /// Tensors under ``optimizerPrefix`` are ignored here (see ``optimizerState()``). Everything is
    /// checked before anything is written: on error no parameter has changed.
    public func apply(to parameters: [(name: String, tensor: Tensor)], expectingSpec spec: String) throws(WeightsMismatch) {
        let expectedHash = Weights.modelSpecHash(spec)
        guard modelSpecHash == expectedHash else {
            throw .modelSpecHash(expected: hexDigits(expectedHash), found: hexDigits(modelSpecHash))
        }
        var byName: [String: Int] = [:]
        for (i, named) in tensors.enumerated() where !named.name.hasPrefix(Weights.optimizerPrefix) {
            guard byName.updateValue(i, forKey: named.name) == nil else { throw .duplicateTensor(name: named.name) }
        }
        var sources: [[Float]] = []
        sources.reserveCapacity(parameters.count)
        var expectedNames = Set<String>()
        for p in parameters {
            expectedNames.insert(p.name)
            guard let i = byName[p.name] else { throw .missingTensor(name: p.name) }
            let wire = tensors[i].tensor
            guard let values = wire.float32 else { throw .dtype(name: p.name, expected: .float32, found: wire.dtype) }
            guard wire.shape == p.tensor.shape else { throw .shape(name: p.name, expected: p.tensor.shape, found: wire.shape) }
            guard values.count == p.tensor.count else {
                throw .elementCount(name: p.name, expected: p.tensor.count, found: values.count)
            }
            sources.append(values)
        }
        for named in tensors where !named.name.hasPrefix(Weights.optimizerPrefix) && !expectedNames.contains(named.name) {
            throw .unexpectedTensor(name: named.name)
        }
        for (p, values) in zip(parameters, sources) where !values.isEmpty {
            p.tensor.withUnsafeMutableData { destination in
                values.withUnsafeBufferPointer { destination.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
    }

    /// The optimizer state stored under ``optimizerPrefix``, or `nil` when there is none
    /// (no `optimizer.kind`). Load it with `optimizer.importState(_:)`, which checks names and shapes.
    public func optimizerState() throws(WeightsMismatch) -> OptimizerState? {
        let prefix = Weights.optimizerPrefix, kindName = prefix + "kind"
        var kind: String?
        var counters: [OptimizerState.Counter] = []
        var buffers: [OptimizerState.Buffer] = []
        var seen = Set<String>()
        for named in tensors where named.name.hasPrefix(prefix) {
            guard seen.insert(named.name).inserted else { throw .duplicateTensor(name: named.name) }
            let wire = named.tensor
            guard wire.shapeElementCount == wire.count else {
                throw .elementCount(name: named.name, expected: wire.shapeElementCount ?? -1, found: wire.count)
            }
            if named.name == kindName {
                guard let bytes = wire.uint8 else { throw .dtype(name: named.name, expected: .uint8, found: wire.dtype) }
                kind = String(decoding: bytes, as: UTF8.self)
                continue
            }
            let name = String(named.name.dropFirst(prefix.count))
            switch wire.storage {
            case .int64(let values):
                guard wire.shape.isEmpty else { throw .shape(name: named.name, expected: [], found: wire.shape) }
                counters.append(.init(name: name, value: values[0]))
            case .float32(let values):
                buffers.append(.init(name: name, shape: wire.shape, values: values))
            default:
                throw .dtype(name: named.name, expected: .float32, found: wire.dtype)
            }
        }
        guard let kind else {
            if let stray = seen.sorted().first { throw .missingTensor(name: kindName + " (needed by \(stray))") }
            return nil
        }
        return OptimizerState(kind: kind, counters: counters, buffers: buffers)
    }
}

extension OptimizerState {
    /// The state as wire tensors under ``Weights/optimizerPrefix``: the kind, then counters
    /// (int64 scalars), then buffers (float32), each in the state's order.
    package func namedTensors() -> [NamedTensor] {
        let prefix = Weights.optimizerPrefix
        var out = [NamedTensor(name: prefix + "kind", tensor: WireTensor(uint8: Array(kind.utf8)))]
        for c in counters { out.append(NamedTensor(name: prefix + c.name, tensor: WireTensor(int64: [c.value], shape: []))) }
        for b in buffers { out.append(NamedTensor(name: prefix + b.name, tensor: WireTensor(float32: b.values, shape: b.shape))) }
        return out
    }
}

/// Why weights (or optimizer state in a weights message) do not fit: each case names what differs.
public enum WeightsMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    /// The weights were made for another model spec (hashes as hex).
    case modelSpecHash(expected: String, found: String)
    /// A parameter has no tensor in the message.
    case missingTensor(name: String)
    /// The message holds a tensor that is not one of the parameters.
    case unexpectedTensor(name: String)
    /// A name occurs twice in the message.
    case duplicateTensor(name: String)
    /// A tensor's shape differs from the parameter's.
    case shape(name: String, expected: [Int], found: [Int])
    /// A tensor's element type is not the expected one.
    case dtype(name: String, expected: DType, found: DType)
    /// A tensor's element count does not match its shape.
    case elementCount(name: String, expected: Int, found: Int)

    /// A sentence naming the tensor at fault and what was expected.
    public var description: String {
        switch self {
        case .modelSpecHash(let expected, let found): "model spec hash \(found) differs from the expected \(expected)"
        case .missingTensor(let name): "weights lack \"\(name)\""
        case .unexpectedTensor(let name): "weights hold unexpected \"\(name)\""
        case .duplicateTensor(let name): "weights hold \"\(name)\" twice"
        case .shape(let name, let expected, let found): "\"\(name)\" has shape \(found), expected \(expected)"
        case .dtype(let name, let expected, let found): "\"\(name)\" is \(found), expected \(expected)"
        case .elementCount(let name, let expected, let found): "\"\(name)\" has \(found) elements, expected \(expected)"
        }
    }
}
