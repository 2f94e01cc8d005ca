import XCTest

@testable import FleetTensor

/// Linear, MLP, Embedding, LayerNorm: names, shapes, CleanRL initialization, gradients, specs.
final class ModuleTests: XCTestCase {
    /// `a · bᵀ` for row-major `a` `[m, k]` and `b` `[n, k]`, in Double.
    func productWithTranspose(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                for l in 0..<k { out[i * n + j] += Double(a[i * k + l]) * Double(b[j * k + l]) }
            }
        }
        return out
    }

    /// Asserts that `w` `[rows, cols]` is `gain` times a (semi-)orthogonal matrix: `WᵀW = gain²·I`
    /// when rows >= cols, `WWᵀ = gain²·I` otherwise.
    func assertOrthogonal(_ w: Tensor, gain: Float, file: StaticString = #filePath, line: UInt = #line) {
        let (rows, cols) = (w.shape[0], w.shape[1])
        let gram: [Double]
        let n: Int
        if rows >= cols {
            let t = Tensor.transpose(w.data, batches: 1, m: rows, n: cols)
            gram = productWithTranspose(t, t, m: cols, n: cols, k: rows)
            n = cols
        } else {
            gram = productWithTranspose(w.data, w.data, m: rows, n: rows, k: cols)
            n = rows
        }
        let g2 = Double(gain) * Double(gain)
        for i in 0..<n {
            for j in 0..<n {
                XCTAssertEqual(gram[i * n + j], i == j ? g2 : 0, accuracy: 1e-5 * Swift.max(g2, 1),
                               "Gram matrix entry (\(i), \(j))", file: file, line: line)
            }
        }
    }

    func testLinearComputesXWTransposePlusBias() {
        let layer = Linear(weight: Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), bias: Tensor([0.5, -1]))
        let y = layer(Tensor([1, 0, -1, 2, 1, 0], shape: [2, 3]))
        XCTAssertEqual(y.shape, [2, 2])
        XCTAssertEqual(y.data, [-1.5, -3, 4.5, 12])
        XCTAssertEqual(layer.namedParameters().map(\.name), ["weight", "bias"])
        let noBias = Linear(weight: Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), bias: nil)
        XCTAssertEqual(noBias.namedParameters().map(\.name), ["weight"])
        XCTAssertEqual(noBias(Tensor([1, 0, -1], shape: [1, 3])).data, [-2, -2])
    }

    func testLinearDefaultIsCleanRLLayerInit() {
        var generator = RandomGenerator(seed: 3)
        let layer = Linear(6, 10, using: &generator)
        XCTAssertEqual(layer.weight.shape, [10, 6])
        XCTAssertTrue(layer.weight.requiresGrad && layer.bias!.requiresGrad)
        assertOrthogonal(layer.weight, gain: Float(2).squareRoot())
        XCTAssertEqual(layer.bias!.data, [Float](repeating: 0, count: 10))
    }

    func testMLPParameterNamesOrderAndShapesArePinned() {
        var generator = RandomGenerator(seed: 1)
        let actor = MLP(sizes: [4, 64, 64, 2], outputGain: 0.01, using: &generator)
        let named = actor.namedParameters()
        XCTAssertEqual(named.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
        XCTAssertEqual(named.map(\.tensor.shape), [[64, 4], [64], [64, 64], [64], [2, 64], [2]])
        XCTAssertEqual(actor.parameterCount, 4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2)
        XCTAssertTrue(actor.parameters.allSatisfy { $0.requiresGrad && $0.isLeaf })
    }

    func testMLPHasCleanRLInitialization() {
        var generator = RandomGenerator(seed: 7)
        let actor = MLP(sizes: [4, 64, 64, 2], outputGain: 0.01, using: &generator)
        let critic = MLP(sizes: [4, 64, 64, 1], outputGain: 1, using: &generator)
        let root2 = Float(2).squareRoot()
        for mlp in [actor, critic] {
            assertOrthogonal(mlp.layers[0].weight, gain: root2)  // [64, 4]: orthonormal columns
            assertOrthogonal(mlp.layers[1].weight, gain: root2)  // square
            for layer in mlp.layers { XCTAssertTrue(layer.bias!.data.allSatisfy { $0 == 0 }) }
        }
        assertOrthogonal(actor.layers[2].weight, gain: 0.01)  // [2, 64]: orthonormal rows
        assertOrthogonal(critic.layers[2].weight, gain: 1)  // [1, 64]: a unit row
    }

    func testPolicyAndValueFactoriesAreCleanRLsNetworks() {
        var g1 = RandomGenerator(seed: 7), g2 = RandomGenerator(seed: 7)
        let actor = MLP.policy(inputs: 4, outputs: 2, using: &g1)
        let critic = MLP.value(inputs: 4, using: &g1)
        let expectedActor = MLP(sizes: [4, 64, 64, 2], activation: .tanh, outputGain: 0.01, using: &g2)
        let expectedCritic = MLP(sizes: [4, 64, 64, 1], activation: .tanh, outputGain: 1, using: &g2)
        XCTAssertEqual(actor.spec, expectedActor.spec)
        XCTAssertEqual(actor.parameters.map(\.data), expectedActor.parameters.map(\.data))
        XCTAssertEqual(critic.parameters.map(\.data), expectedCritic.parameters.map(\.data))
    }

    func testSameSeedGivesIdenticalParametersAndAnotherSeedDoesNot() {
        func build(_ seed: UInt64) -> MLP {
            var generator = RandomGenerator(seed: seed)
            return MLP(sizes: [4, 16, 16, 2], using: &generator)
        }
        let (a, b, c) = (build(5), build(5), build(6))
        XCTAssertEqual(a.parameters.map(\.data), b.parameters.map(\.data))
        XCTAssertNotEqual(a.parameters[0].data, c.parameters[0].data)
    }

    func testMLPForwardMatchesManualComposition() {
        var generator = RandomGenerator(seed: 2)
        let mlp = MLP(sizes: [3, 5, 2], activation: .relu, using: &generator)
        let x = Tensor.uniform([4, 3], low: -1, high: 1, using: &generator)
        let manual = mlp.layers[1](mlp.layers[0](x).relu())
        XCTAssertEqual(mlp(x).data, manual.data)
        let tanhMLP = MLP(sizes: [3, 5, 2], activation: .tanh, using: &generator)
        XCTAssertEqual(tanhMLP(x).data, tanhMLP.layers[1](tanhMLP.layers[0](x).tanh()).data)
    }

    func testMLPGradientCheck() {
        var generator = RandomGenerator(seed: 11)
        for activation in MLP.Activation.allCases {
            // Output gain 1 so that every layer's gradient is well above the checker's tolerance.
            let mlp = MLP(sizes: [3, 5, 4, 2], activation: activation, outputGain: 1, using: &generator)
            // Keep inputs of ReLU away from its kink: bias the first layer.
            mlp.layers[0].bias!.data = (0..<5).map { $0 % 2 == 0 ? 0.3 : -0.3 }
            let x = Tensor.uniform([2, 3], low: -1, high: 1, requiresGrad: true, using: &generator)
            GradientCheck().check(mlp.parameters + [x], "MLP \(activation)") { _ in mlp(x) }
        }
    }

    func testEmbeddingAndLayerNorm() {
        var generator = RandomGenerator(seed: 4)
        let table = Embedding(5, 3, std: 0.5, using: &generator)
        XCTAssertEqual(table.weight.shape, [5, 3])
        let rows = table([4, 0, 4], shape: [1, 3])
        XCTAssertEqual(rows.shape, [1, 3, 3])
        XCTAssertEqual(Array(rows.data[0..<3]), Array(table.weight.data[12..<15]))
        XCTAssertEqual(Array(rows.data[3..<6]), Array(table.weight.data[0..<3]))
        XCTAssertEqual(table.namedParameters().map(\.name), ["weight"])

        let norm = LayerNorm(4)
        XCTAssertEqual(norm.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(norm.weight.data, [1, 1, 1, 1])
        XCTAssertEqual(norm.bias.data, [0, 0, 0, 0])
        let y = norm(Tensor([1, 2, 3, 4], shape: [1, 4]))
        let expected: [Float] = [-1.3416355, -0.4472118, 0.4472118, 1.3416355]  // PyTorch, eps 1e-5
        for (a, b) in zip(y.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// Embedding and LayerNorm around given tensors hold those very tensors (nothing drawn or copied).
    func testEmbeddingAndLayerNormAroundExistingTensors() {
        let weight = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2], requiresGrad: true)
        let table = Embedding(weight: weight)
        XCTAssertTrue(table.weight === weight)
        XCTAssertEqual([table.vocabulary, table.dimension], [3, 2])
        XCTAssertEqual(table([2], shape: [1]).data, [5, 6])

        let scale = Tensor([2, 2]), shift = Tensor([1, -1])
        let norm = LayerNorm(weight: scale, bias: shift, eps: 1e-3)
        XCTAssertTrue(norm.weight === scale && norm.bias === shift)
        XCTAssertEqual(norm.eps, 1e-3)
        let y = norm(Tensor([0, 2], shape: [1, 2]))  // normalized [-1, 1] to ~0.999, then 2x + [1, -1]
        XCTAssertEqual(y.data[0], -0.999, accuracy: 1e-3)
        XCTAssertEqual(y.data[1], 0.999, accuracy: 1e-3)
    }

    func testSpecTextIsPinnedAndIndependentOfInitialization() {
        var g1 = RandomGenerator(seed: 1), g2 = RandomGenerator(seed: 2)
        let a = MLP(sizes: [4, 8, 2], outputGain: 0.01, using: &g1)
        let b = MLP(sizes: [4, 8, 2], outputGain: 1, using: &g2)
        XCTAssertEqual(a.spec, """
            fleet-module-spec 1
            mlp sizes=4,8,2 activation=tanh
            param 0.weight 8x4
            param 0.bias 8
            param 2.weight 2x8
            param 2.bias 2

            """)
        XCTAssertEqual(a.spec, b.spec)
    }

    func testSpecDiffersWhenArchitectureDiffers() {
        var g = RandomGenerator(seed: 1)
        let specs = [
            MLP(sizes: [4, 8, 2], using: &g).spec,
            MLP(sizes: [4, 8, 3], using: &g).spec,
            MLP(sizes: [4, 9, 2], using: &g).spec,
            MLP(sizes: [4, 8, 8, 2], using: &g).spec,
            MLP(sizes: [4, 8, 2], activation: .relu, using: &g).spec,
            Linear(4, 2, using: &g).spec,
            Linear(4, 2, bias: false, using: &g).spec,
            LayerNorm(4).spec,
            LayerNorm(4, eps: 1e-6).spec,
            Embedding(4, 2, using: &g).spec,
        ]
        XCTAssertEqual(Set(specs).count, specs.count)
    }

    func testGroupPrefixesChildrenAndPinsTheWholeSpec() {
        var generator = RandomGenerator(seed: 1)
        let critic = MLP.value(inputs: 3, hidden: [4], using: &generator)
        let actor = MLP.policy(inputs: 3, outputs: 2, hidden: [4], using: &generator)
        let logStd = Tensor.zeros([1, 2], requiresGrad: true)
        let agent = ModuleGroup(kind: "ppo-agent", children: [("critic", critic), ("actor_mean", actor)],
                                standalone: [("actor_logstd", logStd)])
        XCTAssertEqual(agent.namedParameters().map(\.name), [
            "critic.0.weight", "critic.0.bias", "critic.2.weight", "critic.2.bias",
            "actor_mean.0.weight", "actor_mean.0.bias", "actor_mean.2.weight", "actor_mean.2.bias", "actor_logstd",
        ])
        XCTAssertTrue(agent.parameters.last === logStd)
        XCTAssertTrue(agent["actor_mean"] === actor)
        XCTAssertEqual(agent.spec, """
            fleet-module-spec 1
            group ppo-agent
            child critic mlp sizes=3,4,1 activation=tanh
            child actor_mean mlp sizes=3,4,2 activation=tanh
            standalone actor_logstd
            param critic.0.weight 4x3
            param critic.0.bias 4
            param critic.2.weight 1x4
            param critic.2.bias 1
            param actor_mean.0.weight 4x3
            param actor_mean.0.bias 4
            param actor_mean.2.weight 2x4
            param actor_mean.2.bias 2
            param actor_logstd 1x2

            """)
        let swapped = ModuleGroup(kind: "ppo-agent", children: [("actor_mean", actor), ("critic", critic)],
                                  standalone: [("actor_logstd", logStd)])
        XCTAssertNotEqual(swapped.spec, agent.spec)
    }

    func testZeroGradClearsEveryParameter() {
        var generator = RandomGenerator(seed: 9)
        let mlp = MLP(sizes: [2, 3, 1], using: &generator)
        mlp(Tensor([1, -1], shape: [1, 2])).sum().backward()
        XCTAssertTrue(mlp.parameters.allSatisfy { $0.grad != nil })
        mlp.zeroGrad()
        XCTAssertTrue(mlp.parameters.allSatisfy { $0.grad!.allSatisfy { $0 == 0 } })
    }
}
