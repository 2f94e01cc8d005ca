import FleetTransport
import FleetWire
import Foundation

/// The weights socket's subscription side. It is an XPUB in manual mode: libzmq hands the learner
/// every subscription message (at most ``ChannelLimits/maxSubscriptionBytes``) instead of filing
/// it in a tree, and the learner subscribes the peer that sent it to everything, as Fleet's actors
/// ask. Anything else (a topic, a message that is no subscription) is what no actor sends: it is
/// refused as `bad_subscription` and every connection of the weights socket is dropped, which
/// frees what libzmq kept of that peer's subscriptions (the actors reconnect and subscribe again
/// at once; a version missed meanwhile comes as a snapshot).
extension LearnerLoop {
    /// Reads up to ``ChannelLimits/subscriptionReadsPerPass`` subscription messages.
    func serviceSubscriptions() throws {
        var reads = 0
        var dropConnections = false
        while reads < ChannelLimits.subscriptionReadsPerPass, let (frames, peer) = try sockets.receive(sockets.weights) {
            reads += 1
            if let refusal = authenticationRefusal(of: peer, on: sockets.weights) {
                refuse(refusal, of: "a weights subscription")
                continue
            }
            switch frames {
            case [[1]]: try sockets.weights.subscribe()
            case [[0]]: try sockets.weights.unsubscribe()
            default:
                let size = frames.reduce(0) { $0 + $1.count }
                let what =
                    frames.count == 1 && frames[0].first == 1
                    ? "a subscription to a \(size - 1)-byte topic" : "a \(frames.count)-part, \(size)-byte message"
                refuse(
                    BatchRejection(
                        .badSubscription, sender: peer?.id,
                        "\(what) on the weights socket (actors subscribe to everything): its connections are dropped"),
                    of: "a weights subscription")
                dropConnections = true
            }
        }
        if dropConnections { try sockets.dropWeightsConnections() }
    }
}
