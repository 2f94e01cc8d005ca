import Foundation
import XCTest

extension XCTestCase {
    /// A fresh owner-only directory `/tmp/<prefix>-<8 hex>` (short, so ipc socket paths inside it
    /// fit), removed when the test ends.
    public func makeTestDirectory(_ prefix: String) throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The JSON object in the file at `url` (a run's `summary.json`, a capture's manifest).
    public func readJSONObject(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The run directory's `summary.json`.
    public func runSummary(_ runDirectory: URL) throws -> [String: Any] {
        try readJSONObject(runDirectory.appendingPathComponent("summary.json"))
    }
}
