import Foundation
import Logging

/// Fleet's console log handler: one plain line a message, `SOURCE: message`, where the source is
/// the logger's `actor.id` metadata when it has one (`actor-0: refused weights v7: ...`) and its
/// label otherwise (`learner: actor-1 joined from host (pid 4242, incarnation 1)`). Other metadata
/// (`policy.version`, ...) is for handlers that keep it; the console shows the message as people
/// read it. `fleet` bootstraps it once in `main`; tests give it a sink of their own.
public struct FleetLogHandler: LogHandler {
    /// The metadata key of the actor a logger speaks for.
    public static let actorIDKey = "actor.id"
    /// The metadata key of the learner's weights version.
    public static let policyVersionKey = "policy.version"

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler for the logger `label`, writing each line to `write` (default: standard error).
    public init(label: String, write: @escaping @Sendable (String) -> Void = FleetLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    /// Writes `line` and a newline to standard error, unbuffered.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let source = (event.metadata?[Self.actorIDKey] ?? metadata[Self.actorIDKey]).map { "\($0)" } ?? label
        write("\(source): \(event.message)")
    }
}
