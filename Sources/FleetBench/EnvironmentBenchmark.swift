import FleetEnvironments
import Foundation

/// `fleet bench env`: CartPole-v1 steps per second through Fleet's environment contract, alone and
/// vectorized, beside the compute floor: the same physics as a bare loop (no protocol, no buffers,
/// no episode bookkeeping) measured in the same run. The ratio is what the contract costs.
public enum EnvironmentBenchmark {
    public static func figures(quick: Bool) -> [BenchFigure] {
        let steps = quick ? 200_000 : 2_000_000
        let rounds = quick ? 2 : 5
        var actions = [Int](repeating: 0, count: 4096)
        var bits: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in actions.indices {
            bits = bits &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            actions[i] = Int(bits >> 63)
        }

        var floor = Double.infinity, single = Double.infinity, vector = Double.infinity
        for _ in 0..<rounds {
            floor = min(floor, time { bareCartPole(steps: steps, actions: actions) })
            single = min(single, time { singleCartPole(steps: steps, actions: actions) })
            vector = min(vector, time { vectorCartPole(steps: steps, count: 8, actions: actions) })
        }
        let floorRate = Double(steps) / floor
        let baseline = "bare CartPole physics loop"
        return [
            BenchFigure(
                suite: "env", name: "CartPole-v1 single", value: Double(steps) / single, unit: "steps/s",
                baseline: baseline, baselineValue: floorRate),
            BenchFigure(
                suite: "env", name: "CartPole-v1 vectorized x8", value: Double(steps) / vector,
                unit: "steps/s", baseline: baseline, baselineValue: floorRate),
        ]
    }

    /// Seconds `body` takes; its result is kept alive so the work is not optimized away.
    private static func time(_ body: () -> Double) -> Double {
        let start = Stopwatch.now()
        let sink = body()
        let seconds = Stopwatch.now() - start
        precondition(sink.isFinite)
        return seconds
    }

    private static func singleCartPole(steps: Int, actions: [Int]) -> Double {
        var env = CartPole(seed: 1)
        var observation = [Float](repeating: 0, count: 4)
        var total = 0.0
        observation.withUnsafeMutableBufferPointer { obs in
            env.reset(seed: 1, observation: obs)
            for i in 0..<steps {
                let outcome = env.step(actions[i & 4095], observation: obs)
                total += outcome.reward
                if outcome.ended { env.reset(seed: nil, observation: obs) }
            }
            total += Double(obs[0])
        }
        return total
    }

    private static func vectorCartPole(steps: Int, count: Int, actions: [Int]) -> Double {
        var envs = VectorEnvironment(count: count, seed: 1) { CartPole(seed: UInt64($0)) }
        envs.reset(seed: 1)
        var chosen = [Int](repeating: 0, count: count)
        var total = 0.0
        for i in 0..<(steps / count) {
            for e in 0..<count { chosen[e] = actions[(i &* count &+ e) & 4095] }
            envs.step(chosen)
            total += Double(envs.rewards[0])
        }
        return total + Double(envs.observations[0])
    }

    /// CartPole-v1's equations with nothing around them: the floor any environment API sits on.
    private static func bareCartPole(steps: Int, actions: [Int]) -> Double {
        var x = 0.01, xDot = 0.0, theta = 0.02, thetaDot = 0.0
        let observation = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4)
        defer { observation.deallocate() }
        var total = 0.0
        let totalMass = 1.1, poleMassLength = 0.05, tau = 0.02
        let thetaLimit = 12 * 2 * Double.pi / 360
        actions.withUnsafeBufferPointer { actions in
            for i in 0..<steps {
                let force = actions[i & 4095] == 1 ? 10.0 : -10.0
                let c = cos(theta), s = sin(theta)
                let temp = (force + poleMassLength * thetaDot * thetaDot * s) / totalMass
                let thetaAcc = (9.8 * s - c * temp) / (0.5 * (4.0 / 3.0 - 0.1 * c * c / totalMass))
                let xAcc = temp - poleMassLength * thetaAcc * c / totalMass
                x += tau * xDot
                xDot += tau * xAcc
                theta += tau * thetaDot
                thetaDot += tau * thetaAcc
                observation[0] = Float(x)
                observation[1] = Float(xDot)
                observation[2] = Float(theta)
                observation[3] = Float(thetaDot)
                total += 1
                if x < -2.4 || x > 2.4 || theta < -thetaLimit || theta > thetaLimit {
                    x = 0.01; xDot = 0; theta = 0.02; thetaDot = 0
                }
            }
        }
        return total + Double(observation[0])
    }
}
