import ArgumentParser

/// `--capture`: the learner captures the batches it trains on (config `capture`).
struct CaptureOption: ParsableArguments {
    @Flag(help: "Capture every batch the learner trains on into the run's captures/ (for fleet replay and fleet inspect).")
    var capture = false

    /// The override it stands for, if given.
    var overrides: [String] { capture ? ["capture=true"] : [] }
}

extension RunOptions {
    /// These options with `capture`'s override added.
    func with(_ capture: CaptureOption) -> RunOptions {
        var options = self
        options.overrides += capture.overrides
        return options
    }
}
