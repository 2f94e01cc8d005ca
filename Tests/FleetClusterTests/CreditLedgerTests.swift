import FleetWire
import XCTest

@testable import FleetCluster

/// The learner's grants to group actors: what the next max_policy_lag + 1 updates train on, no more.
final class CreditLedgerTests: XCTestCase {
    /// Batches of 8 groups, updates of 32 (four batches), lag 1: eight batches in line at most.
    private func ledger(lag: Int = 1) -> CreditLedger {
        var ledger = CreditLedger(groupsPerBatch: 8, groupsPerUpdate: 32, maxPolicyLag: lag)
        ledger.welcomed("actor-0")
        ledger.welcomed("actor-1")
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
        ledger.welcomed("actor-0")
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

    /// Every welcome starts the actor's account from nothing, as the actor's own count does: a new
    /// incarnation, a repeated Hello, and a Hello to a restarted learner alike.
    func testAWelcomeStartsTheAccountFromNothing() {
        var ledger = ledger()
        _ = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)
        ledger.received(from: "actor-1")
        ledger.welcomed("actor-1")
        XCTAssertEqual(ledger.outstanding(for: "actor-1"), 0)
        XCTAssertEqual(
            totals(ledger.grant(queuedGroups: 8, actors: ["actor-0", "actor-1"], version: 3, updatesLeft: 100)),
            ["actor-1": 3], "the line holds 8 queued and actor-0's 4: actor-1 gets the three left, counted anew")
    }

    func testAHeartbeatWithCreditLeftHasTheGrantToldAgain() {
        var ledger = ledger()
        _ = ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)
        ledger.heartbeat(from: "actor-0")
        XCTAssertEqual(
            totals(ledger.grant(queuedGroups: 0, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100)),
            ["actor-0": 4])
        for _ in 0..<4 { ledger.received(from: "actor-0") }
        ledger.heartbeat(from: "actor-0")
        XCTAssertTrue(
            ledger.grant(queuedGroups: 32, actors: ["actor-0", "actor-1"], version: 0, updatesLeft: 100).isEmpty,
            "no credit left: nothing to tell again")
    }
}
