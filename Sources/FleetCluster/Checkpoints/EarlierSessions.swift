/// What a resumed run did before the learner now running (from its checkpoint), added to this
/// learner's own counts so that the status and the summary cover the whole run.
struct EarlierSessions {
    /// Wall-clock seconds up to the checkpoint.
    var wallSeconds = 0.0
    /// Actor starts heard, and those that were restarts (a start of an actor already heard in the
    /// same session; the actors of a resumed session are new starts, not restarts).
    var actorsStarted = 0
    var actorsRestarts = 0
}
