@testable import FleetCluster
import FleetClusterTesting
import FleetTestSupport
import FleetConfig
import FleetTransport
import Foundation
import XCTest

/// The files the learner trusts besides its secret key: an allow-list others may write, or a key
/// directory others may write, is refused at start with the file and the chmod that fixes it (a
/// sticky directory is warned of; `insecure: true` turns the refusals into warnings), and an
/// allow-list made writable by others while the learner runs is not reloaded.
final class KeyFilePermissionTests: XCTestCase {
    func testAnAllowListOthersMayWriteIsRefusedNamingTheFileAndTheFix() throws {
        let keys = try TestKeys.make(["actor-0"], test: self)
        XCTAssertEqual(chmod(keys.allowList.path, 0o666), 0)
        XCTAssertThrowsError(try tcpTestConfig(keys).learnerSecurity()) {
            let error = $0 as? ConfigError
            XCTAssertEqual(error?.kind, .insecure)
            XCTAssertTrue(
                "\($0)".contains("\(keys.allowList.path): curve.authorized_actors: is mode 666: others may write this allow-list")
                    && "\($0)".contains("chmod go-w \(keys.allowList.path)"), "\($0)")
        }
        let warned = try tcpTestConfig(keys, ["insecure=true"]).learnerSecurity()
        XCTAssertTrue(warned.warnings.contains { $0.contains("others may write it") }, "\(warned.warnings)")
        print("KeyFilePermissionTests: allow-list mode 666 refused: chmod go-w named")
    }

    func testAKeyDirectoryOthersMayWriteIsRefusedAndAStickyOneWarnedOf() throws {
        let keys = try TestKeys.make(["actor-0"], test: self)
        XCTAssertEqual(chmod(keys.directory.path, 0o777), 0)
        XCTAssertThrowsError(try tcpTestConfig(keys).learnerSecurity()) {
            XCTAssertEqual(($0 as? ConfigError)?.kind, .insecure)
            XCTAssertTrue("\($0)".contains("mode 777") && "\($0)".contains("chmod go-w \(keys.directory.path)"), "\($0)")
        }
        XCTAssertEqual(chmod(keys.directory.path, 0o1777), 0)
        let sticky = try tcpTestConfig(keys).learnerSecurity()
        XCTAssertTrue(sticky.warnings.contains { $0.contains("sticky bit") }, "\(sticky.warnings)")
        XCTAssertEqual(chmod(keys.directory.path, 0o700), 0)
        XCTAssertTrue(try tcpTestConfig(keys).learnerSecurity().warnings.isEmpty)
    }

    func testAnAllowListMadeWritableByOthersIsNotReloaded() throws {
        let keys = try TestKeys.make(["actor-0", "actor-1"], test: self)
        let list = try ActorAllowList(path: keys.allowList.path)
        try keys.list(["actor-0"])
        XCTAssertEqual(chmod(keys.allowList.path, 0o646), 0)
        list.requestReload()
        list.reloadIfDue()
        guard case .unusable(let error) = list.takeEvents().first else { return XCTFail("not reported") }
        XCTAssertTrue(error.message.contains("chmod go-w"), error.message)
        XCTAssertEqual(list.entries.keys.sorted(), ["actor-0", "actor-1"], "the last good list stays")
    }
}
