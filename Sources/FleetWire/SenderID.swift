extension Envelope {
    /// The longest sender id, in bytes.
    public static let maxSenderIDBytes = 64

    /// Why `bytes`, the exact bytes of an envelope's `sender_id`, are not a sender id, or nil when
    /// they are: at most ``maxSenderIDBytes`` bytes, each printable ASCII other than the space
    /// (`!` through `~`, as in `actor-3`, `learner`, `fleet-status`). An empty id is allowed (the
    /// learner refuses it as an unknown sender). Ids are compared as these bytes, so `actor-0\0x`
    /// is not `actor-0`: it is refused here.
    public static func senderIDProblem(_ bytes: some Collection<UInt8>) -> String? {
        guard bytes.count <= maxSenderIDBytes else {
            return "\(bytes.count) bytes, at most \(maxSenderIDBytes)"
        }
        if let index = bytes.firstIndex(where: { !(0x21...0x7E).contains($0) }) {
            let position = bytes.distance(from: bytes.startIndex, to: index)
            let byte = bytes[index]
            return "byte \(position) is 0x\(String(byte, radix: 16, uppercase: true)), "
                + "only printable ASCII without spaces (! to ~) is allowed"
        }
        return nil
    }
}

extension Hello {
    /// The longest host name a Hello may carry, in bytes (UTF-8).
    public static let maxHostBytes = 255
}
