/// Fleet's runtime: the learner loop and the actor loop, the channels between them and their
/// security, checkpoints and the run directory, metrics, and in-process training (`fleet train`),
/// over `inproc://`, `ipc://` or `tcp://` endpoints.
///
/// Its folders, each using only folders listed after it (`scripts/module-graph.py` prints the
/// graph): `InProcess`, `Learner` (the loop, its intake, control protocol, counters and the
/// algorithms' learner side), `Actor`, `Capture`, `Checkpoints`, `Codec` (rollouts and groups to and
/// from the wire), `Rejection`, `Channels`, `Security`, `Environments`, `Metrics`, `Run`,
/// `Weights`, `Logging`, `Support`.
public enum FleetCluster {}
