@testable import FleetCluster
import FleetTransport
import FleetWire

/// Says Hello to `training`'s learner as `id`, incarnation `incarnation` (without CURVE anyone may),
/// and has the learner hear it before its run starts: batches of that incarnation are then judged
/// by their content. Returns the control connection (keep it for the run).
@discardableResult
func announce(_ id: String, incarnation: UInt64, to training: InProcessTraining, context: Context) throws -> Socket {
    let control = try Socket(context, .dealer, linger: .zero)
    try control.connect(training.config.endpoints.control)
    try control.send(
        Frame(
            envelope: Envelope(senderID: id, incarnation: incarnation, sequence: 0),
            payload: .hello(Hello(specHash: [], numEnvs: 0, host: "test", pid: 1))
        ).encoded())
    try training.learner.serviceControl()
    return control
}
