import FleetWire
import Foundation

extension LearnerStatus {
    /// The content type of ``prometheusText()``: the Prometheus text exposition format 0.0.4.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The status in the Prometheus text exposition format (0.0.4), what the learner serves on
    /// `metrics_port`: `fleet_` names in base units (seconds, bytes), counters ending in `_total`,
    /// a HELP and a TYPE line for each family, label values escaped. Unknown values are left out.
    public func prometheusText() -> String {
        var text = PrometheusText()
        let info: [(String, String)] = [
            ("algorithm", algorithm), ("env", env), ("learner_incarnation", String(learnerIncarnation)),
        ]
        text.family("fleet_info", .gauge, "What the learner trains: algorithm, environment or task, incarnation.")
        text.sample("fleet_info", info, 1)
        text.family("fleet_env_steps_total", .counter, "Env steps (for a language run, responses) trained on.")
        text.sample("fleet_env_steps_total", envSteps)
        text.family("fleet_updates_total", .counter, "Updates done.")
        text.sample("fleet_updates_total", iteration)
        text.family("fleet_updates_planned", .gauge, "Updates of the whole run.")
        text.sample("fleet_updates_planned", iterations)
        text.family("fleet_updates_aborted_total", .counter, "Updates undone because a loss or gradient was not finite.")
        text.sample("fleet_updates_aborted_total", updatesAborted)
        text.family("fleet_policy_version", .gauge, "The weights version published last.")
        text.sample("fleet_policy_version", Double(policyVersion))
        text.family("fleet_wall_seconds", .gauge, "Seconds of the run so far, a resumed run's earlier sessions included.")
        text.sample("fleet_wall_seconds", wallSeconds)
        text.family("fleet_steps_per_second", .gauge, "Env steps trained on per second of the run.")
        text.sample("fleet_steps_per_second", sps)
        if let returnMean100 {
            text.family("fleet_return_mean100", .gauge, "Mean return of the last 100 episodes.")
            text.sample("fleet_return_mean100", returnMean100)
        }
        text.family("fleet_max_policy_lag", .gauge, "max_policy_lag: older batches are rejected as stale.")
        text.sample("fleet_max_policy_lag", maxPolicyLag)
        text.family("fleet_policy_lag_batches_total", .counter, "Batches trained on by their policy lag at the update.")
        for (lag, count) in policyLagHistogram.sorted(by: { (Int($0.key) ?? 0, $0.key) < (Int($1.key) ?? 0, $1.key) }) {
            text.sample("fleet_policy_lag_batches_total", [("lag", lag)], count)
        }

        text.family("fleet_actors", .gauge, "Actors of the run by state.")
        var states = ["pending": 0, "live": 0, "lost": 0, "quarantined": 0]
        for actor in actors.values { states[actor.state, default: 0] += 1 }
        for (state, count) in states.sorted(by: { $0.key < $1.key }) { text.sample("fleet_actors", [("state", state)], count) }
        let sortedActors = actors.sorted { $0.key < $1.key }
        text.family("fleet_actor_up", .gauge, "1 when the actor is live.")
        for (id, actor) in sortedActors { text.sample("fleet_actor_up", [("actor", id)], actor.state == "live" ? 1 : 0) }
        text.family("fleet_actor_quarantined", .gauge, "1 when the actor is quarantined for bad batches.")
        for (id, actor) in sortedActors {
            text.sample("fleet_actor_quarantined", [("actor", id)], actor.state == "quarantined" ? 1 : 0)
        }
        text.family("fleet_actor_batches_accepted_total", .counter, "Batches of the actor admitted.")
        for (id, actor) in sortedActors { text.sample("fleet_actor_batches_accepted_total", [("actor", id)], actor.batchesAccepted) }
        text.family("fleet_actor_batches_queued", .gauge, "Batches of the actor waiting at the learner.")
        for (id, actor) in sortedActors { text.sample("fleet_actor_batches_queued", [("actor", id)], actor.batchesQueued) }
        text.family("fleet_actor_batches_rejected_total", .counter, "Batches of the actor rejected, by reason.")
        for (id, actor) in sortedActors {
            for (reason, count) in actor.rejected.sorted(by: { $0.key < $1.key }) {
                text.sample("fleet_actor_batches_rejected_total", [("actor", id), ("reason", reason)], count)
            }
        }
        text.family("fleet_actor_bad_batches_total", .counter, "Bad batches of the actor counted toward quarantine.")
        for (id, actor) in sortedActors { text.sample("fleet_actor_bad_batches_total", [("actor", id)], actor.badBatches) }
        text.family("fleet_actor_joins_total", .counter, "Starts of the actor heard (one Hello per process start).")
        for (id, actor) in sortedActors { text.sample("fleet_actor_joins_total", [("actor", id)], actor.joins) }
        text.family("fleet_actor_restarts_total", .counter, "Starts of the actor after its first.")
        for (id, actor) in sortedActors { text.sample("fleet_actor_restarts_total", [("actor", id)], actor.restarts) }
        text.family("fleet_actor_losses_total", .counter, "Times the actor went silent for actor_timeout.")
        for (id, actor) in sortedActors { text.sample("fleet_actor_losses_total", [("actor", id)], actor.losses) }
        text.family("fleet_actor_versions_behind", .gauge, "The learner's weights version minus the actor's.")
        for (id, actor) in sortedActors {
            if let behind = actor.versionsBehind { text.sample("fleet_actor_versions_behind", [("actor", id)], Double(behind)) }
        }
        text.family("fleet_actor_seconds_since_heard", .gauge, "Seconds since the learner last heard from the actor.")
        for (id, actor) in sortedActors {
            if let seconds = actor.secondsSinceHeard { text.sample("fleet_actor_seconds_since_heard", [("actor", id)], seconds) }
        }

        text.family("fleet_queue_batches", .gauge, "Batches admitted and not yet trained on.")
        text.sample("fleet_queue_batches", queue.batches)
        text.family("fleet_queue_bytes", .gauge, "Bytes of the batches admitted and not yet trained on.")
        text.sample("fleet_queue_bytes", queue.bytes)
        text.family("fleet_queue_byte_budget_bytes", .gauge, "ingress_byte_budget: past it the learner stops reading batches.")
        text.sample("fleet_queue_byte_budget_bytes", queue.byteBudget)
        if let oldest = queue.oldestBatchSeconds {
            text.family("fleet_queue_oldest_batch_seconds", .gauge, "Age of the oldest queued batch.")
            text.sample("fleet_queue_oldest_batch_seconds", oldest)
        }
        text.family("fleet_batches_rejected_total", .counter, "Batches rejected, by reason.")
        for (reason, count) in rejected.sorted(by: { $0.key < $1.key }) {
            text.sample("fleet_batches_rejected_total", [("reason", reason)], count)
        }
        text.family("fleet_actors_quarantined", .gauge, "Actors quarantined for bad batches.")
        text.sample("fleet_actors_quarantined", quarantined.count)

        text.family("fleet_weight_sync_versions_measured_total", .counter, "Weight broadcasts measured until every live actor held them.")
        text.sample("fleet_weight_sync_versions_measured_total", weightSync.versionsMeasured)
        for (suffix, value, help) in [
            ("last", weightSync.lastSeconds, "the latest"), ("mean", weightSync.meanSeconds, "the mean"),
            ("max", weightSync.maxSeconds, "the longest"),
        ] {
            guard let value else { continue }
            let name = "fleet_weight_sync_\(suffix)_seconds"
            text.family(name, .gauge, "Weight-broadcast latency, \(help): publish until every live actor holds the version.")
            text.sample(name, value)
        }
        if let checkpoint {
            text.family("fleet_checkpoint_version", .gauge, "The weights version of the newest checkpoint.")
            text.sample("fleet_checkpoint_version", Double(checkpoint.version))
            text.family("fleet_checkpoint_age_seconds", .gauge, "Age of the newest checkpoint.")
            text.sample("fleet_checkpoint_age_seconds", checkpoint.ageSeconds)
            if let write = checkpoint.writeSeconds {
                text.family("fleet_checkpoint_write_seconds", .gauge, "How long writing the newest checkpoint took.")
                text.sample("fleet_checkpoint_write_seconds", write)
            }
        }
        if let learnerTime {
            text.family(
                "fleet_learner_time_seconds_total", .counter,
                "Seconds of this learner process by phase: ingress, idle, update, broadcast, checkpoint, capture, metrics, other.")
            for phase in LearnerTimeAccount.Phase.allCases {
                if let seconds = learnerTime[phase.name] {
                    text.sample("fleet_learner_time_seconds_total", [("phase", phase.name)], seconds)
                }
            }
        }
        return text.output
    }
}

/// Builds a Prometheus text exposition (0.0.4).
package struct PrometheusText {
    package enum Kind: String { case counter, gauge }

    package private(set) var output = ""

    /// The HELP and TYPE lines of the family `name`.
    package mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        output += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    package mutating func sample(_ name: String, _ value: Int) { sample(name, [], Double(value)) }

    package mutating func sample(_ name: String, _ value: Double) { sample(name, [], value) }

    package mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        sample(name, labels, Double(value))
    }

    package mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        output += name
        if !labels.isEmpty {
            output += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
        }
        output += " \(Self.format(value))\n"
    }

    /// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    package static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A label value escaped: backslash, double quote and line feed.
    package static func escapeLabelValue(_ value: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": escaped.append(contentsOf: "\\\"".unicodeScalars)
            case "\n": escaped.append(contentsOf: "\\n".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    /// HELP text escaped: backslash and line feed.
    package static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
