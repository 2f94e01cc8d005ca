import Foundation
import XCTest

/// A fresh directory under the system's temporary directory, removed when the test ends.
public func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("fleet-run-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A clock the test moves by hand.
public final class ManualClock: @unchecked Sendable {
    public var now: Double
    public init(_ now: Double) { self.now = now }
    public func read() -> Double { now }
}

/// Bytes as lowercase hex.
public func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

/// Bytes from lowercase hex.
public func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}

/// The Python with Fleet's package installed that serves environments in tests: `$FLEET_PYTHON`
/// (`make test` prepares and names it), else `.build-python/bin/python`. When neither is there the
/// test is skipped with how to prepare it, except under `make test`, where it fails.
public func servingPython(file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let named = ProcessInfo.processInfo.environment["FLEET_PYTHON"]
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let python = named ?? root.appendingPathComponent(".build-python/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
        let message = "no Python with fleet_env at \(python): run `make test` or scripts/install-deps.sh --python"
        if named != nil { XCTFail(message, file: file, line: line) }
        throw XCTSkip(message)
    }
    return python
}
