import Foundation
import Synchronization
import XCTest

@testable import FleetWire

/// The arena's block cache is shared by every thread.
final class ConcurrentDecodeTests: XCTestCase {
    func testConcurrentDecodesAgree() {
        let frames = SampleFrames.all + [bigTrajectory()]
        let encoded = frames.map { $0.encoded() }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 400) { i in
            let k = i % frames.count
            do throws(WireError) {
                let decoded = try Frame(decoding: encoded[k])
                if decoded != frames[k] { failures.withLock { $0 += 1 } }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }

    /// A trajectory batch with 64 KiB of observations, so its data takes the arena's large-block path.
    private func bigTrajectory() -> Frame {
        .trajectory { b in
            let t = 16
            let n = 4
            let obs = 256
            b.numSteps = UInt32(t)
            b.numEnvs = UInt32(n)
            b.observations = WireTensor(float32: (0..<(t * n * obs)).map { Float($0) / 7 }, shape: [t, n, obs])
            b.actions = WireTensor(int64: [Int64](repeating: 1, count: t * n), shape: [t, n])
            b.rewards = WireTensor(float32: [Float](repeating: 1, count: t * n), shape: [t, n])
            b.terminated = WireTensor(bool: [Bool](repeating: false, count: t * n), shape: [t, n])
            b.truncated = WireTensor(bool: [Bool](repeating: false, count: t * n), shape: [t, n])
            b.behaviourLogProbs = WireTensor(float32: [Float](repeating: -1, count: t * n), shape: [t, n])
            b.finalObservationSteps = .empty(.int64)
            b.finalObservations = .empty(.float32, trailing: [obs])
            b.nextObservations = WireTensor(float32: [Float](repeating: 0.5, count: n * obs), shape: [n, obs])
        }
    }
}
