import FleetWire

/// The learner's grants to group actors (GRPO, DAPO): an actor samples a batch only on a credit,
/// so that what is sampled is what the next updates train on.
///
/// What is *in line* for the updates is the groups queued plus `promptsPerBatch` for every batch
/// granted and not yet received. The ledger grants while the line is shorter than the groups of the
/// next `max_policy_lag + 1` updates (fewer at the end of the run), each grant at the learner's
/// current version (`min_version`): a batch sampled with those weights or newer is trained on
/// within `max_policy_lag` versions, since at most L + 1 updates' worth of groups stand before it
/// (unless a batch granted earlier arrives after it, or a batch is split between updates). Groups
/// dynamic sampling drops, and batches refused, leave the line, and the ledger grants again.
///
/// Credits are running totals (`Credit.batches_total`) counted from the learner's latest Welcome to
/// the actor, on both sides: every Hello the learner welcomes starts the actor's account from
/// nothing (a new incarnation, a repeated Hello, or an actor that says Hello to a restarted
/// learner, whose predecessor's grants mean nothing to it). A lost actor's unspent credits are
/// taken back (its total lowered to what it delivered), to be granted to the others.
package struct CreditLedger {
    /// One actor's account since its latest Welcome.
    struct Account: Equatable {
        /// Batches granted in all, and batches heard from it.
        var granted: UInt64 = 0
        var received: UInt64 = 0
        /// The `min_version` of the latest grant.
        var minVersion: UInt64 = 0
        /// The grant last told to the actor (nil: it must be told again); a welcomed actor knows it
        /// has none.
        var told: Credit? = Credit(batchesTotal: 0, minVersion: 0)

        var outstanding: UInt64 { granted - min(granted, received) }
        var credit: Credit { Credit(batchesTotal: granted, minVersion: minVersion) }
    }

    /// Groups in one batch (`prompts_per_batch`), and groups one update takes (`train_batch_size`).
    package let groupsPerBatch: Int
    package let groupsPerUpdate: Int
    /// `max_policy_lag`.
    package let maxPolicyLag: Int
    private(set) var accounts: [String: Account] = [:]

    /// A ledger for batches of `groupsPerBatch` groups and updates of `groupsPerUpdate`.
    package init(groupsPerBatch: Int, groupsPerUpdate: Int, maxPolicyLag: Int) {
        precondition(groupsPerBatch > 0 && groupsPerUpdate > 0 && maxPolicyLag >= 0)
        self.groupsPerBatch = groupsPerBatch
        self.groupsPerUpdate = groupsPerUpdate
        self.maxPolicyLag = maxPolicyLag
    }

    /// The groups the next `max_policy_lag + 1` updates take, of the `updatesLeft` of the run.
    package func demand(updatesLeft: Int) -> Int { min(maxPolicyLag + 1, max(updatesLeft, 0)) * groupsPerUpdate }

    /// Batches granted and not yet received, over every actor.
    package var outstanding: Int { accounts.values.reduce(0) { $0 + Int($1.outstanding) } }

    /// Batches granted to `id` and not yet received.
    package func outstanding(for id: String) -> Int { Int(accounts[id]?.outstanding ?? 0) }

    /// `id` said Hello and is welcomed: its account starts from nothing, as the actor's count does.
    package mutating func welcomed(_ id: String) {
        accounts[id] = Account()
    }

    /// A batch frame of `id` arrived (taken or refused): one of its credits is spent.
    package mutating func received(from id: String) {
        accounts[id]?.received += 1
    }

    /// `id` stopped being heard from (lost, quarantined): its unspent credits are taken back.
    package mutating func revoke(_ id: String) {
        guard var account = accounts[id], account.outstanding > 0 else { return }
        account.granted = account.received
        account.told = nil
        accounts[id] = account
    }

    /// `id` sent a heartbeat: while it has credit left, its grant is told again (a Credit can be
    /// lost when the actor's queue is full; this costs a small message a second at most).
    package mutating func heartbeat(from id: String) {
        guard let account = accounts[id], account.outstanding > 0 else { return }
        accounts[id]?.told = nil
    }

    /// Grants batches to `actors` (in the order they are preferred on ties) while the line is
    /// shorter than ``demand(updatesLeft:)``, each to the actor with the fewest outstanding; returns
    /// the credits to tell, one per actor whose grant changed (or must be told again), at `version`.
    package mutating func grant(
        queuedGroups: Int, actors: [String], version: UInt64, updatesLeft: Int
    ) -> [(id: String, credit: Credit)] {
        let eligible = actors.filter { accounts[$0] != nil }
        let demand = demand(updatesLeft: updatesLeft)
        if !eligible.isEmpty, demand > 0 {
            var inLine = queuedGroups + outstanding * groupsPerBatch
            // The last batch may overshoot: a batch the next updates take only in part is still
            // granted, or they would never fill (its rest can go stale when `prompts_per_batch`
            // does not divide `train_batch_size`).
            while inLine < demand {
                let id = eligible.min { outstanding(for: $0) < outstanding(for: $1) }!
                accounts[id]!.granted += 1
                accounts[id]!.minVersion = version
                inLine += groupsPerBatch
            }
        }
        var tell: [(id: String, credit: Credit)] = []
        for id in accounts.keys.sorted() {
            let credit = accounts[id]!.credit
            guard accounts[id]!.told != credit else { continue }
            accounts[id]!.told = credit
            tell.append((id, credit))
        }
        return tell
    }
}
