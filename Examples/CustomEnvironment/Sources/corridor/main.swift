import FleetCluster
import FleetCommandLine

// Every command of this executable (train, launch, learner, actor, eval, ...) knows Corridor-v0;
// `launch` starts its learner and actors from this same executable.
EnvironmentFactory.register(Corridor.self) { Corridor() }
FleetCommand.main()
