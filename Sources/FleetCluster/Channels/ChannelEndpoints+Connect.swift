import FleetConfig

/// How an actor in another process finds the learner: `fleet actor --connect`.
extension ChannelEndpoints {
    /// The three endpoints in channel order.
    public var all: [String] { [batches, weights, control] }

    /// Whether a process other than the learner's can reach every endpoint (none is `inproc://`).
    public var areReachableFromOtherProcesses: Bool { !all.contains { $0.hasPrefix("inproc://") } }

    /// These endpoints as seen by an actor told `--connect target`:
    /// - `tcp://HOST` keeps each `tcp://` endpoint's port and puts `HOST` in place of its host
    ///   (so a learner binding `tcp://*:5555` is reached at `tcp://HOST:5555`);
    /// - `ipc://DIRECTORY` gives `ipc://DIRECTORY/batches`, `…/weights` and `…/control`.
    public func connecting(to target: String) throws(ConnectTargetError) -> ChannelEndpoints {
        if target.hasPrefix("ipc://") {
            var directory = String(target.dropFirst("ipc://".count))
            while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
            guard !directory.isEmpty else { throw .malformed(target) }
            return ChannelEndpoints(
                batches: "ipc://\(directory)/batches", weights: "ipc://\(directory)/weights",
                control: "ipc://\(directory)/control")
        }
        guard target.hasPrefix("tcp://") else { throw .malformed(target) }
        let host = String(target.dropFirst("tcp://".count))
        guard !host.isEmpty, !host.contains(":"), !host.contains("/") else { throw .malformed(target) }
        func replacingHost(_ endpoint: String) throws(ConnectTargetError) -> String {
            let rest = endpoint.dropFirst("tcp://".count)
            guard endpoint.hasPrefix("tcp://"), let colon = rest.lastIndex(of: ":") else { throw .notTCP(endpoint) }
            return "tcp://\(host)\(rest[colon...])"
        }
        return ChannelEndpoints(
            batches: try replacingHost(batches), weights: try replacingHost(weights),
            control: try replacingHost(control))
    }
}

/// Why a `--connect` target could not be applied.
public enum ConnectTargetError: Error, Equatable, CustomStringConvertible {
    /// Neither `tcp://HOST` nor `ipc://DIRECTORY`.
    case malformed(String)
    /// `tcp://HOST` was given but the config's endpoint is not `tcp://…:PORT`.
    case notTCP(String)

    /// A sentence naming the `--connect` target or endpoint and what was expected.
    public var description: String {
        switch self {
        case .malformed(let target):
            "--connect \(target): expected tcp://HOST (the config's ports are kept) or ipc://DIRECTORY"
        case .notTCP(let endpoint):
            "--connect tcp://HOST needs tcp://HOST:PORT endpoints in the config; found \(endpoint)"
        }
    }
}
