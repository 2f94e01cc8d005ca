import ArgumentParser
import FleetCluster
import FleetTensor
import FleetTransport
import FleetWire
import Logging

/// `fleet`: the one executable of the cluster, as a library: an executable that registers its own
/// environments (``EnvironmentFactory/register(_:make:)``) and then calls ``main()`` has every
/// command, with its environments known to all of them (`fleet launch` starts its actors from the
/// same executable).
public struct FleetCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "A distributed rollout/learner cluster for reinforcement learning.",
        discussion: """
            Actors step environments or sample groups of responses from a small language-model \
            policy and ship protobuf batches over ZeroMQ to a learner, which runs PPO, GRPO or \
            DAPO and broadcasts new weights back.

            Shell completion: fleet --generate-completion-script bash|zsh|fish prints the script \
            for your shell, e.g. into ~/.local/share/bash-completion/completions/fleet (bash), \
            a directory of $fpath as _fleet (zsh) or ~/.config/fish/completions/fleet.fish (fish).
            """,
        subcommands: [
            Train.self, Launch.self, Learner.self, Actor.self, Replay.self, Inspect.self,
            Status.self, Eval.self, SFT.self, Model.self, Plot.self, Keygen.self, Bench.self, BenchPeer.self,
            ConfigReferenceCommand.self,
        ]
    )

    public init() {}

    /// Process-wide set-up, then the subcommand the arguments name.
    public static func main() {
        // First of all: OpenBLAS chose its kernels when it loaded; run again with better ones if
        // this CPU has them (the process is replaced, and this returns only to go on).
        BLASKernels.chooseBeforeStart()
        // Training loops free and reallocate a graph's worth of buffers every step: keep freed
        // memory in the process instead of faulting pages back in (see `Allocator`).
        Allocator.retainFreedMemory()
        // Every component logs through swift-log; the console shows `SOURCE: message` lines.
        LoggingSystem.bootstrap { FleetLogHandler(label: $0) }
        main(nil)
    }
}
