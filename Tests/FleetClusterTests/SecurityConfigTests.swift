@testable import FleetCluster
import FleetTransport
import Foundation
import Logging
import XCTest
import FleetTestSupport
import FleetClusterTesting
import FleetConfig

/// What each role must set for tcp endpoints, what `insecure: true` allows (and says), and the
/// owner-only rule for the learner's ipc sockets.
final class SecurityConfigTests: XCTestCase {
    private func configError(_ body: () throws -> Void) -> ConfigError? {
        do {
            try body()
            XCTFail("accepted")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("unexpected \(error)")
            return nil
        }
    }

    func testATCPEndpointWithoutKeysIsRefusedNamingTheKeysToSet() throws {
        let config = try tcpTestConfig(nil)
        let learner = try XCTUnwrap(configError { _ = try config.learnerSecurity() })
        XCTAssertEqual(learner.kind, .insecure)
        XCTAssertEqual(learner.key, "curve.learner_secret_key_file")
        XCTAssertTrue(learner.description.hasPrefix("endpoints.batches=tcp://127.0.0.1:*: a tcp endpoint needs CURVE keys"), learner.description)
        for text in ["curve.learner_secret_key_file", "curve.authorized_actors", "insecure: true", "fleet keygen"] {
            XCTAssertTrue(learner.description.contains(text), "\(text) in \(learner.description)")
        }
        let actor = try XCTUnwrap(configError { _ = try config.actorSecurity(actorID: "actor-0") })
        XCTAssertEqual(actor.kind, .insecure)
        for text in ["curve.learner_public_key_file", "curve.actor_secret_key_file", "insecure: true"] {
            XCTAssertTrue(actor.description.contains(text), "\(text) in \(actor.description)")
        }
        // The learner and an actor refuse to start, as the commands do.
        XCTAssertNotNil(configError { _ = try LearnerLoop(config: config, context: try Context()) })
        XCTAssertNotNil(configError { _ = try ActorLoop(index: 0, config: config, context: try Context()) })
        // Only tcp needs keys.
        XCTAssertNil(try loopTestConfig().learnerSecurity().curve)
        XCTAssertEqual(try loopTestConfig().learnerSecurity().warnings, [])
    }

    func testHalfTheKeysNamesTheOtherHalfAndInsecureDoesNotExcuseIt() throws {
        let keys = try TestKeys.make(["actor-0"], test: self)
        let learnerOnly = try tcpTestConfig(nil, ["insecure=true", keys.overrides[0]])
        let error = try XCTUnwrap(configError { _ = try learnerOnly.learnerSecurity() })
        XCTAssertEqual(error.key, "curve.authorized_actors")
        XCTAssertFalse(error.description.contains("curve.learner_secret_key_file"), error.description)
        let actorOnly = try tcpTestConfig(nil, [keys.overrides[2]])
        XCTAssertEqual(try XCTUnwrap(configError { _ = try actorOnly.actorSecurity(actorID: "actor-0") }).key, "curve.learner_public_key_file")
    }

    func testInsecureTCPIsAcceptedWithAWarningAtEveryStart() throws {
        let config = try tcpTestConfig(nil, ["insecure=true"])
        let security = try config.learnerSecurity()
        XCTAssertNil(security.curve)
        XCTAssertEqual(security.warnings.count, 1)
        XCTAssertTrue(security.warnings[0].contains("without CURVE"), security.warnings[0])
        XCTAssertEqual(try config.actorSecurity(actorID: "actor-0").warnings.count, 1)

        let context = try Context()
        let log = LogLines()
        let learner = try LearnerLoop(config: config, context: context, options: .init(log: log.logger))
        var actorConfig = config
        actorConfig.endpoints = learner.boundEndpoints
        _ = try ActorLoop(index: 0, config: actorConfig, context: context, log: log.logger)
        withExtendedLifetime(learner) {}
        XCTAssertTrue(log.lines.contains { $0.hasPrefix("learner: warning: insecure: true: the tcp endpoints run without CURVE") }, "\(log.lines)")
        XCTAssertTrue(log.lines.contains { $0.hasPrefix("actor-0: warning: insecure: true:") }, "\(log.lines)")
    }

    func testKeysAreReadWithTheActorsIDInTheirFileName() throws {
        let keys = try TestKeys.make(["actor-0", "actor-1"], test: self)
        let config = try tcpTestConfig(keys)
        XCTAssertEqual(config.security.actorSecretKeyFile(for: "actor-1"), keys.directory.path + "/actor-1.key")
        let actor = try XCTUnwrap(try config.actorSecurity(actorID: "actor-1").curve)
        XCTAssertEqual(actor, ActorCurve(keys: keys.peers["actor-1"]!, learnerPublicKey: keys.learner.publicKey))
        let learner = try XCTUnwrap(try config.learnerSecurity().curve)
        XCTAssertEqual(learner.keys, keys.learner)
        XCTAssertEqual(learner.allowList.entries, ["actor-0": keys.peers["actor-0"]!.publicKey, "actor-1": keys.peers["actor-1"]!.publicKey])
        // An actor without a key file of its own is told which file is missing.
        let missing = try XCTUnwrap(configError { _ = try config.actorSecurity(actorID: "actor-7") })
        XCTAssertEqual(missing.kind, .unreadableFile)
        XCTAssertTrue(missing.description.contains("actor-7.key"), missing.description)
        XCTAssertTrue(missing.description.contains("does not exist"), missing.description)
    }

    func testASecretKeyFileOthersMayReadIsRefusedUnlessInsecure() throws {
        let keys = try TestKeys.make(["actor-0"], test: self)
        let learnerKey = keys.directory.appendingPathComponent("learner.key").path
        XCTAssertEqual(chmod(learnerKey, 0o644), 0)
        let error = try XCTUnwrap(configError { _ = try tcpTestConfig(keys).learnerSecurity() })
        XCTAssertEqual(error.kind, .insecure)
        XCTAssertTrue(error.description.contains("mode 644"), error.description)
        XCTAssertTrue(error.description.contains("chmod 600 \(learnerKey)"), error.description)
        let lenient = try tcpTestConfig(keys, ["insecure=true"]).learnerSecurity()
        XCTAssertNotNil(lenient.curve)
        XCTAssertEqual(lenient.warnings, ["insecure: true: curve.learner_secret_key_file \(learnerKey) is mode 644: others may read the secret key"])
    }

    func testAMalformedAllowListIsAConfigErrorWithItsLine() throws {
        let keys = try TestKeys.make(["actor-0"], test: self)
        try Data("# ok\nactor-0 \(keys.peers["actor-0"]!.publicKey)\nactor-1 not-a-key\n".utf8).write(to: keys.allowList)
        let error = try XCTUnwrap(configError { _ = try tcpTestConfig(keys).learnerSecurity() })
        XCTAssertEqual(error.kind, .unreadableFile)
        XCTAssertEqual(error.line, 3)
        XCTAssertEqual(error.key, "curve.authorized_actors")
        XCTAssertTrue(error.description.hasPrefix(keys.allowList.path + ":3: "), error.description)
        XCTAssertTrue(error.description.contains("actor-1's key is not a CURVE public key"), error.description)
    }

    // MARK: - ipc

    private func ipcConfig(_ directory: URL, _ overrides: [String] = []) throws -> RunConfig {
        try loopTestConfig(
            ["batches", "weights", "control"].map { "endpoints.\($0)=ipc://\(directory.path)/\($0)" } + overrides)
    }

    func testTheLearnersIPCSocketsMustBeInAnOwnerOnlyDirectory() throws {
        let root = try makeTemporaryDirectory(self)
        let open = root.appendingPathComponent("open"), closed = root.appendingPathComponent("closed")
        try FileManager.default.createDirectory(at: open, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])

        let error = try XCTUnwrap(configError { _ = try ipcConfig(open).learnerSecurity() })
        XCTAssertEqual(error.kind, .insecure)
        XCTAssertEqual(error.key, "endpoints.batches")
        XCTAssertTrue(error.description.contains("\(open.path) is mode 755, not owner-only"), error.description)
        XCTAssertTrue(error.description.contains("insecure: true"), error.description)
        XCTAssertNotNil(configError { _ = try LearnerLoop(config: try ipcConfig(open), context: try Context()) })

        XCTAssertEqual(try ipcConfig(closed).learnerSecurity().warnings, [])
        let lenient = try ipcConfig(open, ["insecure=true"]).learnerSecurity()
        XCTAssertEqual(lenient.warnings.count, 3, "one per socket")
        XCTAssertTrue(lenient.warnings[0].contains("other users may connect"), lenient.warnings[0])
        // An abstract socket has no permissions at all; a learner in an owner-only directory starts.
        XCTAssertNotNil(configError { _ = try loopTestConfig(["endpoints.batches=ipc://@fleet-abstract"]).learnerSecurity() })
        let context = try Context()
        _ = try LearnerLoop(config: try ipcConfig(closed), context: context)
    }
}
