import FleetTransport
import FleetWire
import Foundation
import Logging

/// The control channel's socket side: messages read (``ChannelLimits/controlReadsPerPass`` per
/// call), their senders and roles checked (``ControlAdmission``), handed to the
/// ``ControlProtocol``, and its replies sent; Shutdown to every actor at the end. Every message
/// refused is counted by reason.
extension LearnerLoop {
    func serviceControl() throws {
        var reads = 0
        while reads < ChannelLimits.controlReadsPerPass, let (message, peer) = try sockets.receive(sockets.control) {
            reads += 1
            if let refusal = authenticationRefusal(of: peer, on: sockets.control) {
                refuse(refusal, of: "a control message")
                continue
            }
            guard message.count == 2 else {
                refuse(
                    BatchRejection(
                        .init(.malformed), sender: peer?.id,
                        "\(message.count - 1) parts after the routing id, expected one frame"),
                    of: "a control message", route: message.first)
                continue
            }
            let routingID = message[0]
            let frame: Frame
            do {
                frame = try Frame(decoding: message[1])
            } catch {
                refuse(
                    BatchRejection(.init(error.reason), sender: peer?.id ?? error.senderID, error.description),
                    of: "a control message", route: routingID)
                continue
            }
            let sender = frame.envelope.senderID
            if let peer, sender != peer.id {
                refuse(
                    BatchRejection(
                        BatchRejection.Reason.senderMismatch, sender: peer.id,
                        "a \(frame.kind.rawValue) as \(sender) on \(peer.id)'s connection",
                        sequence: frame.envelope.sequence),
                    of: "a control message", route: routingID)
                continue
            }
            if let refusal = admission.roleRefusal(of: frame, from: peer) {
                refuse(refusal, of: "a control message", route: routingID)
                continue
            }
            let now = ContinuousClock.now
            let (reply, events) = control.handle(
                frame, from: sender, route: routingID, at: now, roster: &roster, weightSync: &weightSync,
                version: version, queued: queue.count(from: sender))
            for event in events {
                switch event {
                case .joined(let host, let pid, let incarnation):
                    logJoin(of: sender, host: host, pid: pid, incarnation: incarnation)
                case .back: logReturn(of: sender)
                case .refused(let rejection):
                    if case .hello = frame.payload {
                        counters.rejections.count(rejection, of: "a Hello")  // answered with Shutdown
                    } else {
                        refuse(rejection, of: "a control message", route: routingID)
                    }
                }
            }
            switch frame.payload {
            case .hello where reply == .welcome: credits?.welcomed(sender)
            case .heartbeat where credits != nil && roster.announced(sender) == nil:
                // A group actor that said Hello to the learner before this one (a resumed run's)
                // waits for credit this learner never granted: it is asked to say Hello again.
                promptHello(BatchRejection(.wrongIncarnation, sender: sender, "no Hello heard from it by this learner"))
            case .heartbeat: credits?.heartbeat(from: sender)
            default: break
            }
            switch reply {
            case .none: break
            case .welcome:
                let welcome = control.expected.welcome(
                    version: version, incarnation: options.incarnation, maxPolicyLag: config.maxPolicyLag)
                send(.welcome(welcome), to: routingID)
            case .weights: try? sockets.control.send(multipart: [routingID, weightsFrame], flags: .dontWait)
            case .status:
                if let refusal = admission.admitStatus(from: peer, sender: sender, route: routingID, at: now) {
                    refuse(refusal, of: "a status request", route: routingID)
                } else if let reply = admission.statusFrame(
                    at: now, make: { (try? status(at: now).json()).map { self.frame(.status(Status(json: $0))) } })
                {
                    try? sockets.control.send(multipart: [routingID, reply], flags: .dontWait)
                }
            case .shutdown(let reason): send(.shutdown(Shutdown(reason: reason)), to: routingID)
            }
        }
    }

    /// Sends the snapshots owed to actors that asked twice within ``ChannelLimits/snapshotInterval``.
    func sendOwedSnapshots() {
        for route in control.takeOwedSnapshots(at: .now) {
            try? sockets.control.send(multipart: [route, weightsFrame], flags: .dontWait)
        }
    }

    /// Counts `rejection` of `what`, and tells its sender (a `Refusal` on the control channel, at
    /// `route` or where it said Hello) the first time and at the 10th, 100th, ... of its kind.
    func refuse(_ rejection: BatchRejection, of what: String = "a batch", route: [UInt8]? = nil) {
        guard let count = counters.rejections.count(rejection, of: what),
            let route = route ?? rejection.sender.flatMap({ control.routes[$0] })
        else { return }
        sendRefusal(rejection, count: count, to: route)
    }

    /// Tells the peer at `route` of `rejection`, the `count`-th of its kind.
    func sendRefusal(_ rejection: BatchRejection, count: Int, to route: [UInt8]) {
        send(
            .refusal(
                Refusal(
                    reason: rejection.reason.rawValue, detail: rejection.detail, sequence: rejection.sequence ?? 0,
                    count: UInt64(count))),
            to: route)
    }

    /// Says that `sender`, lost, has been heard again.
    func logReturn(of sender: String) { log.info("\(sender) is back") }

    /// Sends `payload` to the actor at `routingID`, without waiting.
    func send(_ payload: Payload, to routingID: [UInt8]) {
        try? sockets.control.send(multipart: [routingID, frame(payload)], flags: .dontWait)
    }

    /// Tells every actor that said Hello to shut down.
    func shutDownActors(reason: String) {
        for id in roster.ids {
            if let routingID = control.routes[id] { send(.shutdown(Shutdown(reason: reason)), to: routingID) }
        }
    }
}
