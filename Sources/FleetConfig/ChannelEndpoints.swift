/// Where the three channels of a cluster live: the learner binds each, actors connect to each.
///
/// `inproc://` puts the actors in the learner's process as threads (one shared `Context`),
/// `ipc://` on the same host, `tcp://` anywhere.
public struct ChannelEndpoints: Hashable, Sendable {
    /// Batches: actors PUSH, the learner PULLs.
    public var batches: String
    /// Weights: the learner PUBlishes, actors SUBscribe.
    public var weights: String
    /// Control: the learner's ROUTER, the actors' DEALERs.
    public var control: String

    /// Creates endpoints from three ZeroMQ endpoint strings, taken as given; by default the
    /// in-process ones of `fleet train`.
    public init(
        batches: String = "inproc://fleet-batches", weights: String = "inproc://fleet-weights",
        control: String = "inproc://fleet-control"
    ) {
        self.batches = batches
        self.weights = weights
        self.control = control
    }

    /// Three `inproc://` endpoints named after `name`, distinct from those of any other name.
    public static func inproc(_ name: String) -> ChannelEndpoints {
        ChannelEndpoints(
            batches: "inproc://\(name)-batches", weights: "inproc://\(name)-weights",
            control: "inproc://\(name)-control")
    }
}

extension ChannelEndpoints {
    /// The channels by config key (`endpoints.batches`, ...) and endpoint, in channel order.
    package var named: [(key: String, endpoint: String)] {
        [("endpoints.batches", batches), ("endpoints.weights", weights), ("endpoints.control", control)]
    }
}

/// Whether `endpoint` is a tcp one: what CURVE protects.
package func _isTCP(_ endpoint: String) -> Bool { endpoint.hasPrefix("tcp://") }
