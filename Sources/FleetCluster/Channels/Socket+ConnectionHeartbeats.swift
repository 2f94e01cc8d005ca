import FleetTransport

extension Socket {
    /// Turns on ZMTP heartbeats with ``ChannelLimits``' interval and timeout: a peer that stops
    /// answering (host down, cable cut) is dropped instead of holding a queue forever.
    func enableConnectionHeartbeats() throws(ZMQError) {
        try set(.heartbeatInterval, to: ChannelLimits.connectionHeartbeat)
        try set(.heartbeatTimeout, to: ChannelLimits.connectionTimeout)
    }
}
