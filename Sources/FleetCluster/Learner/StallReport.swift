/// What a learner that gave up for want of batches saw while none was accepted: the messages it
/// refused in that time, by reason and sender, and where each actor stands; told as one paragraph
/// that says why a locked-out or misconfigured run got nothing.
public struct StallReport: Hashable, Sendable, CustomStringConvertible {
    /// One actor of the run, as the learner gave up.
    public struct Actor: Hashable, Sendable {
        public var id: String
        /// `pending` (never said Hello), `live`, `lost` or `quarantined`.
        public var state: String
        /// Hellos taken from it: 0 when it never joined (a refused Hello, or none).
        public var joins: Int
        /// Seconds since it was last heard; nil when it never was.
        public var secondsSinceHeard: Double?
        /// Times it was declared lost while no batch was accepted.
        public var lossesInStall: Int

        public init(id: String, state: String, joins: Int, secondsSinceHeard: Double?, lossesInStall: Int) {
            self.id = id
            self.state = state
            self.joins = joins
            self.secondsSinceHeard = secondsSinceHeard
            self.lossesInStall = lossesInStall
        }
    }

    /// How long no batch was accepted.
    public var seconds: Double
    /// The updates done.
    public var iteration: Int
    /// Messages refused while no batch was accepted, by reason, then by sender (`?`: none known).
    public var refused: [String: [String: Int]]
    /// The run's actors, in their order.
    public var actors: [Actor]

    public init(seconds: Double, iteration: Int, refused: [String: [String: Int]], actors: [Actor]) {
        self.seconds = seconds
        self.iteration = iteration
        self.refused = refused
        self.actors = actors
    }

    /// Ids listed by name at most, per reason or state; the rest are counted.
    static let namesShown = 4

    public var description: String {
        let duration = seconds == seconds.rounded() || seconds >= 10 ? "\(Int(seconds))" : "\((seconds * 10).rounded() / 10)"
        var text = "no batch accepted for \(duration) s at iteration \(iteration)."
        let total = refused.values.reduce(0) { $0 + $1.values.reduce(0, +) }
        if total == 0 {
            text += " Nothing was refused in that time."
        } else {
            let reasons = refused.map { (reason: $0.key, bySender: $0.value, count: $0.value.values.reduce(0, +)) }
                .sorted { ($0.count, $1.reason) > ($1.count, $0.reason) }
                .map { "\($0.reason) \(Self.grouped($0.count)) (\(Self.senders($0.bySender)))" }
            let messages = total == 1 ? "1 message was" : "\(Self.grouped(total)) messages were"
            text += " In that time \(messages) refused: \(reasons.joined(separator: ", "))."
        }
        text += " Actors: " + actorStates() + "."
        text += " " + hint(refusedAny: total > 0)
        return text
    }

    /// "1 live (actor-0), 1 lost (actor-2, silent 14 s, lost in that time), 1 never joined (actor-3)".
    private func actorStates() -> String {
        // An actor heard from whose Hello was refused is live to the roster, but never joined.
        let order = ["live", "heard but never joined", "lost", "quarantined", "never joined"]
        let groups = Dictionary(grouping: actors) { actor in
            actor.state == "pending" ? "never joined" : actor.joins == 0 ? "heard but never joined" : actor.state
        }
        return groups.keys.sorted { (order.firstIndex(of: $0) ?? 9, $0) < (order.firstIndex(of: $1) ?? 9, $1) }
            .map { label in
                let members = groups[label]!
                var names = members.prefix(Self.namesShown).map { actor -> String in
                    var notes: [String] = []
                    if actor.state == "lost" || actor.state == "quarantined", let heard = actor.secondsSinceHeard {
                        notes.append("silent \(Int(heard.rounded())) s")
                    }
                    if actor.lossesInStall > 0 { notes.append("lost in that time") }
                    return notes.isEmpty ? actor.id : "\(actor.id), \(notes.joined(separator: ", "))"
                }
                if members.count > Self.namesShown { names.append("and \(members.count - Self.namesShown) more") }
                return "\(members.count) \(label) (\(names.joined(separator: "; ")))"
            }
            .joined(separator: ", ")
    }

    /// What to look at first.
    private func hint(refusedAny: Bool) -> String {
        let joined = actors.contains { $0.state != "pending" }
        switch (refusedAny, joined) {
        case (true, _):
            return "The actors are sending, but what they send is refused: see the reasons above "
                + "(docs/protocol.md lists them) and the actors' logs."
        case (false, false):
            return "No actor said Hello: are the actors running, with this run's config and keys, and do they "
                + "reach the learner's endpoints?"
        case (false, true):
            return "The actors that joined sent nothing the learner could take: are they running, or stuck?"
        }
    }

    /// "actor-0" or "actor-1 3, actor-0 1", the most first.
    private static func senders(_ bySender: [String: Int]) -> String {
        if bySender.count == 1 { return bySender.keys.first! }
        let sorted = bySender.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var names = sorted.prefix(namesShown).map { "\($0.key) \(grouped($0.value))" }
        if sorted.count > namesShown { names.append("and \(sorted.count - namesShown) more") }
        return names.joined(separator: ", ")
    }

    /// 1204 as "1,204".
    static func grouped(_ count: Int) -> String {
        let digits = Array(String(count.magnitude))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return count < 0 ? "-" + text : text
    }
}
