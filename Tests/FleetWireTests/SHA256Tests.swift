import FleetDigest
import XCTest

@testable import FleetWire

/// SHA-256 against the FIPS 180 example vectors, and incremental hashing against one-shot.
final class SHA256Tests: XCTestCase {
    func testEmptyMessage() {
        XCTAssertEqual(SHA256.hash([UInt8]()).hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testABC() {
        XCTAssertEqual(SHA256.hash(utf8: "abc").hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hash(utf8: "abc").bytes.count, 32)
    }

    func testTwoBlockMessage() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"  // 448 bits
        XCTAssertEqual(SHA256.hash(utf8: message).hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testOneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(SHA256.hash(message).hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // The same million bytes fed in uneven pieces.
        var sha = SHA256()
        var offset = 0
        var piece = 1
        while offset < message.count {
            let end = Swift.min(message.count, offset + piece)
            sha.update(message[offset..<end])
            offset = end
            piece = piece * 3 % 997 + 1
        }
        XCTAssertEqual(sha.finalize().hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every split point, around the 55/56/64-byte padding edges, matches the one-shot digest;
    /// finalizing does not disturb the running hash.
    func testIncrementalEqualsOneShot() {
        let data = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200] {
            let message = Array(data[..<length])
            let whole = SHA256.hash(message)
            for split in 0...length {
                var sha = SHA256()
                sha.update(message[..<split])
                _ = sha.finalize()
                sha.update(message[split...])
                XCTAssertEqual(sha.finalize(), whole, "length \(length), split at \(split)")
            }
            message.withUnsafeBytes { XCTAssertEqual(SHA256.hash($0), whole) }
        }
        XCTAssertNotEqual(SHA256.hash(utf8: "abd"), SHA256.hash(utf8: "abc"))
    }
}
