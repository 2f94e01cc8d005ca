import FleetAlgorithms
import FleetEnvironments
import FleetTransport

/// The learner, the actors, the launcher/supervisor, checkpoints, capture/replay and metrics:
/// the loops that the `fleet` command runs over `inproc://`, `ipc://` or `tcp://` endpoints.
///
/// The loops arrive with the PPO and cluster issues.
public enum FleetCluster {}
