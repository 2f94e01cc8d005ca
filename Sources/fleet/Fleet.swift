import ArgumentParser
import FleetTensor

/// `fleet`: the one executable of the cluster.
@main
struct Fleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "A distributed rollout/learner cluster for reinforcement learning.",
        discussion: """
            Actors step environments or sample groups of responses from a small language-model \
            policy and ship protobuf batches over ZeroMQ to a learner, which runs PPO, GRPO or \
            DAPO and broadcasts new weights back.
            """,
        subcommands: [
            Train.self, Launch.self, Learner.self, Actor.self, Replay.self, Inspect.self,
            Status.self, Eval.self, SFT.self, Plot.self, Keygen.self, Bench.self, BenchPeer.self,
        ]
    )

    /// Process-wide set-up, then the subcommand.
    static func main() {
        // Training loops free and reallocate a graph's worth of buffers every step: keep freed
        // memory in the process instead of faulting pages back in (see `Allocator`).
        Allocator.retainFreedMemory()
        main(nil)
    }
}
