/// The exit statuses of `fleet`'s commands that a script or a scheduler acts on (docs/operations.md
/// lists them): whether to restart a process, resume a run, or give up.
public enum ExitStatus {
    /// The run did what its config asks (an actor: the learner said the run is over).
    public static let success: Int32 = 0
    /// Any other failure: a checkpoint that cannot be read, a port taken, an error.
    public static let failure: Int32 = 1
    /// The learner's run ended short of its config: it stalled (no batch for `stall_timeout`), or,
    /// without `allow_partial`, some updates trained on partial batches. `summary.json` says what was lost.
    public static let runShort: Int32 = 3
    /// An actor's learner said nothing for `learner_timeout`: it is gone, or it does not admit the
    /// actor. Starting the actor again later may find a restarted learner.
    public static let learnerGone: Int32 = 4
    /// The learner refused the actor: not an actor of its run, or not of its shape. Starting it
    /// again does not help.
    public static let refused: Int32 = 5
    /// A bad config or command line.
    public static let usage: Int32 = 64
    /// Stopped by SIGINT or SIGTERM (a learner writes its summary and a final checkpoint first).
    public static let interrupted: Int32 = 130
}
