import Foundation
import XCTest

@testable import FleetCluster
import FleetTestSupport
import FleetConfig

/// The checkpoint folder: what a write leaves, how many are kept, and how loading passes over a
/// torn or damaged newest checkpoint to the previous one, saying why.
final class CheckpointStoreTests: XCTestCase {
    private func makeStore(keep: Int = 2) throws -> CheckpointStore {
        CheckpointStore(directory: try makeTemporaryDirectory(self).appendingPathComponent("checkpoints"), keep: keep)
    }

    private func files(_ version: UInt64) -> [(name: String, data: Data)] {
        [("a.bin", Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* Int(version + 1)) })), ("b.json", Data("{\"v\": \(version)}".utf8))]
    }

    @discardableResult
    private func write(_ store: CheckpointStore, _ version: UInt64, resumeVersion: UInt64? = nil) throws -> URL {
        try store.write(files(version), version: version, updates: Int(version), resumeVersion: resumeVersion ?? version)
    }

    /// Loads the newest valid checkpoint, as its version and the reasons for those passed over.
    private func load(_ store: CheckpointStore) throws -> (version: UInt64, skipped: [String], loaded: CheckpointStore.Loaded) {
        let (_, loaded) = try store.loadNewest { $0 }
        return (loaded.manifest.version, loaded.skipped.map(\.description), loaded)
    }

    func testAWriteLeavesItsFilesAndAManifestOfTheirSizesAndHashes() throws {
        let store = try makeStore()
        let url = try write(store, 7, resumeVersion: 9)
        XCTAssertEqual(url.lastPathComponent, "version-000007")
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: url.path)), ["a.bin", "b.json", "manifest.json"],
            "no temporary file is left behind")
        let (version, skipped, loaded) = try load(store)
        XCTAssertEqual(version, 7)
        XCTAssertEqual(skipped, [])
        XCTAssertEqual(loaded.manifest.resumeVersion, 9)
        XCTAssertEqual(loaded.manifest.files.map(\.name), ["a.bin", "b.json"])
        XCTAssertEqual(loaded.manifest.files.map(\.bytes), [1000, 8])
        XCTAssertEqual(loaded.files["a.bin"], files(7)[0].data)
        XCTAssertEqual(loaded.manifest.files[0].sha256.count, 64)
    }

    func testOnlyTheNewestKeepCheckpointsAreKept() throws {
        for keep in [2, 3] {
            let store = try makeStore(keep: keep)
            for version in 1...6 { try write(store, UInt64(version)) }
            XCTAssertEqual(store.checkpoints().map(\.version), (7 - keep...6).reversed().map(UInt64.init))
        }
    }

    func testATornNewestCheckpointFallsBackToThePreviousOne() throws {
        let store = try makeStore()
        try write(store, 1)
        let newest = try write(store, 2)
        try FileManager.default.removeItem(at: newest.appendingPathComponent("manifest.json"))
        let (version, skipped, _) = try load(store)
        XCTAssertEqual(version, 1)
        XCTAssertEqual(skipped, ["version-000002: no manifest.json (a write that did not finish)"])
    }

    func testATruncatedFileFallsBackToThePreviousOne() throws {
        let store = try makeStore()
        try write(store, 1)
        let newest = try write(store, 2)
        let handle = try FileHandle(forWritingTo: newest.appendingPathComponent("a.bin"))
        try handle.truncate(atOffset: 600)
        try handle.close()
        let (version, skipped, loaded) = try load(store)
        XCTAssertEqual(version, 1)
        XCTAssertEqual(skipped, ["version-000002: a.bin has 600 bytes, the manifest says 1000"])
        XCTAssertEqual(loaded.damagedManifests.map(\.version), [2], "it was complete once")
    }

    func testAFlippedByteFallsBackToThePreviousOne() throws {
        let store = try makeStore()
        try write(store, 1)
        let newest = try write(store, 2)
        let file = newest.appendingPathComponent("a.bin")
        var data = try Data(contentsOf: file)
        data[500] ^= 0x10
        try data.write(to: file)
        let (version, skipped, _) = try load(store)
        XCTAssertEqual(version, 1)
        XCTAssertEqual(skipped.count, 1)
        XCTAssertTrue(skipped[0].hasPrefix("version-000002: a.bin has SHA-256 "), skipped[0])
        XCTAssertTrue(skipped[0].contains("the manifest says"), skipped[0])
    }

    func testAMissingFileOrAGarbledManifestFallsBack() throws {
        let store = try makeStore(keep: 3)
        try write(store, 1)
        let middle = try write(store, 2)
        let newest = try write(store, 3)
        try FileManager.default.removeItem(at: middle.appendingPathComponent("b.json"))
        try Data("{ not json".utf8).write(to: newest.appendingPathComponent("manifest.json"))
        let (version, skipped, _) = try load(store)
        XCTAssertEqual(version, 1)
        XCTAssertEqual(skipped.count, 2)
        XCTAssertTrue(skipped[0].hasPrefix("version-000003: manifest.json is unreadable"), skipped[0])
        XCTAssertEqual(skipped[1], "version-000002: b.json is missing")
    }

    func testNoValidCheckpointIsAnErrorThatListsWhatWasPassedOver() throws {
        let store = try makeStore()
        XCTAssertThrowsError(try load(store)) { error in
            XCTAssertTrue("\(error)".contains("no valid checkpoint to resume from"), "\(error)")
            XCTAssertTrue("\(error)".contains("none written yet"), "\(error)")
        }
        let only = try write(store, 4)
        try FileManager.default.removeItem(at: only.appendingPathComponent("manifest.json"))
        XCTAssertThrowsError(try load(store)) { error in
            XCTAssertTrue("\(error)".contains("version-000004: no manifest.json"), "\(error)")
        }
    }

    func testAContentsErrorPassesOverButACheckpointErrorStopsTheSearch() throws {
        let store = try makeStore()
        try write(store, 1)
        try write(store, 2)
        let (value, loaded) = try store.loadNewest { loaded -> UInt64 in
            guard loaded.manifest.version < 2 else { throw CheckpointRestoreError("undecodable") }
            return loaded.manifest.version
        }
        XCTAssertEqual(value, 1)
        XCTAssertEqual(loaded.skipped.map(\.description), ["version-000002: its contents do not decode: undecodable"])
        XCTAssertThrowsError(
            try store.loadNewest { _ in throw CheckpointError.configMismatch(path: "p", keys: ["gamma"]) }
        ) { error in
            XCTAssertEqual(error as? CheckpointError, .configMismatch(path: "p", keys: ["gamma"]))
        }
    }

    func testACheckpointOfAVersionAlreadyCheckpointedGoesBesideIt() throws {
        let store = try makeStore()
        try write(store, 5, resumeVersion: 8)
        let second = try write(store, 5, resumeVersion: 5)
        XCTAssertEqual(second.lastPathComponent, "version-000005.1")
        XCTAssertEqual(store.checkpoints().map(\.url.lastPathComponent), ["version-000005.1", "version-000005"])
        XCTAssertEqual(try load(store).loaded.manifest.resumeVersion, 5)
        // A torn later generation falls back to the earlier one, which was never written over.
        try FileManager.default.removeItem(at: second.appendingPathComponent("manifest.json"))
        XCTAssertEqual(try load(store).loaded.manifest.resumeVersion, 8)
        // And the next write of that version replaces the torn one.
        XCTAssertEqual(try write(store, 5).lastPathComponent, "version-000005.1")
    }

    func testATornCheckpointOfTheSameVersionIsReplacedAndNewerLeftoversGo() throws {
        let store = try makeStore()
        try write(store, 3)
        let abandoned = try write(store, 9)
        try FileManager.default.removeItem(at: abandoned.appendingPathComponent("manifest.json"))
        let torn = store.directory.appendingPathComponent("version-000004")
        try FileManager.default.createDirectory(at: torn, withIntermediateDirectories: false)
        try Data([1, 2, 3]).write(to: torn.appendingPathComponent("a.bin"))
        // A resume from 3 at version 4 writes 4 again: the torn 4 is replaced and the torn 9 goes.
        try write(store, 4)
        XCTAssertEqual(store.checkpoints().map(\.url.lastPathComponent), ["version-000004", "version-000003"])
        XCTAssertEqual(try load(store).skipped, [])
    }

    func testNamesParseBack() {
        XCTAssertEqual(CheckpointStore.name(version: 12), "version-000012")
        XCTAssertEqual(CheckpointStore.name(version: 12_345_678, generation: 2), "version-12345678.2")
        XCTAssertTrue(CheckpointStore.parse("version-000012")! == (12, 0))
        XCTAssertTrue(CheckpointStore.parse("version-12345678.2")! == (12_345_678, 2))
        for other in ["policy-final.fleet", "version-", "version-12.0", "version-1.2.3", "version-x", ".version-000001.tmp"] {
            XCTAssertNil(CheckpointStore.parse(other), other)
        }
    }
}
