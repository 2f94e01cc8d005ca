/// The one message type on the wire (`fleet.v1.Frame`): an envelope and one payload.
///
/// Encode with `encoded()` or `encode(into:)`; decode (and validate) with
/// `Frame(decoding:limits:)`. A decoded frame has passed `validate()`.
public struct Frame: Sendable, Hashable {
    /// Who sent the frame and where it stands in the sender's stream.
    public var envelope: Envelope
    /// What the frame carries.
    public var payload: Payload

    /// Creates a frame without validating it; see `validate()`.
    public init(envelope: Envelope, payload: Payload) {
        self.envelope = envelope
        self.payload = payload
    }

    /// The payload's kind.
    public var kind: Payload.Kind { payload.kind }
}
