import Foundation
import XCTest

@testable import FleetEnvironments

/// One recorded episode of `Fixtures/<env>.json` (written by `Fixtures/record_gymnasium.py`).
struct RecordedEpisode: Decodable {
    enum Actions: Decodable {
        case discrete([Int])
        case continuous([[Float]])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let discrete = try? container.decode([Int].self) {
                self = .discrete(discrete)
            } else {
                self = .continuous(try container.decode([[Float]].self))
            }
        }
    }

    let note: String
    let startState: [Double]
    let actions: Actions
    let observations: [Double]
    let rewards: [Double]
    let terminated: [Int]
    let truncated: [Int]

    enum CodingKeys: String, CodingKey {
        case note, actions, observations, rewards, terminated, truncated
        case startState = "start_state"
    }
}

struct RecordedFile: Decodable {
    let env: String
    let gymnasium: String
    let episodes: [RecordedEpisode]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures", isDirectory: true)

    static func load(_ id: String) throws -> RecordedFile {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(id).json"))
        return try JSONDecoder().decode(RecordedFile.self, from: data)
    }
}

/// Replays Gymnasium 1.x's recorded episodes from the same start states with the same actions:
/// observations and rewards must agree to 1e-5, the end flags exactly.
final class GoldenTrajectoryTests: XCTestCase {
    static let tolerance = 1e-5

    func testCartPoleMatchesGymnasium() throws {
        try replay(CartPole.id, expectTermination: true, expectTruncation: true) { episode in
            var env = CartPole()
            _ = env.reset(seed: 0)
            let s = episode.startState
            env.state = CartPole.State(x: s[0], xDot: s[1], theta: s[2], thetaDot: s[3])
            return env
        }
    }

    func testAcrobotMatchesGymnasium() throws {
        try replay(Acrobot.id, expectTermination: true, expectTruncation: true) { episode in
            var env = Acrobot()
            _ = env.reset(seed: 0)
            let s = episode.startState
            env.state = Acrobot.State(theta1: s[0], theta2: s[1], theta1Dot: s[2], theta2Dot: s[3])
            return env
        }
    }

    func testMountainCarMatchesGymnasium() throws {
        try replay(MountainCar.id, expectTermination: true, expectTruncation: true) { episode in
            var env = MountainCar()
            _ = env.reset(seed: 0)
            env.state = MountainCar.State(position: episode.startState[0], velocity: episode.startState[1])
            return env
        }
    }

    func testPendulumMatchesGymnasium() throws {
        try replay(Pendulum.id, expectTermination: false, expectTruncation: true) { episode in
            var env = Pendulum()
            _ = env.reset(seed: 0)
            env.state = Pendulum.State(theta: episode.startState[0], thetaDot: episode.startState[1])
            return env
        }
    }

    /// The fixtures were recorded from Gymnasium 1.x, and cover what the replay claims to check.
    func testFixturesComeFromGymnasiumOne() throws {
        for id in [CartPole.id, Acrobot.id, MountainCar.id, Pendulum.id] {
            let file = try RecordedFile.load(id)
            XCTAssertEqual(file.env, id)
            XCTAssertTrue(file.gymnasium.hasPrefix("1."), "\(id) recorded with gymnasium \(file.gymnasium)")
            XCTAssertFalse(file.episodes.isEmpty)
        }
    }

    private func replay<Env: DiscreteEnvironment>(
        _ id: String, expectTermination: Bool, expectTruncation: Bool, start: (RecordedEpisode) -> Env
    ) throws {
        try replay(id, expectTermination: expectTermination, expectTruncation: expectTruncation, start: start) {
            env, actions, t, observation in
            guard case .discrete(let actions) = actions else { preconditionFailure("\(id): continuous actions") }
            return env.step(actions[t], observation: observation)
        }
    }

    private func replay<Env: ContinuousEnvironment>(
        _ id: String, expectTermination: Bool, expectTruncation: Bool, start: (RecordedEpisode) -> Env
    ) throws {
        try replay(id, expectTermination: expectTermination, expectTruncation: expectTruncation, start: start) {
            env, actions, t, observation in
            guard case .continuous(let actions) = actions else { preconditionFailure("\(id): discrete actions") }
            return actions[t].withUnsafeBufferPointer { env.step($0, observation: observation) }
        }
    }

    private func replay<Env: Environment>(
        _ id: String, expectTermination: Bool, expectTruncation: Bool,
        start: (RecordedEpisode) -> Env,
        step: (inout Env, RecordedEpisode.Actions, Int, UnsafeMutableBufferPointer<Float>) -> StepOutcome
    ) throws {
        let file = try RecordedFile.load(id)
        var sawTermination = false
        var sawTruncation = false
        for episode in file.episodes {
            var env = start(episode)
            let dimension = env.observationDimension
            XCTAssertEqual(episode.observations.count, episode.rewards.count * dimension)
            var observation = [Float](repeating: .nan, count: dimension)
            for t in episode.rewards.indices {
                let outcome = observation.withUnsafeMutableBufferPointer { step(&env, episode.actions, t, $0) }
                let context = "\(id), \(episode.note), step \(t)"
                for i in 0..<dimension {
                    let expected = episode.observations[t * dimension + i]
                    XCTAssertEqual(Double(observation[i]), expected, accuracy: Self.tolerance, "\(context), observation[\(i)]")
                }
                XCTAssertEqual(outcome.reward, episode.rewards[t], accuracy: Self.tolerance, "\(context), reward")
                XCTAssertEqual(outcome.terminated, episode.terminated[t] == 1, "\(context), terminated")
                XCTAssertEqual(outcome.truncated, episode.truncated[t] == 1, "\(context), truncated")
                sawTermination = sawTermination || outcome.terminated
                sawTruncation = sawTruncation || outcome.truncated
                if testRun?.failureCount ?? 0 > 0 { return }  // one divergence is enough to read
            }
        }
        XCTAssertEqual(sawTermination, expectTermination, "\(id): a terminating episode was replayed")
        XCTAssertEqual(sawTruncation, expectTruncation, "\(id): a truncated episode was replayed")
    }
}
