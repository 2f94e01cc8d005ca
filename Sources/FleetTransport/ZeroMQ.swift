/// The libzmq library FleetTransport runs on.
public enum ZeroMQ {
    /// The version of the loaded libzmq, e.g. `(4, 3, 4)`.
    ///
    /// The corresponding C function is `zmq_version`.
    public static var version: (major: Int, minor: Int, patch: Int) {
        let v = _zmqVersion()
        return (Int(v.major), Int(v.minor), Int(v.patch))
    }

    /// Whether libzmq was built with CURVE security.
    ///
    /// The corresponding C function is `zmq_has`.
    public static var hasCurve: Bool { _zmqHas("curve") }
}
