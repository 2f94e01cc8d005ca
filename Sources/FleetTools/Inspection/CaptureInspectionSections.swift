import FleetCluster
import FleetWire

extension CaptureInspection {
    /// One capture file read.
    public struct FileSummary: Codable, Hashable, Sendable {
        /// The file's path, as given.
        public var path: String
        /// Intact entries read from it.
        public var records: Int
        /// Its size on disk.
        public var bytes: Int
    }

    /// One value per entry kind: consumed, dropped and sent.
    public struct ByEntryKind<Value> {
        /// The value for consumed entries.
        public var consumed: Value
        /// The value for dropped entries.
        public var dropped: Value
        /// The value for sent entries.
        public var sent: Value

        /// The same `value` for every kind.
        public init(repeating value: Value) {
            consumed = value
            dropped = value
            sent = value
        }

        /// The value of `kind`.
        public subscript(kind: CaptureEntry.Kind) -> Value {
            get {
                switch kind {
                case .consumed: consumed
                case .dropped: dropped
                case .sent: sent
                }
            }
            set {
                switch kind {
                case .consumed: consumed = newValue
                case .dropped: dropped = newValue
                case .sent: sent = newValue
                }
            }
        }

        /// Each kind's value transformed.
        public func map<T>(_ transform: (Value) throws -> T) rethrows -> ByEntryKind<T> {
            var result = ByEntryKind<T>(repeating: try transform(consumed))
            result.dropped = try transform(dropped)
            result.sent = try transform(sent)
            return result
        }
    }

    /// Entries by the payload kind of their frame.
    public struct BatchKindCounts: Codable, Hashable, Sendable {
        /// Entries whose frame is a trajectory batch.
        public var trajectoryBatch = 0
        /// Entries whose frame is a group batch.
        public var groupBatch = 0
        /// Frames that decode to another payload (not a batch).
        public var other = 0
        /// Frames that do not decode (or fail validation).
        public var undecodable = 0

        enum CodingKeys: String, CodingKey {
            case other, undecodable
            case trajectoryBatch = "trajectory_batch"
            case groupBatch = "group_batch"
        }
    }

    /// The smallest and largest of some versions.
    public struct VersionRange: Codable, Hashable, Sendable {
        /// The smallest version.
        public var min: UInt64
        /// The largest version.
        public var max: UInt64

        /// The range of `version` alone.
        public init(_ version: UInt64) {
            min = version
            max = version
        }

        /// This range, widened to hold `version`.
        public func including(_ version: UInt64) -> VersionRange {
            var range = self
            range.min = Swift.min(min, version)
            range.max = Swift.max(max, version)
            return range
        }
    }

    /// Batches by their policy lag — the entry's learner version minus the batch's policy
    /// version — keyed `"0"`, `"1"`, … (negative when a batch claims a version the learner did
    /// not have yet).
    public struct PolicyLagHistograms: Codable, Hashable, Sendable {
        /// Consumed batches by lag.
        public var consumed: [String: Int] = [:]
        /// Dropped batches by lag.
        public var dropped: [String: Int] = [:]

        /// The histogram of `kind` as (lag, batches) pairs, smallest lag first; empty for `sent`.
        public func byLag(_ kind: CaptureEntry.Kind) -> [(lag: Int, batches: Int)] {
            let histogram = kind == .consumed ? consumed : kind == .dropped ? dropped : [:]
            return histogram.compactMap { key, count in Int(key).map { (lag: $0, batches: count) } }.sorted { $0.lag < $1.lag }
        }
    }

    /// The count, mean, minimum and maximum of some values; the last three are left out without values.
    public struct ValueSummary: Codable, Hashable, Sendable {
        /// The number of values.
        public var count: Int
        /// Their mean; nil without values.
        public var mean: Double?
        /// The smallest; nil without values.
        public var min: Double?
        /// The largest; nil without values.
        public var max: Double?

        init(_ statistics: RunningStatistics) {
            count = statistics.count
            mean = statistics.mean
            min = statistics.min
            max = statistics.max
        }
    }

    /// The episodes trajectory batches report as finished.
    public struct EpisodeSummary: Codable, Hashable, Sendable {
        /// The number of finished episodes.
        public var count: Int
        /// Their mean return; nil without episodes.
        public var returnMean: Double?
        /// The smallest return; nil without episodes.
        public var returnMin: Double?
        /// The largest return; nil without episodes.
        public var returnMax: Double?
        /// Their mean length in steps; nil without episodes.
        public var lengthMean: Double?

        enum CodingKeys: String, CodingKey {
            case count
            case returnMean = "return_mean"
            case returnMin = "return_min"
            case returnMax = "return_max"
            case lengthMean = "length_mean"
        }
    }

    /// What the batches of one entry kind carry.
    public struct BatchContent: Codable, Hashable, Sendable {
        /// T × N summed over trajectory batches.
        public var envSteps: Int
        /// Groups × G summed over group batches.
        public var responses: Int
        /// Every reward element: per step of trajectory batches, per response of group batches.
        public var rewards: ValueSummary
        /// The episodes the trajectory batches report as finished.
        public var episodes: EpisodeSummary

        enum CodingKeys: String, CodingKey {
            case responses, rewards, episodes
            case envSteps = "env_steps"
        }
    }

    /// From the first arrival to the last event (update or drop), in seconds from the learner's start.
    public struct TimeSpan: Codable, Hashable, Sendable {
        /// The earliest arrival, in seconds from the start.
        public var firstArrivalSeconds: Double
        /// The latest update or drop, in seconds from the start.
        public var lastEventSeconds: Double
        /// `lastEventSeconds - firstArrivalSeconds`; written to JSON as `seconds`, never read from it.
        public var seconds: Double { lastEventSeconds - firstArrivalSeconds }

        enum CodingKeys: String, CodingKey {
            case seconds
            case firstArrivalSeconds = "first_arrival_seconds"
            case lastEventSeconds = "last_event_seconds"
        }

        /// Creates a span from its two ends, in seconds from the start.
        public init(firstArrivalSeconds: Double, lastEventSeconds: Double) {
            self.firstArrivalSeconds = firstArrivalSeconds
            self.lastEventSeconds = lastEventSeconds
        }

        /// Reads both ends; `seconds` in the JSON is ignored (it is computed).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            firstArrivalSeconds = try container.decode(Double.self, forKey: .firstArrivalSeconds)
            lastEventSeconds = try container.decode(Double.self, forKey: .lastEventSeconds)
        }

        /// Writes both ends and their difference, `seconds`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(firstArrivalSeconds, forKey: .firstArrivalSeconds)
            try container.encode(lastEventSeconds, forKey: .lastEventSeconds)
            try container.encode(seconds, forKey: .seconds)
        }
    }

    /// What the capture directory's manifest says of the run.
    public struct ManifestSummary: Codable, Hashable, Sendable {
        /// The run directory's name.
        public var runID: String
        /// The run's algorithm (`ppo`, `grpo`, ...).
        public var algorithm: String
        /// The environment id or the task's name.
        public var subject: String
        /// The run's seed.
        public var seed: UInt64
        /// The final weights' hash, once the run ended.
        public var weightsSHA256: String?
        /// Whether the run that wrote the capture ended and closed it.
        public var complete: Bool

        enum CodingKeys: String, CodingKey {
            case algorithm, subject, seed, complete
            case runID = "run_id"
            case weightsSHA256 = "weights_sha256"
        }

        init(_ manifest: CaptureManifest) {
            runID = manifest.runID
            algorithm = manifest.algorithm
            subject = manifest.subject
            seed = manifest.seed
            weightsSHA256 = manifest.weightsSHA256
            complete = manifest.complete
        }
    }
}

extension CaptureInspection.ByEntryKind: Encodable where Value: Encodable {}
extension CaptureInspection.ByEntryKind: Decodable where Value: Decodable {}
extension CaptureInspection.ByEntryKind: Equatable where Value: Equatable {}
extension CaptureInspection.ByEntryKind: Hashable where Value: Hashable {}
extension CaptureInspection.ByEntryKind: Sendable where Value: Sendable {}
