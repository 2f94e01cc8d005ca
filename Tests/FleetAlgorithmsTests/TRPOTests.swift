import FleetEnvironments
import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// TRPO: conjugate gradient and the trust-region step on the reference vector, the Fisher-vector
/// product against the KL's Hessian and against a dense solve, and a step that stays in the region
/// for discrete and continuous policies.
final class TRPOTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    func testConjugateGradientAndStepOnTheReferenceVector() {
        // F = diag(2, 1), g = [1, 1], damping 0.1: x = [0.476190, 0.909091], step [0.057217, 0.109233].
        let product = { (v: [Float]) -> [Float] in [2.1 * v[0], 1.1 * v[1]] }
        let x = ConjugateGradient.solve(product, [1, 1], iterations: 10)
        XCTAssertEqual(x[0], 0.476190, accuracy: 1e-6)
        XCTAssertEqual(x[1], 0.909091, accuracy: 1e-6)
        let step = TrustRegionStep.scaled(direction: x, product: product(x), maxKL: 0.01)
        XCTAssertEqual(step[0], 0.057217, accuracy: 1e-6)
        XCTAssertEqual(step[1], 0.109233, accuracy: 1e-6)
    }

    // MARK: Small policies

    private static let box = ActionSpace.box(BoxSpace(low: [-2, -2], high: [2, 2], shape: [2]))

    /// A small agent (3 observations, 5 hidden units) whose actor head is scaled up so that its
    /// policy is far from uniform, and a batch of random observations and actions.
    private func smallPolicy(continuous: Bool) -> (agent: PPOAgent, observations: Tensor, actions: PolicyActions) {
        var generator = RandomGenerator(seed: 11)
        let agent = PPOAgent(
            observationSize: 3, actionSpace: continuous ? Self.box : .discrete(DiscreteSpace(3)), hiddenSizes: [5],
            normalizeObservations: false, using: &generator)
        let head = agent.actor.layers.last!.weight
        head.data = head.data.map { $0 * 100 }
        agent.logStd?.data = [-0.3, 0.2]
        let rows = 16
        let observations = Tensor((0..<(rows * 3)).map { _ in Float(generator.nextDouble() * 2 - 1) }, shape: [rows, 3])
        let actions: PolicyActions = continuous
            ? .continuous((0..<(rows * 2)).map { _ in Float(generator.nextDouble() * 2 - 1) }, dimension: 2)
            : .discrete((0..<rows).map { _ in generator.nextInt(below: 3) })
        return (agent, observations, actions)
    }

    /// The gradient of the mean KL(pi_old || pi) at the agent's current parameters.
    private func klGradient(_ agent: PPOAgent, _ snapshot: PolicySnapshot, _ observations: Tensor) -> [Float] {
        let parameters = PolicyParameterVector(agent)
        parameters.zeroGrad()
        snapshot.meanKL(output: agent.actor(observations), logStd: agent.logStd).backward()
        defer { parameters.zeroGrad() }
        return parameters.gradient
    }

    /// F v equals the KL's Hessian times v, by central differences of the KL's gradient.
    func testFisherVectorProductIsTheHessianOfTheKL() {
        for continuous in [false, true] {
            let (agent, observations, actions) = smallPolicy(continuous: continuous)
            let snapshot = PolicySnapshot(agent: agent, observations: observations, actions: actions)
            let fisher = FisherVectorProduct(agent: agent, snapshot: snapshot, observations: observations, damping: 0)
            let parameters = PolicyParameterVector(agent)
            let old = parameters.values
            var generator = RandomGenerator(seed: 3)
            let v = (0..<parameters.count).map { _ in Float(generator.nextDouble() * 2 - 1) }
            let epsilon: Float = 1e-2
            parameters.assign(zip(old, v).map { $0 + epsilon * $1 })
            let plus = klGradient(agent, snapshot, observations)
            parameters.assign(zip(old, v).map { $0 - epsilon * $1 })
            let minus = klGradient(agent, snapshot, observations)
            parameters.assign(old)
            let hv = zip(plus, minus).map { ($0 - $1) / (2 * epsilon) }
            let fv = fisher(v)
            let scale = ConjugateGradient.dot(hv, hv).squareRoot()
            XCTAssertGreaterThan(scale, 1e-3, "a Fisher matrix far from zero")
            let error = ConjugateGradient.dot(zip(fv, hv).map { $0 - $1 }, zip(fv, hv).map { $0 - $1 }).squareRoot()
            XCTAssertLessThan(error / scale, 1e-2, "continuous: \(continuous)")
            XCTAssertEqual(fisher(v, withDamping: true), fv, "damping 0 adds nothing")
        }
    }

    /// Conjugate gradient on the network's damped Fisher matrix matches a dense solve of the
    /// matrix built column by column from the product.
    func testConjugateGradientMatchesADenseSolveOfTheFisherMatrix() {
        for continuous in [false, true] {
            let (agent, observations, actions) = smallPolicy(continuous: continuous)
            let snapshot = PolicySnapshot(agent: agent, observations: observations, actions: actions)
            let fisher = FisherVectorProduct(agent: agent, snapshot: snapshot, observations: observations, damping: 0.1)
            let n = PolicyParameterVector(agent).count
            var matrix = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for j in 0..<n {
                var unit = [Float](repeating: 0, count: n)
                unit[j] = 1
                for (i, value) in fisher(unit).enumerated() { matrix[i][j] = Double(value) }
            }
            var generator = RandomGenerator(seed: 5)
            let g = (0..<n).map { _ in Float(generator.nextDouble() * 2 - 1) }
            let dense = solve(matrix, g.map(Double.init))
            let x = ConjugateGradient.solve({ fisher($0) }, g, iterations: 4 * n, residualTolerance: 1e-12)
            let norm = dense.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let error = zip(x, dense).reduce(0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
            XCTAssertLessThan(error / norm, 1e-3, "continuous: \(continuous), n = \(n)")
        }
    }

    /// Gaussian elimination with partial pivoting.
    private func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var a = a, b = b
        let n = b.count
        for column in 0..<n {
            let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            a.swapAt(column, pivot)
            b.swapAt(column, pivot)
            for row in (column + 1)..<n {
                let factor = a[row][column] / a[column][column]
                for k in column..<n { a[row][k] -= factor * a[column][k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<n { sum -= a[row][k] * x[k] }
            x[row] = sum / a[row][row]
        }
        return x
    }

    // MARK: Updates

    /// A policy step on a CartPole rollout and on a Pendulum rollout stays inside the trust region
    /// (measured independently afterwards) and improves the surrogate.
    func testAStepStaysInsideTheTrustRegion() {
        for continuous in [false, true] {
            let agent: PPOAgent, rollout: Rollout
            if continuous {
                var generator = RandomGenerator(seed: 4)
                agent = PPOAgent(observationSize: 3, actionSpace: .box(BoxSpace(low: [-2], high: [2], shape: [1])),
                                 hiddenSizes: [16], normalizeObservations: false, using: &generator)
                rollout = pendulumRollout(agent, steps: 128, seed: 4)
            } else {
                agent = CartPoleCollector.agent(seed: 4, hiddenSizes: [16])
                var collector = CartPoleCollector(numEnvs: 2, numSteps: 64, seed: 4)
                rollout = collector.collect(with: agent)
            }
            let trpo = TRPOSettings(maxKL: 0.01)
            let learner = TRPOLearner(agent: agent, settings: PPOSettings(), trpo: trpo, seed: 4)
            let observations = Tensor(rollout.observations, shape: [rollout.stepCount, rollout.observationSize])
            let snapshot = PolicySnapshot(agent: agent, observations: observations, actions: rollout.actions)
            let before = PolicyParameterVector(agent).values
            let advantages = PPOLoss.normalizeAdvantages(rollout.rewards.enumerated().map { Float($0.offset % 7) - 3 + $0.element })
            let report = learner.policyStep(observations: observations, actions: rollout.actions, advantages: advantages)
            XCTAssertTrue(report.finite)
            XCTAssertGreaterThan(report.lineSearchSteps, 0, "a step was accepted")
            XCTAssertNotEqual(PolicyParameterVector(agent).values, before)
            let kl = withNoGrad { snapshot.meanKL(output: agent.actor(observations), logStd: agent.logStd).item }
            XCTAssertEqual(Double(kl), report.kl, accuracy: 1e-7)
            XCTAssertLessThanOrEqual(Double(kl), trpo.maxKL, "continuous: \(continuous)")
            XCTAssertGreaterThan(Double(kl), trpo.maxKL / 100, "the step uses the region")
            XCTAssertGreaterThan(report.improvement, 0)
        }
    }

    func testUpdateReportsTRPOsMetricsAndResumesBitIdentically() throws {
        func makeLearner(seed: UInt64) -> TRPOLearner {
            var settings = PPOSettings()
            settings.numMinibatches = 2
            return TRPOLearner(agent: CartPoleCollector.agent(seed: seed, hiddenSizes: [16]), settings: settings,
                               trpo: TRPOSettings(vfIterations: 2), seed: seed)
        }
        let original = makeLearner(seed: 1)
        var collector = CartPoleCollector(numEnvs: 2, numSteps: 32, seed: 1)
        let statistics = original.train(on: [collector.collect(with: original.agent)])
        XCTAssertEqual(statistics.nonFiniteSteps, 0)
        for tag in [RolloutMetric.trpoKL, RolloutMetric.trpoLineSearchSteps, RolloutMetric.trpoSurrogateImprovement,
                    RolloutMetric.policyLoss, RolloutMetric.valueLoss, RolloutMetric.entropy] {
            XCTAssertNotNil(statistics.value(tag), tag)
        }
        XCTAssertLessThanOrEqual(statistics.value(RolloutMetric.trpoKL)!, 0.01)
        _ = original.train(on: [collector.collect(with: original.agent)])

        try assertRestoredLearnerContinuesBitIdentically(original, makeLearner(seed: 9), collector: &collector)
    }

    /// `steps` Pendulum steps of one environment with the agent's policy.
    private func pendulumRollout(_ agent: PPOAgent, steps: Int, seed: UInt64) -> Rollout {
        var environments = VectorEnvironment(count: 1, seed: seed) { _ in Pendulum() }
        var generator = RandomGenerator(seed: seed)
        var observations: [Float] = [], actions: [Float] = [], rewards: [Float] = [], logProbs: [Float] = []
        for _ in 0..<steps {
            observations += environments.observations
            let (sampled, stepLogProbs) = agent.act(observations: environments.observations, count: 1, using: &generator)
            guard case .continuous(let a, _) = sampled else { fatalError("Pendulum acts continuously") }
            environments.step(a.map { min(max($0, -2), 2) })
            actions += a
            logProbs += stepLogProbs
            rewards += environments.rewards
        }
        return Rollout(
            streamID: "p", policyVersion: 0, numSteps: steps, numEnvs: 1, observationSize: 3,
            observations: observations, actions: .continuous(actions, dimension: 1), rewards: rewards,
            terminated: [Bool](repeating: false, count: steps), truncated: [Bool](repeating: false, count: steps),
            behaviourLogProbs: logProbs, finalObservationSteps: [], finalObservations: [],
            nextObservations: environments.observations)
    }
}
