import Foundation
import Logging

extension LearnerLoop {
    /// Knobs that are not part of the run config.
    public struct Options {
        /// Give up when no batch has been accepted for this long; nil: the config's `stall_timeout`.
        public var stallTimeout: Duration?
        /// The learner's incarnation, told to actors in `Welcome`.
        public var incarnation: UInt64
        /// Where the learner says what happens (actors joining, lost and back; rejections,
        /// rate-limited; warnings): a `learner` logger of the bootstrapped logging system by default.
        public var log: Logger
        /// Asked about ten times a second; true ends the run early (Ctrl-C), with a summary.
        public var stopRequested: () -> Bool
        /// Asked once a stop was requested: true when it takes only this process (a scheduler's
        /// SIGTERM: eviction, preemption, requeue) and the actors must not be told the run is over:
        /// they wait, up to `learner_timeout`, for a learner that resumes it.
        public var stopLeavesActors: () -> Bool
        /// Continue the run from the newest valid checkpoint in the run directory (`--resume`):
        /// weights, optimizer, counters, every actor's last batch taken; versions go on from it.
        public var resume: Bool

        public init(
            stallTimeout: Duration? = nil, incarnation: UInt64 = 1,
            log: Logger = Logger(label: "learner"),
            stopRequested: @escaping () -> Bool = { false }, stopLeavesActors: @escaping () -> Bool = { false },
            resume: Bool = false
        ) {
            self.stopLeavesActors = stopLeavesActors
            self.stallTimeout = stallTimeout
            self.incarnation = incarnation
            self.log = log
            self.stopRequested = stopRequested
            self.resume = resume
        }
    }
}
