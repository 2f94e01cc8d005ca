/// What a resumed run did before the learner now running (from its checkpoint), added to this
/// learner's own counts so that the status and the summary cover the whole run.
package struct EarlierSessions {
    /// Wall-clock seconds up to the checkpoint.
    package var wallSeconds = 0.0
    /// Actor starts heard, and those that were restarts (a start of an actor already heard in the
    /// same session; the actors of a resumed session are new starts, not restarts).
    package var actorsStarted = 0
    package var actorsRestarts = 0
    /// Times an actor was declared lost.
    package var actorsLost = 0
}
