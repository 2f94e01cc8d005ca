import FleetTransport

extension Socket {
    /// Turns on ZMTP heartbeats with ``ChannelLimits``' interval and timeout: a peer that stops
    /// answering (host down, cable cut) is dropped instead of holding a queue forever.
    ///
    /// Only on the control channel. libzmq 4.3.4 aborts (`Assertion failed: !_io_error`,
    /// stream_engine_base.cpp:331; zeromq/libzmq#4364, #4767) when a heartbeat times out on a
    /// connection whose receiver stopped reading because its queue was full, which is exactly what
    /// the batch and weights channels do on purpose (a learner applying backpressure, an actor busy
    /// sampling). Fleet's own heartbeats on the control channel tell the learner who is alive.
    package func enableConnectionHeartbeats() throws(ZMQError) {
        try set(.heartbeatInterval, to: ChannelLimits.connectionHeartbeat)
        try set(.heartbeatTimeout, to: ChannelLimits.connectionTimeout)
    }
}
