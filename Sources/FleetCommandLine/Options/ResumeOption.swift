import ArgumentParser
import FleetCluster

/// `--resume`: continue the run in `--run-dir` from its newest valid checkpoint;
/// `--resume-if-present`: the same when there is a checkpoint, a new run otherwise.
struct ResumeOption: ParsableArguments {
    @Flag(
        help: """
            Continue the run in --run-dir (or the config's run_dir) from its newest valid checkpoint: \
            weights, optimizer, counters and every actor's last batch taken; metrics.jsonl and the \
            TensorBoard events are appended to, and the summary covers the whole run.
            """)
    var resume = false

    @Flag(
        help: """
            As --resume when the run directory holds a checkpoint; otherwise start the run there (an \
            existing directory without a checkpoint is reused). The one start command for a job that \
            a scheduler may restart or requeue.
            """)
    var resumeIfPresent = false

    /// What to do with the run directory `path` (nil: the config names none).
    func start(runDirectory path: String?) -> RunStart {
        if resume { return .resume }
        guard resumeIfPresent, let path else { return .new }
        return RunDirectory.holdsCheckpoint(path) ? .resume : .newReusingDirectory
    }
}

/// How a learner starts in its run directory.
enum RunStart {
    /// A new run in a new (or empty) directory.
    case new
    /// A new run in a directory an earlier start left without a checkpoint.
    case newReusingDirectory
    /// The earlier run continued from its newest valid checkpoint.
    case resume

    var resumes: Bool { self == .resume }
}
