import Foundation
import XCTest

@testable import FleetWire

/// The committed wire bytes of every sample frame, in `Golden/<kind>.bin`.
///
/// To change them deliberately (after a schema or sample change), run
/// `FLEET_REGENERATE_GOLDEN=1 swift test --filter FleetWireTests.GoldenTests`, review the diff,
/// commit the files, and tell the owners of the independent Python check.
final class GoldenTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden", isDirectory: true)

    static func url(_ kind: Payload.Kind) -> URL {
        directory.appendingPathComponent(kind.rawValue + ".bin")
    }

    static func goldenBytes(_ kind: Payload.Kind) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(kind)))
    }

    func testGoldenBytes() throws {
        let regenerate = ProcessInfo.processInfo.environment["FLEET_REGENERATE_GOLDEN"] == "1"
        for kind in Payload.Kind.allCases {
            let sample = SampleFrames.sample(kind)
            XCTAssertEqual(sample.kind, kind)
            if regenerate {
                try Data(sample.encoded()).write(to: Self.url(kind), options: .atomic)
            }
            let golden = try Self.goldenBytes(kind)
            XCTAssertEqual(
                sample.encoded(), golden, "\(kind.rawValue): encoding differs from Golden/\(kind.rawValue).bin")
            do throws(WireError) {
                let decoded = try Frame(decoding: golden)
                XCTAssertEqual(decoded, sample, kind.rawValue)
            } catch {
                XCTFail("\(kind.rawValue): \(error)")
            }
        }
    }

    func testGoldenDirectoryHoldsOneFilePerKind() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".bin") }
        XCTAssertEqual(Set(names), Set(Payload.Kind.allCases.map { $0.rawValue + ".bin" }))
    }

    /// A few bytes spelled out, so a wrong golden file cannot agree with a wrong encoder.
    func testHeartbeatBytesByHand() throws {
        let expected: [UInt8] =
            [0x0a, 0x0f, 0x08, 0x01, 0x12, 0x07] + Array("actor-7".utf8) + [0x18, 0x03, 0x20, 0x2a]
            + [0x3a, 0x04, 0x08, 0x0c, 0x10, 0x63]
        XCTAssertEqual(SampleFrames.heartbeat.encoded(), expected)
        XCTAssertEqual(try Self.goldenBytes(.heartbeat), expected)
    }

    /// The empty `StatusRequest` is still sent: its oneof field with a zero length.
    func testStatusRequestBytesByHand() throws {
        let expected: [UInt8] =
            [0x0a, 0x12, 0x08, 0x01, 0x12, 0x0c] + Array("fleet-status".utf8) + [0x18, 0x01] + [0x5a, 0x00]
        XCTAssertEqual(SampleFrames.statusRequest.encoded(), expected)
        XCTAssertEqual(try Self.goldenBytes(.statusRequest), expected)
    }
}
