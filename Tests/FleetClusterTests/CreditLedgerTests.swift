import FleetWire
import XCTest

@testable import FleetCluster

/// The learner's grants to group actors: what the next max_policy_lag + 1 updates train on, no more.
final class CreditLedgerTests: XCTestCase {
    /// Batches of 8 groups, updates of 32 (four batches), lag 1: eight batches in line at most.
    private func ledger(lag: Int = 1) -> CreditLedger {
        var ledger = CreditLedger(groupsPerBatch: 8, groupsPerUpdate: 32, maxPolicyLag: lag)
        ledger.joined("actor-0", incarnation: 1)
        ledger.joined("actor-1", incarnation: 1)
        return ledger
    }

    private func totals(_ told: [(id: String, credit: Credit)]) -> [String: UInt64] {
        Dictionary(uniqueKeysWithValues: told.map { ($0.id, $0.credit.batchesTotal) })
    }

    func testGrantsTheNextUpdatesWorthSharedBetweenTheActors() {
        var ledger = ledger()
        let told = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)
        XCTAssertEqual(totals(told), ["actor-0": 4, "actor-1": 4])
        XCTAssertTrue(told.allSatisfy { $0.credit.minVersion == 0 })
        XCTAssertEqual(ledger.outstanding, 8)
        // Nothing changed: nothing more to tell.
        XCTAssertTrue(ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100).isEmpty)
    }

    func testAnUpdateThatTakesFourBatchesFreesFourCreditsAtTheNewVersion() {
        var ledger = ledger()
        _ = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)
        for _ in 0..<2 {
            ledger.received(from: "actor-0")
            ledger.received(from: "actor-1")
        }
        // Received and queued: still in line.
        XCTAssertTrue(ledger.grant(queuedGroups: 32, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100).isEmpty)
        // The update took them: four more (two each), sampled with version 1 or newer.
        let told = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 1, updatesLeft: 99)
        XCTAssertEqual(totals(told), ["actor-0": 6, "actor-1": 6])
        XCTAssertTrue(told.allSatisfy { $0.credit.minVersion == 1 })
        XCTAssertEqual(ledger.outstanding, 8)
    }

    func testLagZeroGrantsOneUpdateAndTheLastUpdatesGrantLess() {
        var onPolicy = ledger(lag: 0)
        XCTAssertEqual(
            totals(onPolicy.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 10)),
            ["actor-0": 2, "actor-1": 2])
        var ending = ledger(lag: 3)
        XCTAssertEqual(
            totals(ending.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 9, updatesLeft: 1)),
            ["actor-0": 2, "actor-1": 2], "one update left: one update's worth")
        var done = ledger()
        XCTAssertTrue(done.grant(queuedGroups: 0, actors: ["actor-0"], version: 9, updatesLeft: 0).isEmpty)
    }

    func testABatchLargerThanAnUpdateIsStillGranted() {
        var ledger = CreditLedger(groupsPerBatch: 8, groupsPerUpdate: 4, maxPolicyLag: 0)
        ledger.joined("actor-0", incarnation: 1)
        XCTAssertEqual(totals(ledger.grant(queuedGroups: 0, actors: ["actor-0"], version: 0, updatesLeft: 5)), ["actor-0": 1])
    }

    func testALostActorsCreditsGoToTheOthers() {
        var ledger = ledger()
        _ = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)
        ledger.received(from: "actor-0")
        ledger.revoke("actor-0")
        XCTAssertEqual(ledger.outstanding(for: "actor-0"), 0)
        let told = ledger.grant(queuedGroups: 8, actors: ["actor-1"], version: 0, updatesLeft: 100)
        // actor-0 is told its total is what it delivered; actor-1 takes the three it left.
        XCTAssertEqual(totals(told), ["actor-0": 1, "actor-1": 7])
    }

    func testANewIncarnationStartsFromNothingAndARepeatedHelloIsToldAgain() {
        var ledger = ledger()
        _ = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)
        ledger.joined("actor-1", incarnation: 1)
        XCTAssertEqual(
            totals(ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)),
            ["actor-1": 4], "the same process says Hello again: its grant is told again")
        ledger.joined("actor-1", incarnation: 2)
        XCTAssertEqual(ledger.outstanding(for: "actor-1"), 0)
        XCTAssertEqual(
            totals(ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)),
            ["actor-1": 4], "a restarted actor counts its batches from zero")
    }

    func testAHeartbeatWithCreditLeftHasTheGrantToldAgain() {
        var ledger = ledger()
        _ = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)
        ledger.heartbeat(from: "actor-0", batchesSent: 4)
        XCTAssertTrue(ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100).isEmpty)
        ledger.heartbeat(from: "actor-0", batchesSent: 1)
        XCTAssertEqual(
            totals(ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)),
            ["actor-0": 4])
    }
}
