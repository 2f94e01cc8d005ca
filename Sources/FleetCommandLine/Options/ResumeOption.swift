import ArgumentParser

/// `--resume`: continue the run in `--run-dir` from its newest valid checkpoint.
struct ResumeOption: ParsableArguments {
    @Flag(
        help: """
            Continue the run in --run-dir (or the config's run_dir) from its newest valid checkpoint: \
            weights, optimizer, counters and every actor's last batch taken; metrics.jsonl and the \
            TensorBoard events are appended to, and the summary covers the whole run.
            """)
    var resume = false
}
