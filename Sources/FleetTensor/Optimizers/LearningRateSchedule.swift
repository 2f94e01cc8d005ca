/// A learning rate as a function of the update number.
///
/// Iterations are 1-based: `learningRate(at: 1)` is the rate of the first update. Set
/// `optimizer.learningRate = schedule.learningRate(at: u)` before update `u`.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for update (or iteration) `iteration`, counted from 1.
    func learningRate(at iteration: Int) -> Double
}

/// The same rate at every iteration.
public struct ConstantSchedule: LearningRateSchedule, Equatable {
    /// The learning rate.
    public var rate: Double
    /// Creates a schedule that always returns `rate`.
    public init(_ rate: Double) { self.rate = rate }
    /// ``rate``, whatever the iteration.
    public func learningRate(at iteration: Int) -> Double { rate }
}

/// CleanRL's PPO annealing (docs/algorithms.md): at iteration `u` of `U`,
/// `lr = (1 - (u - 1) / U) * lr0`, so the first iteration uses `lr0` and the last `lr0 / U`.
///
/// Computed in `Double` in exactly that order, as CleanRL's Python does. Iterations past `U`
/// get 0 (the formula's value at `U + 1`), never a negative rate.
public struct LinearAnnealSchedule: LearningRateSchedule, Equatable {
    /// `lr0`, the rate of the first iteration.
    public var initialRate: Double
    /// `U`, the number of iterations of the run.
    public var totalIterations: Int

    /// Creates the schedule; traps unless `totalIterations` is positive.
    public init(initialRate: Double, totalIterations: Int) {
        precondition(totalIterations > 0, "totalIterations must be positive")
        self.initialRate = initialRate
        self.totalIterations = totalIterations
    }

    /// `(1 - (u - 1) / U) * lr0`, 0 past `U`; traps when `iteration` is below 1.
    public func learningRate(at iteration: Int) -> Double {
        precondition(iteration >= 1, "iterations count from 1")
        let u = Swift.min(iteration, totalIterations + 1)
        let fraction = 1.0 - Double(u - 1) / Double(totalIterations)
        return fraction * initialRate
    }
}

/// Linear warm-up, then constant (DAPO uses 20 warm-up steps).
///
/// Update `s` (1-based) uses `lr0 * min(s, W) / W`: `lr0 / W` at the first update, rising by
/// `lr0 / W` per update, `lr0` from update `W` on. (This is the Hugging Face / verl
/// `constant_schedule_with_warmup` shifted by one update, so that the first update is not taken
/// at rate 0.) `W = 0` means no warm-up.
public struct WarmupConstantSchedule: LearningRateSchedule, Equatable {
    /// `lr0`, the rate after warm-up.
    public var peakRate: Double
    /// `W`, the number of updates to reach `lr0`.
    public var warmupSteps: Int

    /// Creates the schedule; traps when `warmupSteps` is negative.
    public init(peakRate: Double, warmupSteps: Int) {
        precondition(warmupSteps >= 0, "warmupSteps must not be negative")
        self.peakRate = peakRate
        self.warmupSteps = warmupSteps
    }

    /// `lr0 * min(iteration, W) / W`, or `lr0` when `W` is 0; traps when `iteration` is below 1.
    public func learningRate(at iteration: Int) -> Double {
        precondition(iteration >= 1, "iterations count from 1")
        guard iteration < warmupSteps else { return peakRate }
        return peakRate * Double(iteration) / Double(warmupSteps)
    }
}
