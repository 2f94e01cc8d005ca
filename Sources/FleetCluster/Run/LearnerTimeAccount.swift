/// Where the learner's wall time goes, by phase: one monotonic clock read at every change of
/// phase charges the time since the last change to the phase it ends. The phases cover the
/// learner's run without gaps or overlap, so their seconds add up to its wall time.
///
/// It is wall time, not CPU time: a phase includes the time the learner's thread waited for a
/// core. On a machine with no idle core, publishing weights wakes the ZeroMQ I/O thread or the
/// actors, which can take the learner's core in the middle of `broadcast`.
///
/// Keeping the account costs a clock read and an addition per change, and no allocation (the
/// totals are a fixed array made once).
public struct LearnerTimeAccount: Sendable {
    /// What the learner is doing.
    public enum Phase: Int, CaseIterable, Sendable {
        /// Receiving, decoding, validating and queueing batches.
        case ingress
        /// Waiting in poll for a batch or a control message.
        case idle
        /// The algorithm's update (GAE and PPO epochs, or a GRPO/DAPO step).
        case update
        /// Encoding the new weights and publishing them.
        case broadcast
        /// Writing checkpoints.
        case checkpoint
        /// Writing consumed and dropped batches to the capture.
        case capture
        /// Logging metrics (`metrics.jsonl`, TensorBoard) and updating the Prometheus endpoint.
        case metrics
        /// Everything else: the control channel, the roster, stale batches, the loop itself.
        case other

        /// The key in `summary.json`'s and `fleet status`'s `learner_time`.
        public var name: String { Self.names[rawValue] }

        /// The cumulative metric of the phase: `pipeline/time/update_seconds`.
        public var metricTag: String { Self.metricTags[rawValue] }

        private static let names = ["ingress", "idle", "update", "broadcast", "checkpoint", "capture", "metrics", "other"]
        private static let metricTags = names.map { "pipeline/time/\($0)_seconds" }
    }

    /// The phase being timed now.
    public private(set) var phase: Phase
    /// When ``phase`` began (or was last charged).
    private var since: ContinuousClock.Instant
    /// Time charged so far, by ``Phase/rawValue``.
    private var totals: [Duration]

    /// An account that starts now (or at `start`) in `phase`.
    public init(phase: Phase = .other, at start: ContinuousClock.Instant = .now) {
        self.phase = phase
        since = start
        totals = Array(repeating: .zero, count: Phase.allCases.count)
    }

    /// Forgets what was charged and starts again at `start` in `phase`.
    public mutating func restart(phase: Phase = .other, at start: ContinuousClock.Instant) {
        self = Self(phase: phase, at: start)
    }

    /// Charges the time since the last change to the current phase and goes on in `phase`;
    /// returns the phase it left, to go back to. An instant before the last change (read
    /// earlier, passed late) charges nothing: time is never charged twice nor taken back.
    @discardableResult
    public mutating func enter(_ phase: Phase, at now: ContinuousClock.Instant = .now) -> Phase {
        if now > since {
            totals[self.phase.rawValue] += now - since
            since = now
        }
        let left = self.phase
        self.phase = phase
        return left
    }

    /// Time spent in `phase` until `now` (the current phase's time so far included).
    public func duration(of phase: Phase, at now: ContinuousClock.Instant = .now) -> Duration {
        totals[phase.rawValue] + (phase == self.phase && now > since ? now - since : .zero)
    }

    /// Seconds spent in `phase` until `now`.
    public func seconds(of phase: Phase, at now: ContinuousClock.Instant = .now) -> Double {
        duration(of: phase, at: now).seconds
    }

    /// The wall time accounted until `now`: the sum of every phase's.
    public func wallSeconds(at now: ContinuousClock.Instant = .now) -> Double {
        Phase.allCases.reduce(Duration.zero) { $0 + duration(of: $1, at: now) }.seconds
    }

    /// Seconds by phase name, every phase included (`learner_time`).
    public func secondsByPhase(at now: ContinuousClock.Instant = .now) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: Phase.allCases.map { ($0.name, seconds(of: $0, at: now)) })
    }

    /// `phase`'s share of the wall time accounted until `now`; nil before any time has passed.
    public func share(of phase: Phase, at now: ContinuousClock.Instant = .now) -> Double? {
        let wall = wallSeconds(at: now)
        return wall > 0 ? seconds(of: phase, at: now) / wall : nil
    }
}
