import Foundation
import XCTest

@testable import FleetConfig

/// docs/config.md is the schema's reference as it is now.
final class ConfigReferenceTests: XCTestCase {
    func testDocsConfigMarkdownIsTheSchemasReference() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/config.md")
        let written = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(
            written == ConfigReference.markdown,
            "docs/config.md is stale: run scripts/generate-config-doc.sh and commit it")
    }

    func testEveryKeyIsInTheReference() {
        let reference = ConfigReference.markdown
        for key in ConfigSchema.keys {
            XCTAssertTrue(reference.contains("| `\(key.name)` |"), key.name)
        }
    }
}
