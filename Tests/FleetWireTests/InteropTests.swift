import FleetWire
import Foundation
import XCTest

/// The interop proof: a second, independent protobuf implementation (Google's Python `protobuf`,
/// with classes generated from proto/ by protoc) reads what Fleet writes, and Fleet reads what it
/// writes. `make test` prepares the Python side (scripts/install-deps.sh --python).
final class InteropTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = repositoryRoot.appendingPathComponent("Tests/Interop/interop.py").path
    static let golden = repositoryRoot.appendingPathComponent("Tests/FleetWireTests/Golden").path

    func testPythonDecodesFleetsGoldenFrames() throws {
        let result = try runPython(["check", Self.golden])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(
            result.output.contains("in \(Payload.Kind.allCases.count) Fleet frames: 0 failed"), result.output)
        // Python's encoding of the same values is byte for byte protobuf-c's, for every kind.
        for kind in Payload.Kind.allCases {
            XCTAssertTrue(
                result.output.contains("ok   \(kind.rawValue): ") && !result.output.contains("FAIL \(kind.rawValue):"),
                "\(kind.rawValue) not checked:\n\(result.output)")
        }
        XCTAssertEqual(
            result.output.components(separatedBy: "python's encoding identical").count - 1,
            Payload.Kind.allCases.count, result.output)
        XCTAssertFalse(result.output.contains("differs in bytes"), result.output)
    }

    func testFleetDecodesPythonEncodedFrames() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-interop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try runPython(["write", folder.path])
        XCTAssertEqual(result.status, 0, result.output)

        for sample in SampleFrames.all {
            let kind = sample.kind.rawValue
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent("\(kind).bin")))
            let decoded = try Frame(decoding: bytes)
            XCTAssertEqual(decoded, sample, "python's \(kind) frame decodes to other values")
        }
    }

    /// A frame Python encoded and a byte of it changed: Fleet must notice (the check above can fail).
    func testAlteredPythonFrameIsNotTheSample() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-interop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = try runPython(["write", folder.path])  // outside an assertion, so a skip is a skip
        XCTAssertEqual(written.status, 0, written.output)
        var bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent("heartbeat.bin")))
        bytes[bytes.count - 1] ^= 0x01  // batches_sent 99 -> 98
        XCTAssertNotEqual(try Frame(decoding: bytes), SampleFrames.heartbeat)
    }

    private func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
        // `make test` names the interpreter in FLEET_PYTHON: then it must be there. A bare
        // `swift test` without the prepared environment skips, and says how to prepare it.
        let named = ProcessInfo.processInfo.environment["FLEET_PYTHON"]
        let python = named ?? Self.repositoryRoot.appendingPathComponent(".build-python/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            let message = "no Python for the interop test at \(python): run `make test` or scripts/install-deps.sh --python"
            if named != nil { XCTFail(message) }
            throw XCTSkip(message)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
