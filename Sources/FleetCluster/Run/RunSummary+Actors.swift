import FleetWire
import Foundation

extension RunSummary {
    /// Rewrites the `actors` start and restart counts of the summary at `url` (a supervisor knows
    /// them, the learner does not: it never sees a process die); the learner's `lost` stays.
    public static func recordActors(_ actors: Actors, inSummaryAt url: URL) throws {
        var summary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: url))
        summary.actors.started = actors.started
        summary.actors.restarts = actors.restarts
        try AtomicFile.write(summary.jsonData(), to: url)
    }
}
