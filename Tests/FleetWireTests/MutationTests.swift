import XCTest

@testable import FleetWire

/// Truncated, bit-flipped, spliced and random bytes never crash the decoder: each either decodes
/// to a valid frame or throws a `WireError`.
final class MutationTests: XCTestCase {
    func testSeededMutationsOfTheGoldenFrames() {
        var rng = SeededGenerator(seed: 0x5EED_F1EE7)
        var rejected: [String: Int] = [:]
        var accepted = 0
        let originals = SampleFrames.all.map { $0.encoded() }
        for round in 0..<4_000 {
            var bytes = originals[round % originals.count]
            switch rng.next() % 5 {
            case 0:  // flip one to four bits
                for _ in 0...(rng.next() % 4) {
                    let bit = Int(rng.next() % UInt64(bytes.count * 8))
                    bytes[bit / 8] ^= UInt8(1 << (bit % 8))
                }
            case 1:  // truncate
                bytes.removeLast(1 + Int(rng.next() % UInt64(bytes.count)))
            case 2:  // overwrite a byte
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            case 3:  // splice in a piece of another frame
                let other = originals[Int(rng.next() % UInt64(originals.count))]
                let from = Int(rng.next() % UInt64(other.count))
                let piece = other[from..<min(other.count, from + 1 + Int(rng.next() % 16))]
                bytes.insert(contentsOf: piece, at: Int(rng.next() % UInt64(bytes.count + 1)))
            default:  // a varint bomb: ten 0xff bytes somewhere
                bytes.insert(
                    contentsOf: [UInt8](repeating: 0xff, count: 10), at: Int(rng.next() % UInt64(bytes.count + 1)))
            }
            do throws(WireError) {
                let frame = try Frame(decoding: bytes)
                XCTAssertNoThrow(try frame.validate())
                XCTAssertNil(decodeError(frame.encoded()), "a decoded frame re-encodes to a valid one")
                accepted += 1
            } catch {
                rejected[error.reason.rawValue, default: 0] += 1
            }
        }
        XCTAssertEqual(accepted + rejected.values.reduce(0, +), 4_000)
        XCTAssertGreaterThan(rejected.values.reduce(0, +), 1_000, "\(rejected)")
        XCTAssertTrue(Set(rejected.keys).isSubset(of: WireError.Reason.all.map(\.rawValue)), "\(rejected)")
    }

    func testRandomBytes() {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<2_000 {
            let count = Int(rng.next() % 256)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if let error = decodeError(bytes) {
                XCTAssertTrue(WireError.Reason.all.contains(error.reason))
            }
        }
    }
}
