import XCTest

@testable import FleetTensor

/// The tiny GPT-2 style language model: layout, tying, gradients, and the key/value cache.
final class TransformerLMTests: XCTestCase {
    let tiny = TransformerLM.Config(vocabulary: 7, contextLength: 5, width: 8, heads: 2, layers: 1)

    func model(_ config: TransformerLM.Config, seed: UInt64 = 1) -> TransformerLM {
        var generator = RandomGenerator(seed: seed)
        return TransformerLM(config, using: &generator)
    }

    /// Replaces every parameter with values of order 1 (LayerNorm scales around 1), so that
    /// attention is far from uniform and gradients are well above the checker's tolerance.
    func randomize(_ lm: TransformerLM, seed: UInt64 = 2) {
        var generator = RandomGenerator(seed: seed)
        for (name, tensor) in lm.namedParameters() {
            let isScale = name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name == "finalNorm.weight"
            for i in 0..<tensor.count {
                let u = generator.nextFloat() - 0.5
                tensor.data[i] = isScale ? 1 + u : u
            }
        }
    }

    func testParameterNamesOrderAndShapesArePinned() {
        let lm = model(TransformerLM.Config(vocabulary: 7, contextLength: 5, width: 8, heads: 2, layers: 2, tiedHead: false))
        let named = lm.namedParameters()
        var expected: [(String, [Int])] = [("tokenEmbedding.weight", [7, 8]), ("positionEmbedding.weight", [5, 8])]
        for i in 0..<2 {
            expected += [
                ("blocks.\(i).norm1.weight", [8]), ("blocks.\(i).norm1.bias", [8]),
                ("blocks.\(i).attention.qkv.weight", [24, 8]), ("blocks.\(i).attention.qkv.bias", [24]),
                ("blocks.\(i).attention.output.weight", [8, 8]), ("blocks.\(i).attention.output.bias", [8]),
                ("blocks.\(i).norm2.weight", [8]), ("blocks.\(i).norm2.bias", [8]),
                ("blocks.\(i).mlp.expand.weight", [32, 8]), ("blocks.\(i).mlp.expand.bias", [32]),
                ("blocks.\(i).mlp.project.weight", [8, 32]), ("blocks.\(i).mlp.project.bias", [8]),
            ]
        }
        expected += [("finalNorm.weight", [8]), ("finalNorm.bias", [8]), ("head.weight", [7, 8])]
        XCTAssertEqual(named.map(\.name), expected.map(\.0))
        XCTAssertEqual(named.map(\.tensor.shape), expected.map(\.1))
    }

    func testTiedHeadSharesTheTokenEmbedding() {
        let tied = model(tiny)
        let untied = model(TransformerLM.Config(vocabulary: 7, contextLength: 5, width: 8, heads: 2, layers: 1, tiedHead: false))
        XCTAssertTrue(tied.headWeight === tied.tokenEmbedding.weight)
        XCTAssertNil(tied.head)
        XCTAssertFalse(tied.namedParameters().contains { $0.name.hasPrefix("head") })
        XCTAssertEqual(Set(tied.parameters.map(ObjectIdentifier.init)).count, tied.parameters.count)
        XCTAssertEqual(untied.parameterCount - tied.parameterCount, 7 * 8)
        XCTAssertFalse(untied.headWeight === untied.tokenEmbedding.weight)
        // The tied embedding's gradient collects both the lookup and the head.
        let logits = tied.forward(tokens: [1, 2, 3], batch: 1, length: 3)
        logits.sum().backward()
        XCTAssertEqual(tied.tokenEmbedding.weight.grad!.count, 56)
        XCTAssertTrue(tied.tokenEmbedding.weight.grad![0..<8].contains { $0 != 0 }, "token 0 gets gradient only via the head")
    }

    func testInitializationIsGPT2StyleAndSeeded() {
        let lm = model(TransformerLM.Config(vocabulary: 50, contextLength: 16, width: 32, heads: 4, layers: 2), seed: 3)
        let again = model(TransformerLM.Config(vocabulary: 50, contextLength: 16, width: 32, heads: 4, layers: 2), seed: 3)
        XCTAssertEqual(lm.parameters.map(\.data), again.parameters.map(\.data))
        func std(_ t: Tensor) -> Double {
            let mean = t.data.reduce(0.0) { $0 + Double($1) } / Double(t.count)
            return (t.data.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(t.count)).squareRoot()
        }
        XCTAssertEqual(std(lm.tokenEmbedding.weight), 0.02, accuracy: 0.002)
        XCTAssertEqual(std(lm.blocks[0].attention.qkv.weight), 0.02, accuracy: 0.002)
        XCTAssertEqual(std(lm.blocks[1].mlp.project.weight), 0.01, accuracy: 0.001)  // 0.02 / √(2·2)
        XCTAssertTrue(lm.blocks[0].attention.qkv.bias!.data.allSatisfy { $0 == 0 })
        XCTAssertEqual(lm.finalNorm.weight.data, [Float](repeating: 1, count: 32))
    }

    /// The random init is one normal draw per weight element, in parameter order (biases and
    /// LayerNorms draw nothing), each weight with GPT-2's std: the sequence seeded runs depend on.
    func testInitializationDrawsTheWeightsInParameterOrder() {
        let config = TransformerLM.Config(vocabulary: 7, contextLength: 5, width: 8, heads: 2, layers: 2, tiedHead: false)
        let lm = model(config, seed: 4)
        var generator = RandomGenerator(seed: 4)
        let outputStd = 0.02 / Float(4).squareRoot()
        for (name, tensor) in lm.namedParameters() {
            guard tensor.rank == 2 else { continue }
            let std = name.hasSuffix("attention.output.weight") || name.hasSuffix("mlp.project.weight") ? outputStd : 0.02
            let expected = Tensor.normal(tensor.shape, std: std, using: &generator)
            XCTAssertEqual(tensor.data, expected.data, name)
        }
    }

    /// ``TransformerLM/init(zeroed:)`` draws nothing: the random model's names, shapes and order,
    /// trainable, weights and biases 0 and LayerNorms 1 and 0.
    func testAZeroedModelHasTheLayoutAndNoDraws() {
        for tiedHead in [true, false] {
            let config = TransformerLM.Config(vocabulary: 7, contextLength: 5, width: 8, heads: 2, layers: 2, tiedHead: tiedHead)
            let zeroed = TransformerLM(zeroed: config), drawn = model(config)
            XCTAssertEqual(zeroed.namedParameters().map(\.name), drawn.namedParameters().map(\.name))
            XCTAssertEqual(zeroed.namedParameters().map(\.tensor.shape), drawn.namedParameters().map(\.tensor.shape))
            XCTAssertEqual(zeroed.spec, drawn.spec)
            for (name, tensor) in zeroed.namedParameters() {
                XCTAssertTrue(tensor.requiresGrad, name)
                let isScale = name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name == "finalNorm.weight"
                XCTAssertTrue(tensor.data.allSatisfy { $0 == (isScale ? 1 : 0) }, name)
            }
            XCTAssertEqual(zeroed.head == nil, tiedHead)
        }
    }

    func testForwardShapeAndCausality() {
        let lm = model(tiny)
        randomize(lm)
        let a = withNoGrad { lm.forward(tokens: [1, 2, 3, 4, 5, 6, 0, 1], batch: 2, length: 4) }
        XCTAssertEqual(a.shape, [2, 4, 7])
        // Changing the last token changes only the last position's logits.
        let b = withNoGrad { lm.forward(tokens: [1, 2, 3, 0, 5, 6, 0, 1], batch: 2, length: 4) }
        XCTAssertEqual(Array(a.data[0..<21]), Array(b.data[0..<21]))
        XCTAssertNotEqual(Array(a.data[21..<28]), Array(b.data[21..<28]))
        XCTAssertEqual(Array(a.data[28...]), Array(b.data[28...]))
        let int32 = withNoGrad { lm.forward(tokens: [Int32(1), 2, 3, 4, 5, 6, 0, 1], batch: 2, length: 4) }
        XCTAssertEqual(int32.data, a.data)
    }

    func testGradientCheckEndToEndLoss() {
        for tiedHead in [true, false] {
            var config = tiny
            config.tiedHead = tiedHead
            let lm = model(config)
            randomize(lm, seed: tiedHead ? 5 : 6)
            let tokens = [1, 4, 2, 6, 0, 3, 3, 5]
            let targets = [4, 2, 6, 0, 3, 5, 1, 2]
            // Mean next-token cross-entropy, as a language-model training step computes it.
            func loss() -> Tensor {
                let logits = lm.forward(tokens: tokens, batch: 2, length: 4).reshaped([8, 7])
                return -logits.logSoftmax().gather(axis: 1, indices: targets).mean()
            }
            let block = lm.blocks[0]
            let checked = [lm.tokenEmbedding.weight, lm.positionEmbedding.weight, block.attention.qkv.weight,
                           block.attention.output.bias!, block.norm2.weight, block.mlp.expand.weight, lm.finalNorm.bias]
                + (lm.head.map { [$0.weight] } ?? [])
            GradientCheck().check(checked, "TransformerLM tied=\(tiedHead)") { _ in loss() }
        }
    }

    func testCachedDecodingMatchesFullForwardAtEveryPosition() throws {
        for layers in [1, 2] {
            let config = TransformerLM.Config(vocabulary: 11, contextLength: 6, width: 12, heads: 3, layers: layers,
                                              tiedHead: layers == 1)
            let lm = model(config, seed: UInt64(layers))
            randomize(lm, seed: 10 + UInt64(layers))
            let (batch, length) = (3, 6)
            var generator = RandomGenerator(seed: 4)
            let tokens = (0..<(batch * length)).map { _ in generator.nextInt(below: 11) }
            let full = withNoGrad { lm.forward(tokens: tokens, batch: batch, length: length) }
            var cache = lm.makeCache(batch: batch)
            for t in 0..<length {
                let column = (0..<batch).map { tokens[$0 * length + t] }
                let logits = try lm.step(tokens: column, cache: &cache)
                XCTAssertEqual(logits.shape, [batch, 11])
                XCTAssertFalse(logits.requiresGrad)
                XCTAssertEqual(cache.length, t + 1)
                for b in 0..<batch {
                    for v in 0..<11 {
                        XCTAssertEqual(logits.data[b * 11 + v], full.data[(b * length + t) * 11 + v], accuracy: 1e-5,
                                       "layers \(layers), sequence \(b), position \(t), token \(v)")
                    }
                }
            }
        }
    }

    func testPrefillThenStepMatchesFullForward() throws {
        let config = TransformerLM.Config(vocabulary: 9, contextLength: 7, width: 8, heads: 2, layers: 2)
        let lm = model(config, seed: 3)
        randomize(lm, seed: 30)
        let (batch, length, prompt) = (2, 7, 3)
        let tokens = [1, 8, 0, 3, 3, 5, 2, 7, 7, 1, 4, 0, 6, 2]
        let full = withNoGrad { lm.forward(tokens: tokens, batch: batch, length: length) }
        func fullRow(_ b: Int, _ t: Int) -> [Float] { Array(full.data[((b * length + t) * 9)..<((b * length + t + 1) * 9)]) }
        var cache = lm.makeCache(batch: batch)
        let promptTokens = (0..<batch).flatMap { b in tokens[(b * length)..<(b * length + prompt)] }
        var logits = try lm.prefill(tokens: promptTokens, batch: batch, length: prompt, cache: &cache)
        XCTAssertEqual(cache.length, prompt)
        for t in (prompt - 1)..<length {
            if t >= prompt { logits = try lm.step(tokens: (0..<batch).map { tokens[$0 * length + t] }, cache: &cache) }
            XCTAssertEqual(logits.shape, [batch, 9])
            for b in 0..<batch {
                for (x, y) in zip(Array(logits.data[(b * 9)..<((b + 1) * 9)]), fullRow(b, t)) {
                    XCTAssertEqual(x, y, accuracy: 1e-5, "sequence \(b), position \(t)")
                }
            }
        }
        XCTAssertThrowsError(try lm.step(tokens: [0, 0], cache: &cache))
        var fresh = lm.makeCache(batch: 1)
        XCTAssertThrowsError(try lm.prefill(tokens: [Int](repeating: 1, count: 8), batch: 1, length: 8, cache: &fresh)) { error in
            XCTAssertEqual(error as? KeyValueCache.ContextFull, KeyValueCache.ContextFull(contextLength: 7))
        }
        XCTAssertEqual(fresh.length, 0)
    }

    func testCacheRefusesToGrowPastTheContext() throws {
        let lm = model(tiny)
        randomize(lm)
        var cache = lm.makeCache(batch: 2)
        var first: [Float] = []
        for t in 0..<tiny.contextLength {
            let logits = try lm.step(tokens: [t % 7, (t + 3) % 7], cache: &cache)
            if t == 0 { first = logits.data }
        }
        XCTAssertTrue(cache.isFull)
        XCTAssertThrowsError(try lm.step(tokens: [0, 0], cache: &cache)) { error in
            XCTAssertEqual(error as? KeyValueCache.ContextFull, KeyValueCache.ContextFull(contextLength: 5))
        }
        XCTAssertEqual(cache.length, 5)
        cache.reset()
        XCTAssertEqual(try lm.step(tokens: [0, 3], cache: &cache).data, first)
    }

    func testSpecIsStableAndDiffersPerHyperparameter() {
        let base = tiny
        var variants = [base]
        var c = base; c.vocabulary = 8; variants.append(c)
        c = base; c.contextLength = 6; variants.append(c)
        c = base; c.width = 12; variants.append(c)
        c = base; c.heads = 4; variants.append(c)
        c = base; c.layers = 2; variants.append(c)
        c = base; c.tiedHead = false; variants.append(c)
        let specs = variants.map { model($0).spec }
        XCTAssertEqual(Set(specs).count, specs.count)
        XCTAssertEqual(model(base, seed: 1).spec, model(base, seed: 99).spec)
        XCTAssertTrue(specs[0].hasPrefix("fleet-module-spec 1\ntransformer-lm vocabulary=7 context=5 width=8 heads=2 layers=1 tied-head=true"))
        // heads=4 keeps every parameter shape: only the header tells the architectures apart.
        XCTAssertEqual(model(variants[4]).namedParameters().map(\.tensor.shape), model(base).namedParameters().map(\.tensor.shape))
    }
}
