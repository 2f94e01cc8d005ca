import ArgumentParser
import FleetCluster
import FleetTools
import FleetTransport
import FleetWire
import Foundation

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a live learner's counters as JSON.",
        discussion: """
            ENDPOINT is the learner's control endpoint (endpoints.control): tcp://HOST:PORT, or \
            ipc://PATH (an ipc:// directory, as fleet launch prints it, means its control socket). \
            The answer lists the actors (state, incarnation, weights version, batches, rejections, \
            last heard), the policy-lag histogram, the batch queue (batches, bytes, budget), \
            rejections by reason and by sender, and weight-broadcast latency.

            A learner with CURVE on tcp answers only keys on its allow-list: pass --key (a key pair \
            of fleet keygen, listed under its file name: fleet keygen --out keys --name operator \
            --authorize keys/authorized_actors) and --learner-key (the learner's learner.pub).
            """)

    @Argument(help: "The learner's control endpoint.") var endpoint: String
    @Option(help: "Seconds to wait for the answer.") var timeout: Double = 5
    @Flag(help: "One line of JSON instead of indented JSON.") var compact = false
    @Option(help: ArgumentHelp("Connect with CURVE with this key pair (NAME.key; NAME must be on the allow-list).", valueName: "file"),
        completion: .file(extensions: ["key"]))
    var key: String?
    @Option(
        help: ArgumentHelp("The learner's public key (learner.pub), with --key.", valueName: "file"),
        completion: .file(extensions: ["pub"]))
    var learnerKey: String?

    func validate() throws {
        guard (key == nil) == (learnerKey == nil) else { throw ValidationError("--key and --learner-key go together") }
    }

    func run() throws {
        let target = Self.controlEndpoint(endpoint)
        guard target.hasPrefix("tcp://") || target.hasPrefix("ipc://") else {
            printError("fleet status: \(endpoint): expected tcp://HOST:PORT or ipc://PATH")
            throw ExitCode.validationFailure
        }
        guard timeout > 0, timeout < 86_400 else {
            printError("fleet status: --timeout must be between 0 and 86400 seconds")
            throw ExitCode.validationFailure
        }
        let context = try Context()
        defer { context.shutdown() }
        let socket = try Socket(context, .dealer, linger: .zero)
        var sender = "status-\(getpid())"
        if let key, let learnerKey {
            do {
                let keys = try CurveKeyFile.readKeyPair(at: key)
                try socket.makeCurveClient(serverPublicKey: try CurveKeyFile.readPublicKey(at: learnerKey), keys: keys)
            } catch let error as KeyFileError {
                printError("fleet status: \(error)")
                throw ExitCode.validationFailure
            }
            // The learner takes a message only from the name its key is listed under.
            sender = URL(fileURLWithPath: key).deletingPathExtension().lastPathComponent
        }
        try socket.connect(target)
        let request = Frame(
            envelope: Envelope(senderID: sender, incarnation: 1, sequence: 0),
            payload: .statusRequest(StatusRequest()))
        try socket.send(request.encoded())
        var poller = Poller()
        let index = poller.add(socket)
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let ready = try poller.poll(timeout: min(.milliseconds(200), deadline - .now))
            guard ready[index].contains(.readable) else { continue }
            let bytes = try socket.receive()
            guard let frame = try? Frame(decoding: bytes), case .status(let status) = frame.payload else { continue }
            let document = try LearnerStatus(json: status.json)
            print(try document.json(pretty: !compact))
            return
        }
        let hint = target.hasPrefix("tcp://") && key == nil ? " (with CURVE, it answers only listed keys: --key, --learner-key)" : ""
        printError("fleet status: no answer from \(target) within \(timeout) s; is a learner running there?\(hint)")
        throw ExitCode.failure
    }

    /// `endpoint`, with an ipc:// directory replaced by its control socket.
    static func controlEndpoint(_ endpoint: String) -> String {
        guard endpoint.hasPrefix("ipc://") else { return endpoint }
        var isDirectory: ObjCBool = false
        let path = String(endpoint.dropFirst("ipc://".count))
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return endpoint
        }
        return "ipc://" + URL(fileURLWithPath: path).appendingPathComponent("control").path
    }
}
