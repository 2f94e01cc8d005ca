import FleetDigest
import FleetTensor
import FleetWire
import XCTest

@testable import FleetCluster
import FleetConfig

/// Parameters and optimizer state through `Weights` and the wire: bit-exact, and refused when they
/// do not fit.
final class WeightsBridgeTests: XCTestCase {
    let spec = "mlp(obs=4, hidden=[64, 64], act=tanh, out=2)"

    /// Values that a careless conversion would change: signed zero, subnormals, the extremes.
    static let awkward: [Float] = [
        -0.0, 0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, Float(bitPattern: 0x007F_FFFF),
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude, 1, -1.5, .pi, Float(bitPattern: 0x0001_16C2),
    ]

    func makeParameters(fill: Float? = nil) -> [(name: String, tensor: Tensor)] {
        let w = Self.awkward.map { fill ?? $0 }
        let b: [Float] = [0.25, -3, 7].map { fill ?? $0 }
        return [("actor.0.weight", Tensor(w, shape: [3, 4], requiresGrad: true)),
                ("actor.0.bias", Tensor(b, shape: [3], requiresGrad: true)),
                ("log_std", Tensor([fill ?? -0.5], shape: [], requiresGrad: true))]
    }

    func bits(_ parameters: [(name: String, tensor: Tensor)]) -> [UInt32] {
        parameters.flatMap { $0.tensor.data.map(\.bitPattern) }
    }

    func addresses(_ parameters: [(name: String, tensor: Tensor)]) -> [UnsafeRawPointer] {
        parameters.map { $0.tensor.data.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) } }
    }

    /// Weights → Frame bytes → decoded Frame → Weights.
    func throughTheWire(_ weights: Weights) throws -> Weights {
        let frame = Frame(envelope: Envelope(senderID: "learner", incarnation: 1, sequence: 7), payload: .weights(weights))
        let decoded = try Frame(decoding: frame.encoded())
        guard case .weights(let received) = decoded.payload else {
            XCTFail("payload is \(decoded.kind)")
            return weights
        }
        return received
    }

    func testWeightsCarryNamesShapesVersionAndSpecHash() {
        let params = makeParameters()
        let weights = Weights(version: 42, parameters: params, modelSpec: spec)
        XCTAssertEqual(weights.version, 42)
        XCTAssertEqual(weights.modelSpecHash, SHA256.hash(utf8: spec).bytes)
        XCTAssertEqual(weights.tensors.map(\.name), ["actor.0.weight", "actor.0.bias", "log_std"])
        XCTAssertEqual(weights.tensors.map(\.tensor.shape), [[3, 4], [3], []])
        XCTAssertEqual(weights.tensors.map(\.tensor.dtype), [.float32, .float32, .float32])
        XCTAssertNoThrow(try weights.validate())
        // A snapshot: later in-place updates do not reach it (the shared storage is copied on write).
        for p in params { p.tensor.grad = [Float](repeating: 1, count: p.tensor.count) }
        SGD(params, learningRate: 1).step()
        XCTAssertEqual(weights.tensors[1].tensor.float32, [0.25, -3, 7])
        XCTAssertEqual(params[1].tensor.data, [-0.75, -4, 6])
    }

    /// The learner's broadcast: the message shares the parameters' storage, is encoded and let go;
    /// nothing is copied, neither when it is made nor at the next update.
    func testAMessageEncodedAndReleasedCopiesNothing() throws {
        let params = makeParameters()
        let storage = addresses(params)
        let bytes = Frame(
            envelope: Envelope(senderID: "learner", incarnation: 1, sequence: 0),
            payload: .weights(Weights(version: 1, parameters: params, modelSpec: spec))
        ).encoded()
        XCTAssertFalse(bytes.isEmpty)
        for p in params { p.tensor.grad = [Float](repeating: 1, count: p.tensor.count) }
        SGD(params, learningRate: 1).step()
        params[0].tensor.withUnsafeMutableData { $0[0] = 1 }
        XCTAssertEqual(addresses(params), storage)
    }

    func testParametersRoundTripBitExactThroughTheWire() throws {
        let source = makeParameters()
        let received = try throughTheWire(Weights(version: 3, parameters: source, modelSpec: spec))
        XCTAssertEqual(received.version, 3)
        let target = makeParameters(fill: 123)
        let storage = addresses(target)
        try received.apply(to: target, expectingSpec: spec)
        XCTAssertEqual(bits(target), bits(source))
        XCTAssertEqual(target[0].tensor.data[0].sign, .minus)
        // Copied in place: the parameters keep their storage.
        XCTAssertEqual(addresses(target), storage)
    }

    /// Adam state saved after a few steps and sent through the wire resumes bit-identically.
    func testAdamStateRoundTripsAndResumesBitExactly() throws {
        func setGradients(_ params: [(name: String, tensor: Tensor)], _ step: Int) {
            for p in params { p.tensor.grad = p.tensor.data.indices.map { Float($0 % 5) * 0.3 - 0.5 + Float(step) * 0.01 } }
        }
        // The awkward values without the extremes (an Adam step on ±greatestFiniteMagnitude is fine,
        // but weight decay tests elsewhere would overflow; keep this one about the state).
        let original = makeParameters().map {
            (name: $0.name, tensor: Tensor($0.tensor.data.map { $0.magnitude > 1e6 ? 1 : $0 }, shape: $0.tensor.shape, requiresGrad: true))
        }
        let adam = Adam(original, learningRate: 3e-4, eps: 1e-5)
        for s in 0..<4 {
            setGradients(original, s)
            adam.step()
        }
        let checkpoint = try throughTheWire(
            Weights(version: 4, parameters: original, modelSpec: spec, optimizerState: adam.exportState()))
        XCTAssertTrue(checkpoint.tensors.contains { $0.name == "optimizer.actor.0.weight.exp_avg_sq" })
        XCTAssertEqual(checkpoint.tensors.first { $0.name == "optimizer.log_std.step" }?.tensor.int64, [4])
        XCTAssertEqual(checkpoint.tensors.first { $0.name == "optimizer.kind" }?.tensor.uint8, Array("adam".utf8))

        let restored = makeParameters(fill: 0)
        try checkpoint.apply(to: restored, expectingSpec: spec)
        let restoredAdam = Adam(restored, learningRate: 3e-4, eps: 1e-5)
        let state = try XCTUnwrap(try checkpoint.optimizerState())
        XCTAssertEqual(state, adam.exportState())
        try restoredAdam.importState(state)

        for s in 4..<9 {
            setGradients(original, s)
            adam.step()
            setGradients(restored, s)
            restoredAdam.step()
        }
        XCTAssertEqual(bits(restored), bits(original))
        XCTAssertEqual(restoredAdam.exportState(), adam.exportState())
    }

    func testWeightsWithoutOptimizerStateHaveNone() throws {
        XCTAssertNil(try Weights(version: 0, parameters: makeParameters(), modelSpec: spec).optimizerState())
    }

    // MARK: - Refusals

    func expect(_ weights: Weights, _ error: WeightsMismatch, line: UInt = #line) {
        let target = makeParameters(fill: 5)
        XCTAssertThrowsError(try weights.apply(to: target, expectingSpec: spec), line: line) {
            XCTAssertEqual($0 as? WeightsMismatch, error, line: line)
        }
        XCTAssertTrue(target.allSatisfy { $0.tensor.data.allSatisfy { $0 == 5 } }, "refused weights must change nothing", line: line)
    }

    func testEveryMismatchIsRefusedByName() {
        let good = Weights(version: 1, parameters: makeParameters(), modelSpec: spec)

        let otherSpec = Weights(version: 1, parameters: makeParameters(), modelSpec: spec + " ")
        expect(otherSpec, .modelSpecHash(expected: SHA256.hash(utf8: spec).hex, found: SHA256.hash(utf8: spec + " ").hex))

        var w = good
        w.tensors.remove(at: 1)
        expect(w, .missingTensor(name: "actor.0.bias"))

        w = good
        w.tensors.append(NamedTensor(name: "critic.0.weight", tensor: WireTensor(float32: [1])))
        expect(w, .unexpectedTensor(name: "critic.0.weight"))

        w = good
        w.tensors[0].tensor.shape = [4, 3]
        expect(w, .shape(name: "actor.0.weight", expected: [3, 4], found: [4, 3]))

        w = good
        w.tensors[2].tensor = WireTensor(float32: [1], shape: [1])
        expect(w, .shape(name: "log_std", expected: [], found: [1]))

        w = good
        w.tensors[1].tensor = WireTensor(float64: [0.25, -3, 7])
        expect(w, .dtype(name: "actor.0.bias", expected: .float32, found: .float64))

        w = good
        w.tensors[1].tensor = WireTensor(float32: [0.25, -3], shape: [3])
        expect(w, .elementCount(name: "actor.0.bias", expected: 3, found: 2))

        w = good
        w.tensors.append(w.tensors[2])
        expect(w, .duplicateTensor(name: "log_std"))

        // The last parameter is checked too (a refusal after earlier ones passed changes nothing).
        w = good
        w.tensors[2].tensor = WireTensor(int32: [1], shape: [])
        expect(w, .dtype(name: "log_std", expected: .float32, found: .int32))

        XCTAssertEqual("\(WeightsMismatch.shape(name: "a", expected: [2], found: [3]))", "\"a\" has shape [3], expected [2]")
    }

    func testOptimizerEntriesInWeightsAreCheckedToo() throws {
        let params = makeParameters()
        let adam = Adam(params)
        let good = Weights(version: 1, parameters: params, modelSpec: spec, optimizerState: adam.exportState())
        // apply ignores the optimizer section.
        XCTAssertNoThrow(try good.apply(to: makeParameters(), expectingSpec: spec))

        var w = good
        w.tensors.removeAll { $0.name == "optimizer.kind" }
        XCTAssertThrowsError(try w.optimizerState()) {
            guard case .missingTensor(let name) = $0 as? WeightsMismatch else { return XCTFail("\($0)") }
            XCTAssertTrue(name.hasPrefix("optimizer.kind"))
        }

        w = good
        let i = w.tensors.firstIndex { $0.name == "optimizer.log_std.step" }!
        w.tensors[i].tensor = WireTensor(int32: [1], shape: [])
        XCTAssertThrowsError(try w.optimizerState()) {
            XCTAssertEqual($0 as? WeightsMismatch, .dtype(name: "optimizer.log_std.step", expected: .float32, found: .int32))
        }
        w.tensors[i].tensor = WireTensor(int64: [1])
        XCTAssertThrowsError(try w.optimizerState()) {
            XCTAssertEqual($0 as? WeightsMismatch, .shape(name: "optimizer.log_std.step", expected: [], found: [1]))
        }

        // A state for another model: the optimizer refuses it by name.
        w = good
        w.tensors.removeAll { $0.name == "optimizer.actor.0.bias.exp_avg" }
        let state = try XCTUnwrap(try w.optimizerState())
        XCTAssertThrowsError(try Adam(makeParameters()).importState(state)) {
            XCTAssertEqual($0 as? OptimizerStateError, .missingEntry(name: "actor.0.bias.exp_avg"))
        }
        XCTAssertThrowsError(try AdamW(makeParameters()).importState(try XCTUnwrap(try good.optimizerState())))
    }

    // MARK: - weights_sha256

    /// The digest follows the documented layout, byte for byte.
    func testWeightsDigestLayout() {
        let p = Tensor([1, -0.0], shape: [1, 2])
        var bytes: [UInt8] = []
        func word(_ x: UInt64) { bytes += withUnsafeBytes(of: x.littleEndian) { Array($0) } }
        word(2)
        bytes += Array("ab".utf8)
        word(2)
        word(1)
        word(2)
        for v: Float in [1, -0.0] { bytes += withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        XCTAssertEqual(bytes.count, 8 + 2 + 24 + 8)
        XCTAssertEqual(weightsSHA256([("ab", p)]), SHA256.hash(bytes))
    }

    func testWeightsDigestSeesEveryChange() {
        let params = makeParameters()
        let digest = weightsSHA256(params)
        let checkpoint = Weights(version: 9, parameters: params, modelSpec: spec, optimizerState: Adam(params).exportState())
        XCTAssertEqual(weightsSHA256(checkpoint), digest)
        XCTAssertEqual(weightsSHA256(makeParameters()), digest)
        let flipped = makeParameters()
        flipped[0].tensor.data[1] = -0.0  // was +0.0
        XCTAssertNotEqual(weightsSHA256(flipped), digest)
        let renamed = makeParameters().map { (name: $0.name == "log_std" ? "log_sd" : $0.name, tensor: $0.tensor) }
        XCTAssertNotEqual(weightsSHA256(renamed), digest)
        let reshaped = makeParameters().map {
            (name: $0.name, tensor: $0.name == "actor.0.weight" ? Tensor($0.tensor.data, shape: [4, 3]) : $0.tensor)
        }
        XCTAssertNotEqual(weightsSHA256(reshaped), digest)
        XCTAssertNotEqual(weightsSHA256(Array(makeParameters().reversed())), digest)
        var wrongType = Weights(version: 0, parameters: params, modelSpec: spec)
        wrongType.tensors[0].tensor = WireTensor(float64: [1])
        XCTAssertNil(weightsSHA256(wrongType))
    }
}
