import ArgumentParser
import FleetCluster
import FleetTools
import FleetTransport
import Foundation

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write CURVE key pairs for the learner and the actors (and authorize actors).",
        discussion: """
            For each --name, writes NAME.key (the key pair, mode 0600: keep it secret, on the host that \
            runs NAME) and NAME.pub (the public key alone, mode 0644: for the peers) into the --out \
            directory (created owner-only if missing). It never replaces a file: when one exists, \
            nothing is written.

            --authorize FILE also adds a line 'NAME PUBLIC-KEY' per name to the allow-list FILE the \
            learner reads (curve.authorized_actors; created if missing), with --role operator \
            'NAME PUBLIC-KEY operator': a key for fleet status, admitted on the control channel only \
            and served status and nothing else (no batches, weights, snapshots or Hello). Taking a \
            line out revokes that key: the learner rereads the file within a second of a change (or \
            on SIGHUP), refuses the key from then on and drops the connections it had.

            The config names the files: the learner's curve.learner_secret_key_file (learner.key) and \
            curve.authorized_actors; the actors' curve.learner_public_key_file (learner.pub) and \
            curve.actor_secret_key_file ({actor_id} stands for the actor's id: keys/{actor_id}.key). \
            For cluster/multihost-cartpole-ppo.yaml:
              fleet keygen --out keys --name learner
              fleet keygen --out keys --name actor-0 --name actor-1 --authorize keys/authorized_actors
              fleet keygen --out keys --name operator --role operator --authorize keys/authorized_actors
            """)

    @Option(help: "The directory the key files go into.", completion: .directory) var out: String
    @Option(name: .customLong("name"), help: "A key pair's name, e.g. learner or actor-0 (repeatable).")
    var names: [String] = []
    @Option(help: ArgumentHelp("Add every NAME with its public key to this allow-list file.", valueName: "file"), completion: .file())
    var authorize: String?
    @Option(help: "What the --authorize'd keys may do: actor (the default) or operator (fleet status only).")
    var role: PeerRole = .actor

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("give at least one --name (learner, actor-0, ...)") }
        for name in names where !CurveKeyFile.isValidName(name) {
            throw ValidationError("--name \(name): use 1 to 64 letters, digits, '.', '_' or '-' (not first: '.', '-')")
        }
        guard Set(names).count == names.count else { throw ValidationError("a --name is given twice") }
        guard role == .actor || authorize != nil else {
            throw ValidationError("--role \(role.rawValue) goes with --authorize FILE (the role is written there)")
        }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: out, isDirectory: true)
        do {
            // Checked before anything is written: no key is half made.
            for name in names {
                for file in [CurveKeyFile.secretFileName(name), CurveKeyFile.publicFileName(name)] {
                    let path = directory.appendingPathComponent(file).path
                    if FileManager.default.fileExists(atPath: path) {
                        throw KeyFileError(path: path, "already exists; fleet keygen never replaces a key (remove it first)")
                    }
                }
            }
            if let authorize, FileManager.default.fileExists(atPath: authorize) {
                let listed = try ActorAllowList(path: authorize).entries
                if let name = names.first(where: { listed[$0] != nil }) {
                    throw KeyFileError(path: authorize, "already lists \(name); take its line out first")
                }
            }
            if !FileManager.default.fileExists(atPath: directory.path) {
                try FileManager.default.createDirectory(
                    at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            var made: [(id: String, publicKey: String)] = []
            for name in names {
                let keys = try CurveKeyPair.generate()
                let files = try CurveKeyFile.write(keys, name: name, into: directory)
                print("\(name): \(files.secret.path) (secret, mode 0600), \(files.public.path): \(keys.publicKey)")
                made.append((name, keys.publicKey))
            }
            if let authorize {
                try ActorAllowList.authorize(made, role: role, inFile: authorize)
                print("authorized \(names.joined(separator: ", ")) as \(role.rawValue) in \(authorize)")
            }
        } catch let error as KeyFileError {
            printError("fleet keygen: \(error)")
            throw ExitCode.failure
        }
    }
}

extension PeerRole: ExpressibleByArgument {}
