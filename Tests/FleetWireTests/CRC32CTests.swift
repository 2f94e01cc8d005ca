import XCTest
@testable import FleetWire

final class CRC32CTests: XCTestCase {
    func testCheckValue() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
    }

    func testKnownVectors() {
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
    }

    /// Every split point of a buffer (odd lengths and misaligned starts included) gives the
    /// one-shot value, and the table path agrees with a bit-at-a-time reference.
    func testIncrementalEqualsOneShot() {
        var rng = SeededGenerator(seed: 7)
        let data = (0..<301).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let whole = CRC32C.checksum(data)
        XCTAssertEqual(whole, bitwiseCRC32C(data))
        for split in 0...data.count {
            var crc = CRC32C()
            crc.update(data[..<split])
            crc.update(data[split...])
            XCTAssertEqual(crc.value, whole, "split at \(split)")
        }
        for start in 0..<16 {
            let tail = Array(data[start...])
            tail.withUnsafeBytes { XCTAssertEqual(CRC32C.checksum($0), bitwiseCRC32C(tail)) }
        }
        var bytewise = CRC32C()
        for byte in data { bytewise.update(CollectionOfOne(byte)) }
        XCTAssertEqual(bytewise.value, whole)
        XCTAssertEqual(CRC32C().value, 0)
    }

    func testMaskRoundTrips() {
        XCTAssertEqual(CRC32C.mask(0), 0xA282_EAD8)
        let crc: UInt32 = 0xE306_9283
        XCTAssertEqual(CRC32C.mask(crc), ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
        var rng = SeededGenerator(seed: 3)
        for value in [0, 1, 0xFFFF_FFFF, 0x8000_0000, crc] + (0..<1000).map({ _ in UInt32(truncatingIfNeeded: rng.next()) }) {
            XCTAssertEqual(CRC32C.unmask(CRC32C.mask(value)), value)
            XCTAssertNotEqual(CRC32C.mask(value), value)
        }
    }

    private func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
