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
}
