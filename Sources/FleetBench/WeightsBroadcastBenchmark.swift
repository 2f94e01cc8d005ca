import FleetAlgorithms
import FleetCluster
import FleetEnvironments
import FleetTensor
import FleetTransport
import FleetWire
import Foundation

/// The latency of one weights broadcast between two processes over `ipc://`: Fleet's path against
/// raw FleetTransport moving the same bytes over the same sockets, measured in the same run.
///
/// This process plays the learner: it binds a PUB (weights) and a ROUTER (control) with the
/// learner's ``ChannelLimits`` and starts `fleet bench-peer weights-ack`, which plays actor 0: a
/// SUB and a DEALER with the actor's limits, connected. One round trip on Fleet's path, timed from
/// its start to its end: build `Weights` from the parameters and encode them in a `Frame` with its
/// envelope (as the learner does after an update), publish; the peer decodes the frame, applies
/// the weights to its own parameters (`Weights.apply(to:expectingSpec:)`) and sends an encoded
/// heartbeat carrying the version on its DEALER; the ROUTER receives it and decodes it. The
/// baseline publishes a prepared buffer of the same size and the peer answers with a prepared
/// buffer of the heartbeat's size: nothing is encoded, decoded, copied out of libzmq's messages or
/// applied. Both paths block in receive (the actor's loop polls first) with one message in flight.
///
/// ZeroMQ's slow joiner: a SUB misses whatever is published before its subscription reaches the
/// PUB, so each round publishes until the peer's first answer comes back, waits until no stray
/// answer is left, and runs untimed warm-up round trips before the timed ones. Rounds alternate
/// which path goes first; the latencies of all rounds are pooled.
public enum WeightsBroadcastBenchmark {
    /// The first argument of `fleet bench-peer` that selects this benchmark's peer.
    public static let peerRole = "weights-ack"
    /// The most the CartPole policy's broadcast may take, as a multiple of raw libzmq's.
    public static let cartPoleGoal = 1.5

    /// How much to measure.
    public struct Settings: Sendable {
        /// Rounds per path and model; each starts its own peer process.
        public var rounds: Int
        /// Untimed round trips at the start of each round.
        public var warmUp: Int
        /// Timed round trips per round, for the CartPole policy and for the 4 MiB model.
        public var cartPoleRoundTrips: Int
        public var largeRoundTrips: Int

        public init(rounds: Int, warmUp: Int, cartPoleRoundTrips: Int, largeRoundTrips: Int) {
            self.rounds = rounds
            self.warmUp = warmUp
            self.cartPoleRoundTrips = cartPoleRoundTrips
            self.largeRoundTrips = largeRoundTrips
        }

        public static let quick = Settings(rounds: 2, warmUp: 20, cartPoleRoundTrips: 300, largeRoundTrips: 40)
        public static let full = Settings(rounds: 4, warmUp: 100, cartPoleRoundTrips: 2_000, largeRoundTrips: 250)
    }

    /// The models whose weights are broadcast.
    enum Model: String, CaseIterable {
        /// The learner's CartPole policy (CleanRL's 4-64-64-2 actor), built from the config.
        case cartPole = "cartpole"
        /// Four float32 tensors of 512 x 512: 4 MiB.
        case large = "4mib"
    }

    /// The two ways across.
    enum Path: String {
        case fleet, raw
    }

    /// Measures both models and returns one figure each: the median latency in µs beside raw
    /// libzmq's, lower is better; the CartPole policy's with the goal ``cartPoleGoal``.
    public static func figures(
        settings: Settings, fleetExecutable: String, stopRequested: @escaping () -> Bool = { false }
    ) throws -> [BenchFigure] {
        let directory = try ClusterBenchmark.makeTemporaryDirectory("fleet-bench-weights")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var figures: [BenchFigure] = []
        var serial = 0
        for model in Model.allCases {
            let parameters = try Parameters(model, peer: false)
            let sizes = Sizes(frame: parameters.frame(version: 1, sequence: 1).count, ack: heartbeat(version: 1, sequence: 1).count)
            let roundTrips = model == .cartPole ? settings.cartPoleRoundTrips : settings.largeRoundTrips
            var fleet = Samples(), raw = Samples()
            for round in 0..<settings.rounds {
                for path in round % 2 == 0 ? [Path.fleet, .raw] : [.raw, .fleet] {
                    serial += 1
                    let endpoints = (weights: "ipc://\(directory)/weights-\(serial)", control: "ipc://\(directory)/control-\(serial)")
                    let peer = try BenchChildProcess(
                        name: "peer-\(serial)", executable: fleetExecutable,
                        arguments: [
                            "bench-peer", peerRole, path.rawValue, model.rawValue, endpoints.weights, endpoints.control,
                            "\(sizes.frame)", "\(sizes.ack)",
                        ],
                        outputDirectory: directory, stopGrace: 2)
                    defer { peer.stop() }
                    let learner = try LearnerSide(
                        path: path, parameters: parameters, sizes: sizes, endpoints: endpoints, peer: peer,
                        stopRequested: stopRequested)
                    let samples = try learner.measure(warmUp: settings.warmUp, roundTrips: roundTrips)
                    if path == .fleet { fleet.append(samples) } else { raw.append(samples) }
                }
            }
            figures.append(figure(model, sizes: sizes, fleet: fleet, raw: raw, rounds: settings.rounds, roundTrips: roundTrips))
        }
        return figures
    }

    /// The peer process: `weights-ack fleet|raw cartpole|4mib WEIGHTS_ENDPOINT CONTROL_ENDPOINT
    /// FRAME_BYTES ACK_BYTES` (the arguments after the role). It answers every weights message
    /// until told to stop (Fleet: a Shutdown frame; raw: an empty message), and gives up after a
    /// minute without one.
    public static func runPeer(arguments: [String]) throws {
        guard arguments.count == 6, let path = Path(rawValue: arguments[0]), let model = Model(rawValue: arguments[1]),
            let frameBytes = Int(arguments[4]), let ackBytes = Int(arguments[5]), ackBytes >= 8
        else {
            throw BenchError(
                "usage: bench-peer \(peerRole) fleet|raw cartpole|4mib WEIGHTS_ENDPOINT CONTROL_ENDPOINT FRAME_BYTES ACK_BYTES")
        }
        // Actor 0's sockets and limits (ActorSockets).
        let context = try Context()
        let weights = try Socket(context, .sub, linger: ChannelLimits.linger)
        try weights.set(.receiveHighWaterMark, to: ChannelLimits.weightsQueue)
        try weights.set(.receiveTimeout, to: .seconds(60))
        try weights.subscribe()
        try weights.connect(arguments[2])
        let control = try Socket(context, .dealer, linger: ChannelLimits.linger)
        try control.set(.routingID, to: Array(ActorLoop.id(index: 0).utf8))
        try control.set(.sendHighWaterMark, to: ChannelLimits.controlQueue)
        try control.set(.receiveHighWaterMark, to: ChannelLimits.controlQueue)
        try control.connect(arguments[3])

        switch path {
        case .fleet:
            let parameters = try Parameters(model, peer: true)
            var sequence: UInt64 = 0
            var decodes: [Double] = [], applies: [Double] = []
            while true {
                let bytes = try weights.receive()
                let start = Stopwatch.now()
                let frame = try Frame(decoding: bytes)
                let decoded = Stopwatch.now()
                switch frame.payload {
                case .weights(let received):
                    try received.apply(to: parameters.named, expectingSpec: parameters.spec)
                    decodes.append(decoded - start)
                    applies.append(Stopwatch.now() - decoded)
                    sequence += 1
                    try control.send(heartbeat(version: received.version, sequence: sequence))
                case .shutdown:
                    // Where the peer's time went, for the figure's detail: median seconds.
                    print(ClusterBenchmark.median(decodes), ClusterBenchmark.median(applies))
                    return
                default:
                    throw BenchError("bench-peer: a \(frame.kind.rawValue) frame on the weights channel")
                }
            }
        case .raw:
            var message = Message()
            var ack = [UInt8](repeating: 0, count: ackBytes)
            while true {
                try weights.receive(into: &message)
                if message.count == 0 { return }
                guard message.count == frameBytes else {
                    throw BenchError("bench-peer: received \(message.count) bytes, expected \(frameBytes)")
                }
                // Echo the version (the first 8 bytes), so the learner side can match the answer.
                message.withUnsafeBytes { source in
                    ack.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(8))) }
                }
                try control.send(ack)
            }
        }
    }

    // MARK: - The learner's side of a round

    /// The encoded sizes both paths move: a weights frame and a heartbeat frame.
    struct Sizes {
        var frame: Int
        var ack: Int
    }

    /// Latencies in seconds and, on Fleet's path, where some of the time went: building and
    /// encoding the frame (each round trip), and the peer's median decode and apply (each round,
    /// warm-up and joining included).
    struct Samples {
        var latencies: [Double] = []
        var encodes: [Double] = []
        var peerDecodes: [Double] = []
        var peerApplies: [Double] = []

        mutating func append(_ other: Samples) {
            latencies += other.latencies
            encodes += other.encodes
            peerDecodes += other.peerDecodes
            peerApplies += other.peerApplies
        }
    }

    /// One round: the bound PUB and ROUTER, the peer, and the round trips between them.
    final class LearnerSide {
        /// ZeroMQ's default, in place of ``ChannelLimits/weightsQueue`` (see `init`).
        static let publisherHighWaterMark: Int32 = 1_000

        let path: Path
        let parameters: Parameters
        let peer: BenchChildProcess
        let stopRequested: () -> Bool
        let context: Context
        let weights: Socket
        let control: Socket
        var sequence: UInt64 = 0
        var version: UInt64 = 0
        var payload: [UInt8]
        var routingID = Message(), answer = Message()

        init(
            path: Path, parameters: Parameters, sizes: Sizes, endpoints: (weights: String, control: String),
            peer: BenchChildProcess, stopRequested: @escaping () -> Bool
        ) throws {
            self.path = path
            self.parameters = parameters
            self.peer = peer
            self.stopRequested = stopRequested
            payload = [UInt8](repeating: 7, count: sizes.frame)
            // The learner's sockets and limits (LearnerSockets), but for two: a short receive
            // timeout, so that waiting for an answer can watch the peer and Ctrl-C; and the PUB's
            // high-water mark. A socket learns that its peer has read what it sent only when it
            // processes commands, which libzmq does on a send at most about once a millisecond;
            // round trips faster than that would fill the learner's queue of 4 in the PUB's view
            // and have it drop the next message (the learner publishes once per update, slower).
            // One message is in flight at a time either way.
            context = try Context()
            weights = try Socket(context, .pub, linger: ChannelLimits.linger)
            try weights.set(.sendHighWaterMark, to: Self.publisherHighWaterMark)
            control = try Socket(context, .router, linger: ChannelLimits.linger)
            try control.set(.sendHighWaterMark, to: ChannelLimits.controlQueue)
            try control.set(.receiveHighWaterMark, to: ChannelLimits.controlQueue)
            try control.set(.maxMessageSize, to: Int64(ChannelLimits.maxControlBytes))
            try control.set(.receiveTimeout, to: .milliseconds(20))
            try weights.bind(endpoints.weights)
            try control.bind(endpoints.control)
        }

        /// Joins (see the type's notes), warms up, times `roundTrips` round trips and stops the peer.
        func measure(warmUp: Int, roundTrips: Int) throws -> Samples {
            let joinDeadline = Stopwatch.now() + 30
            while true {
                guard Stopwatch.now() < joinDeadline else { throw BenchError("bench-peer never answered\(peer.stderrTail)") }
                version += 1
                _ = try publish()
                if try receiveAnswer(until: Stopwatch.now() + 0.05) != nil { break }
            }
            // Answers to weights published while joining may still come: let them all arrive.
            while try receiveAnswer(until: Stopwatch.now() + 0.3) != nil {}
            var samples = Samples()
            for i in 0..<(warmUp + roundTrips) {
                let (seconds, encode) = try roundTrip()
                if i >= warmUp {
                    samples.latencies.append(seconds)
                    samples.encodes.append(encode)
                }
            }
            switch path {
            case .fleet:
                sequence += 1
                try weights.send(
                    Frame(
                        envelope: Envelope(senderID: "learner", incarnation: 1, sequence: sequence),
                        payload: .shutdown(Shutdown(reason: "benchmark finished"))
                    ).encoded())
            case .raw:
                try weights.send([UInt8]())
            }
            try peer.waitForSuccess(timeout: 10, stopRequested: stopRequested)
            if path == .fleet {
                let reported = peer.stdout.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
                guard reported.count == 2 else { throw BenchError("bench-peer did not report its decode and apply times") }
                samples.peerDecodes.append(reported[0])
                samples.peerApplies.append(reported[1])
            }
            return samples
        }

        /// Publishes the next version and waits for its answer; returns the seconds from the start
        /// to the decoded answer, and those spent building and encoding the frame.
        func roundTrip() throws -> (seconds: Double, encode: Double) {
            version += 1
            if path == .raw { writeVersionIntoPayload() }
            let start = Stopwatch.now()
            let encode = try publish()
            while true {
                guard let answered = try receiveAnswer(until: start + 30) else {
                    throw BenchError("no answer to weights v\(version) within 30 s\(peer.stderrTail)")
                }
                if answered == version { break }  // an older one: a stray answer from joining
            }
            return (Stopwatch.now() - start, encode)
        }

        /// Publishes weights `version`; returns the seconds spent building and encoding them.
        func publish() throws -> Double {
            switch path {
            case .fleet:
                let start = Stopwatch.now()
                sequence += 1
                let bytes = parameters.frame(version: version, sequence: sequence)
                let encode = Stopwatch.now() - start
                try weights.send(bytes, flags: .dontWait)  // as the learner: PUB never blocks
                return encode
            case .raw:
                try weights.send(payload, flags: .dontWait)
                return 0
            }
        }

        /// The version of the next answer (decoded on Fleet's path), or nil if none came by
        /// `deadline`. Throws when the peer died or a stop was requested.
        func receiveAnswer(until deadline: Double) throws -> UInt64? {
            while true {
                do {
                    switch path {
                    case .fleet:
                        let parts = try control.receiveMultipart()
                        guard parts.count == 2 else { throw BenchError("an answer of \(parts.count) frames") }
                        let frame = try Frame(decoding: parts[1])
                        guard case .heartbeat(let heartbeat) = frame.payload else {
                            throw BenchError("the peer answered with a \(frame.kind.rawValue) frame")
                        }
                        return heartbeat.weightsVersion
                    case .raw:
                        try control.receive(into: &routingID)
                        try control.receive(into: &answer)
                        return answer.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
                    }
                } catch let error as ZMQError where error == .wouldBlock {
                    if stopRequested() { throw BenchInterrupted() }
                    guard peer.isRunning else { throw BenchError("bench-peer stopped early\(peer.stderrTail)") }
                    if Stopwatch.now() > deadline { return nil }
                }
            }
        }

        /// The raw path's stand-in for the version: the payload's first 8 bytes.
        func writeVersionIntoPayload() {
            let version = self.version
            payload.withUnsafeMutableBytes { $0.storeBytes(of: version.littleEndian, as: UInt64.self) }
        }
    }

    // MARK: - Models and frames

    /// A model's parameters and spec, built alike in both processes.
    struct Parameters {
        let named: [(name: String, tensor: Tensor)]
        let spec: String

        /// The learner's side (`peer` false) or the peer's, which receives into zeros (the 4 MiB
        /// model) or into its own agent of the learner's spec (CartPole, seeded as actor 0 seeds it).
        init(_ model: Model, peer: Bool) throws {
            switch model {
            case .cartPole:
                let config = try ClusterBenchmark.cartPoleRunConfig()
                let environment = try EnvironmentFactory.make(for: config, count: 1, seed: config.seed)
                let agent = try config.makeAgent(for: environment, seed: config.seed)
                named = agent.policyParameters()
                spec = agent.policySpec
            case .large:
                var generator = RandomGenerator(seed: 1)
                named = (0..<4).map { i in
                    let tensor = peer ? Tensor.zeros([512, 512]) : Tensor.uniform([512, 512], low: -0.1, high: 0.1, using: &generator)
                    return (name: "layer.\(i).weight", tensor: tensor)
                }
                spec = "fleet-bench 4 MiB model: 4 float32 tensors of 512 x 512\n"
            }
        }

        /// The weights frame the learner publishes (LearnerLoop.policyWeights and its envelope).
        func frame(version: UInt64, sequence: UInt64) -> [UInt8] {
            Frame(
                envelope: Envelope(senderID: "learner", incarnation: 1, sequence: sequence),
                payload: .weights(Weights(version: version, parameters: named, modelSpec: spec))
            ).encoded()
        }
    }

    /// The heartbeat frame actor 0 answers with.
    static func heartbeat(version: UInt64, sequence: UInt64) -> [UInt8] {
        Frame(
            envelope: Envelope(senderID: ActorLoop.id(index: 0), incarnation: 1, sequence: sequence),
            payload: .heartbeat(Heartbeat(weightsVersion: version, batchesSent: 0))
        ).encoded()
    }

    // MARK: - Figures

    static func figure(_ model: Model, sizes: Sizes, fleet: Samples, raw: Samples, rounds: Int, roundTrips: Int) -> BenchFigure {
        let what = model == .cartPole ? "CartPole policy" : "4 x 512x512 float32"
        let µs = 1e6
        let detail = String(
            format: "p99 %.0f vs raw %.0f µs; medians: encode %.1f, peer decode %.1f, apply %.1f µs; %d x %d round trips",
            percentile(fleet.latencies, 0.99) * µs, percentile(raw.latencies, 0.99) * µs,
            ClusterBenchmark.median(fleet.encodes) * µs, ClusterBenchmark.median(fleet.peerDecodes) * µs,
            ClusterBenchmark.median(fleet.peerApplies) * µs, rounds, roundTrips)
        return BenchFigure(
            suite: "cluster",
            name: "weights broadcast + ack, ipc: \(what), \(describe(sizes.frame)), median",
            value: ClusterBenchmark.median(fleet.latencies) * µs, unit: "µs",
            baseline: "raw FleetTransport, same bytes and sockets",
            baselineValue: ClusterBenchmark.median(raw.latencies) * µs,
            goal: model == .cartPole ? cartPoleGoal : nil, higherIsBetter: false, detail: detail)
    }

    /// The nearest-rank percentile `p` (0...1) of `values`; 0 when empty.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    static func describe(_ bytes: Int) -> String {
        bytes >= 1 << 20
            ? String(format: "%.2f MiB", Double(bytes) / Double(1 << 20)) : String(format: "%.1f KiB", Double(bytes) / 1024)
    }
}
