import FleetTransport
import FleetWire
import Foundation
import Logging

/// The control channel: Hello and Welcome, heartbeats, weight snapshots, status requests, and
/// Shutdown at the end.
extension LearnerLoop {
    func serviceControl() throws {
        while let (message, peer) = try sockets.receive(sockets.control) {
            guard message.count == 2 else { continue }
            if let refusal = authenticationRefusal(of: peer, on: sockets.control) {
                counters.rejections.count(refusal, of: "a control message")
                continue
            }
            let routingID = message[0]
            guard let frame = try? Frame(decoding: message[1]) else { continue }
            let sender = frame.envelope.senderID
            if let peer, sender != peer.id {
                counters.rejections.count(
                    BatchRejection(
                        BatchRejection.Reason.senderMismatch, sender: peer.id,
                        "a \(frame.kind.rawValue) as \(sender) on \(peer.id)'s connection"),
                    of: "a control message")
                continue
            }
            let now = ContinuousClock.now
            switch frame.payload {
            case .hello(let hello):
                let joinsBefore = roster.records[sender]?.joins
                guard
                    roster.hello(
                        sender, incarnation: frame.envelope.incarnation, host: hello.host, pid: hello.pid, at: now)
                else {
                    reply(to: routingID, .shutdown(Shutdown(reason: "\(sender) is not an actor of this run")))
                    continue
                }
                if roster.records[sender]?.joins != joinsBefore {
                    log.info("\(sender) joined from \(hello.host) (pid \(hello.pid), incarnation \(frame.envelope.incarnation))")
                }
                routingIDs[sender] = routingID
                reply(to: routingID, .welcome(Welcome(weightsVersion: version, learnerIncarnation: options.incarnation)))
            case .heartbeat(let heartbeat):
                // An actor that said Hello to a learner before this one (a resumed run's) is told Shutdown too.
                if roster.records[sender] != nil { routingIDs[sender] = routingID }
                if roster.heartbeat(sender, weightsVersion: heartbeat.weightsVersion, at: now) { logReturn(of: sender) }
                weightSync.acknowledged(by: sender, version: heartbeat.weightsVersion, at: now)
            case .snapshotRequest(let request):
                if roster.heard(sender, at: now) { logReturn(of: sender) }
                // An actor that asks at the current version after a long wait takes a reply at it to
                // mean its batches were lost. While some of them wait here (the update waits for
                // another actor), say nothing: it asks again, and the update's weights come.
                if version > 0, request.haveVersion == version, queue.count(from: sender) > 0 { continue }
                try? sockets.control.send(multipart: [routingID, weightsFrame], flags: .dontWait)
            case .stats:
                if roster.heard(sender, at: now) { logReturn(of: sender) }
            case .statusRequest:
                if let json = try? status(at: now).json() { reply(to: routingID, .status(Status(json: json))) }
            default:
                log.info("ignored a \(frame.kind.rawValue) message on the control channel")
            }
        }
    }

    /// Says that `sender`, lost, has been heard again.
    func logReturn(of sender: String) { log.info("\(sender) is back") }

    func reply(to routingID: [UInt8], _ payload: Payload) {
        try? sockets.control.send(multipart: [routingID, frame(payload)], flags: .dontWait)
    }

    func shutDownActors(reason: String) {
        for id in roster.ids {
            if let routingID = routingIDs[id] { reply(to: routingID, .shutdown(Shutdown(reason: reason))) }
        }
    }
}
