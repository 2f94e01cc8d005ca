@testable import FleetCluster
import Foundation
import XCTest
import FleetConfig

/// ``LearnerStatus/prometheusText()``: the exposition format 0.0.4, its names and its escaping.
final class PrometheusTextTests: XCTestCase {
    private func status() -> LearnerStatus {
        var actor = LearnerStatus.ActorStatus(
            state: "live", incarnation: 1, host: "h", pid: 7, joins: 2, losses: 1, weightsVersion: 3, versionsBehind: 1,
            batchesAccepted: 12, batchesQueued: 1, rejected: ["stale": 2], secondsSinceHeard: 0.25)
        actor.restarts = 1
        let quarantined = LearnerStatus.ActorStatus(
            state: "quarantined", joins: 1, losses: 0, batchesAccepted: 0, batchesQueued: 0,
            rejected: ["malformed": 100])
        var status = LearnerStatus(
            algorithm: "ppo", env: "Cart\"Pole\\v1\nx", learnerIncarnation: 2, policyVersion: 4, iteration: 4,
            iterations: 10, envSteps: 2048, wallSeconds: 1.5, sps: 1365.5, returnMean100: 22.25, maxPolicyLag: 1,
            policyLagHistogram: ["0": 6, "1": 2, "10": 1],
            actors: ["actor-0": actor, "actor-1": quarantined],
            queue: LearnerStatus.Queue(batches: 1, bytes: 4096, byteBudget: 268_435_456, oldestBatchSeconds: 0.5),
            rejected: ["stale": 2, "malformed": 100], rejectedBySender: [:],
            weightSync: LearnerStatus.WeightSync(versionsMeasured: 3, lastSeconds: 0.002, meanSeconds: 0.003, maxSeconds: 0.005),
            checkpoint: LearnerStatus.Checkpoint(version: 4, ageSeconds: 0.75, writeSeconds: 0.01, every: 50))
        status.quarantined = ["actor-1"]
        status.updatesAborted = 1
        status.learnerTime = ["update": 1.25, "broadcast": 0.015, "idle": 0.25]
        status.broadcastShare = 0.01
        return status
    }

    func testSamplesCarryTheCountersUnderFleetNamesInBaseUnits() throws {
        let samples = try parsePrometheus(status().prometheusText())
        XCTAssertEqual(samples["fleet_env_steps_total"], 2048)
        XCTAssertEqual(samples["fleet_updates_total"], 4)
        XCTAssertEqual(samples["fleet_updates_aborted_total"], 1)
        XCTAssertEqual(samples["fleet_policy_version"], 4)
        XCTAssertEqual(samples["fleet_steps_per_second"], 1365.5)
        XCTAssertEqual(samples["fleet_batches_rejected_total{reason=\"stale\"}"], 2)
        XCTAssertEqual(samples["fleet_batches_rejected_total{reason=\"malformed\"}"], 100)
        XCTAssertEqual(samples["fleet_actor_batches_accepted_total{actor=\"actor-0\"}"], 12)
        XCTAssertEqual(samples["fleet_actor_batches_rejected_total{actor=\"actor-0\",reason=\"stale\"}"], 2)
        XCTAssertEqual(samples["fleet_actor_restarts_total{actor=\"actor-0\"}"], 1)
        XCTAssertEqual(samples["fleet_actor_quarantined{actor=\"actor-0\"}"], 0)
        XCTAssertEqual(samples["fleet_actor_quarantined{actor=\"actor-1\"}"], 1)
        XCTAssertEqual(samples["fleet_actors{state=\"live\"}"], 1)
        XCTAssertEqual(samples["fleet_actors{state=\"quarantined\"}"], 1)
        XCTAssertEqual(samples["fleet_actors{state=\"lost\"}"], 0, "every state is there, zero or not")
        XCTAssertEqual(samples["fleet_queue_batches"], 1)
        XCTAssertEqual(samples["fleet_queue_bytes"], 4096)
        XCTAssertEqual(samples["fleet_weight_sync_last_seconds"], 0.002)
        XCTAssertEqual(samples["fleet_weight_sync_mean_seconds"], 0.003)
        XCTAssertEqual(samples["fleet_checkpoint_age_seconds"], 0.75)
        XCTAssertEqual(samples["fleet_policy_lag_batches_total{lag=\"10\"}"], 1)
        XCTAssertEqual(samples["fleet_return_mean100"], 22.25)
        XCTAssertEqual(samples["fleet_learner_time_seconds_total{phase=\"update\"}"], 1.25)
        XCTAssertEqual(samples["fleet_learner_time_seconds_total{phase=\"broadcast\"}"], 0.015)
    }

    func testEveryFamilyHasHelpAndTypeAndCountersEndInTotal() throws {
        let text = status().prometheusText()
        XCTAssertTrue(text.hasSuffix("\n"))
        var types: [String: String] = [:]
        var helps: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            XCTAssertFalse(line.isEmpty)
            let words = line.split(separator: " ")
            if line.hasPrefix("# TYPE ") {
                XCTAssertNil(types[String(words[2])], "family \(words[2]) declared twice")
                types[String(words[2])] = String(words[3])
            } else if line.hasPrefix("# HELP ") {
                helps.insert(String(words[2]))
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                XCTAssertNotNil(types[name], "\(name) has no TYPE line before it")
                XCTAssertTrue(helps.contains(name), "\(name) has no HELP line")
            }
        }
        let nameRule = try NSRegularExpression(pattern: "^fleet_[a-z0-9_]+$")
        for (name, type) in types {
            XCTAssertNotNil(nameRule.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)), name)
            XCTAssertTrue(["counter", "gauge"].contains(type))
            XCTAssertEqual(name.hasSuffix("_total"), type == "counter", "\(name) is a \(type)")
            XCTAssertFalse(name.contains("milli") || name.contains("_ms"), "base units: \(name)")
        }
    }

    func testLabelValuesAreEscaped() throws {
        let text = status().prometheusText()
        XCTAssertTrue(
            text.contains(#"fleet_info{algorithm="ppo",env="Cart\"Pole\\v1\nx",learner_incarnation="2"} 1"#), text)
        XCTAssertEqual(PrometheusText.escapeLabelValue("a\\b\"c\nd\r\ne"), #"a\\b\"c\nd"# + "\r" + #"\ne"#)
        XCTAssertEqual(PrometheusText.escapeHelp("x\\y\nz"), #"x\\y\nz"#)
        XCTAssertEqual(PrometheusText.format(3), "3")
        XCTAssertEqual(PrometheusText.format(0.5), "0.5")
        XCTAssertEqual(PrometheusText.format(.infinity), "+Inf")
        XCTAssertEqual(PrometheusText.format(-.infinity), "-Inf")
        XCTAssertEqual(PrometheusText.format(.nan), "NaN")
    }

    func testUnknownValuesAreLeftOut() throws {
        var status = status()
        status.checkpoint = nil
        status.returnMean100 = nil
        status.weightSync = LearnerStatus.WeightSync(versionsMeasured: 0)
        let text = status.prometheusText()
        XCTAssertFalse(text.contains("fleet_checkpoint_"))
        XCTAssertFalse(text.contains("fleet_return_mean100"))
        XCTAssertFalse(text.contains("fleet_weight_sync_last_seconds"))
        XCTAssertNotNil(try parsePrometheus(text)["fleet_weight_sync_versions_measured_total"])
    }
}

/// The samples of a Prometheus text exposition by `name{labels}` as written; fails on a malformed line.
func parsePrometheus(_ text: String) throws -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { throw PrometheusParseError(line: String(line)) }
        let key = String(line[..<space])
        let valueText = String(line[line.index(after: space)...])
        let value: Double? =
            switch valueText {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            default: Double(valueText)
            }
        guard let value, samples[key] == nil else { throw PrometheusParseError(line: String(line)) }
        samples[key] = value
    }
    return samples
}

struct PrometheusParseError: Error { let line: String }
