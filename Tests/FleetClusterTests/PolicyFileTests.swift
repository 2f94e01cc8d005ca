import FleetDigest
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster
import FleetConfig

final class PolicyFileTests: XCTestCase {
    private func temporaryFile(_ name: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-policy-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root.appendingPathComponent(name)
    }

    func testWeightsRoundTripThroughAPolicyFile() throws {
        guard case .weights(let weights) = SampleFrames.weights.payload else { return XCTFail("sample is not weights") }
        let url = try temporaryFile("policy.fleet")
        try PolicyFile.write(weights, to: url)
        XCTAssertEqual(try PolicyFile.read(url), weights)
    }

    func testAFrameOfAnotherKindIsNotAPolicy() throws {
        let url = try temporaryFile("hello.fleet")
        try Data(SampleFrames.hello.encoded()).write(to: url)
        XCTAssertThrowsError(try PolicyFile.read(url)) { error in
            XCTAssertTrue("\(error)".contains("holds a hello frame, not weights"), "\(error)")
        }
    }

    func testAMissingFileIsUnreadable() throws {
        let url = try temporaryFile("missing.fleet")
        XCTAssertThrowsError(try PolicyFile.read(url)) { error in
            XCTAssertTrue("\(error)".contains("cannot read it"), "\(error)")
        }
    }

    /// Every bit of a policy file, flipped alone, makes `read` refuse it with an error naming the file.
    func testEveryFlippedBitIsRefused() throws {
        guard case .weights(let weights) = SampleFrames.weights.payload else { return XCTFail("sample is not weights") }
        let url = try temporaryFile("policy.fleet")
        try PolicyFile.write(weights, to: url)
        let original = try [UInt8](Data(contentsOf: url))
        let damaged = url.deletingLastPathComponent().appendingPathComponent("damaged.fleet")
        var accepted: [String] = []
        for position in original.indices {
            for bit in 0..<8 {
                var bytes = original
                bytes[position] ^= 1 << bit
                try Data(bytes).write(to: damaged)
                do {
                    _ = try PolicyFile.read(damaged)
                    accepted.append("byte \(position) bit \(bit)")
                } catch {
                    XCTAssertTrue("\(error)".hasPrefix(damaged.path), "\(error)")
                }
            }
        }
        XCTAssertEqual(accepted, [], "\(accepted.count) of \(8 * original.count) single-bit flips were accepted")
    }

    func testATruncatedOrExtendedFileIsRefused() throws {
        guard case .weights(let weights) = SampleFrames.weights.payload else { return XCTFail("sample is not weights") }
        let url = try temporaryFile("policy.fleet")
        let bytes = PolicyFile.encoded(weights)
        for damaged in [Array(bytes.dropLast()), Array(bytes.prefix(PolicyFile.header)), Array(bytes.prefix(10)), bytes + [0]] {
            try Data(damaged).write(to: url)
            XCTAssertThrowsError(try PolicyFile.read(url), "\(damaged.count) of \(bytes.count) bytes") { error in
                XCTAssertTrue("\(error)".hasPrefix(url.path) && "\(error)".contains("damaged"), "\(error)")
            }
        }
    }

    /// A bare frame, as runs wrote before the checksum, is still read.
    func testAPolicyFileWithoutChecksumFromAnOlderRunIsRead() throws {
        guard case .weights(let weights) = SampleFrames.weights.payload else { return XCTFail("sample is not weights") }
        let url = try temporaryFile("policy.fleet")
        try Data(SampleFrames.weights.encoded()).write(to: url)
        XCTAssertEqual(try PolicyFile.read(url), weights)
    }

    func testAPolicyFileStartsWithItsMagicAndTheFramesSHA256() {
        guard case .weights(let weights) = SampleFrames.weights.payload else { return XCTFail("sample is not weights") }
        let bytes = PolicyFile.encoded(weights)
        XCTAssertEqual(Array(bytes.prefix(16)), Array("FLEET-POLICY v1\n".utf8))
        let frame = Array(bytes.dropFirst(PolicyFile.header))
        XCTAssertEqual(Array(bytes[16..<48]), SHA256.hash(frame).bytes)
        XCTAssertEqual(try Frame(decoding: frame).payload, .weights(weights))
    }
}
