import Foundation
import XCTest

@testable import FleetTensor

/// `.safetensors` files: written and read back bit for bit, a hand-made file of each dtype read
/// as its values, and every malformed file refused with the tensor and field named.
final class SafeTensorsTests: XCTestCase {
    /// A file made by hand from the format's definition: the header, then `payload`.
    private func file(_ header: String, _ payload: [UInt8]) -> Data {
        var bytes = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: payload)
        return bytes
    }

    func testWrittenTensorsReadBackBitForBit() throws {
        let original = SafeTensors(
            tensors: [
                "wte.weight": .init(shape: [3, 2], values: [0.5, -1.25, .pi, -0, 1e-40, 65504]),
                "ln_f.bias": .init(shape: [2], values: [1, 2]),
                "scalar": .init(shape: [], values: [7]),
            ],
            metadata: ["format": "pt"])
        let bytes = try original.serialized()
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0, "the header is padded to 8 bytes")
        let read = try SafeTensors(bytes)
        XCTAssertEqual(read.metadata, ["format": "pt"])
        XCTAssertEqual(Set(read.tensors.keys), ["wte.weight", "ln_f.bias", "scalar"])
        for (name, entry) in original.tensors {
            XCTAssertEqual(read.tensors[name]?.shape, entry.shape, name)
            XCTAssertEqual(read.tensors[name]?.values.map(\.bitPattern), entry.values.map(\.bitPattern), name)
        }
    }

    func testHalfPrecisionTensorsAreWidenedExactly() throws {
        // F16 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504; BF16 0x3F80 = 1, 0xC040 = -3.
        let header = #"{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}}"#
        let read = try SafeTensors(file(header, [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x80, 0x3F, 0x40, 0xC0]))
        XCTAssertEqual(read.tensors["a"]?.values, [1, -2, 65504])
        XCTAssertEqual(read.tensors["b"]?.values, [1, -3])
        XCTAssertEqual(read.metadata, [:])
    }

    func testMalformedFilesAreRefusedNamingWhatIsWrong() {
        func refusal(_ bytes: Data) -> String {
            do {
                _ = try SafeTensors(bytes, source: "model.safetensors")
                return "read"
            } catch {
                return "\(error)"
            }
        }
        let f32 = { (offsets: String, shape: String) in #"{"w":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"# }
        XCTAssertTrue(refusal(Data([1, 2, 3])).contains("shorter than the 8-byte header length"))
        var huge = file("{}", [])
        huge[0] = 0xFF
        XCTAssertTrue(refusal(huge).contains("runs past the file"))
        XCTAssertTrue(refusal(file("[1]", [])).contains("not a JSON object"))
        XCTAssertTrue(refusal(file("{nope", [])).contains("not JSON"))
        XCTAssertTrue(
            refusal(file(#"{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, Array(repeating: 0, count: 8)))
                .contains("tensor 'w' has dtype I64"))
        XCTAssertTrue(refusal(file(f32("[0,8]", "[2]"), [0, 0, 0, 0])).contains("'w' has data_offsets outside the 4 bytes"))
        XCTAssertTrue(refusal(file(f32("[0,4]", "[2]"), [0, 0, 0, 0])).contains("shape [2] of F32 (8 bytes) but data_offsets span 4"))
        XCTAssertTrue(refusal(file(f32("[0,4]", "[-1]"), [0, 0, 0, 0])).contains("no shape of non-negative integers"))
        let overlapping = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        XCTAssertTrue(refusal(file(overlapping, Array(repeating: 0, count: 8))).contains("overlap"))
        XCTAssertTrue(refusal(file(#"{"__metadata__":{"a":1}}"#, [])).contains("__metadata__ must map strings to strings"))
    }

    func testAFileOnDiskIsReadAndAMissingOneNamed() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-safetensors-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensors(tensors: ["x": .init(shape: [1], values: [3])]).serialized().write(to: url)
        XCTAssertEqual(try SafeTensors(contentsOf: url).tensors["x"]?.values, [3])
        XCTAssertThrowsError(try SafeTensors(contentsOf: url.appendingPathExtension("gone"))) { error in
            XCTAssertTrue("\(error)".contains("cannot be read"), "\(error)")
        }
    }

    func testAFileWrittenByHuggingFacesLibraryIsRead() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tiny.safetensors")
        let read = try SafeTensors(contentsOf: url)
        XCTAssertEqual(read.metadata, ["format": "pt"])
        XCTAssertEqual(read.tensors["h.0.attn.c_attn.weight"]?.shape, [3, 4])
        XCTAssertEqual(read.tensors["h.0.attn.c_attn.weight"]?.values, (0..<12).map { Float($0) / 7 })
        XCTAssertEqual(read.tensors["ln_f.bias"], .init(shape: [2], values: [1.5, -2]))
        XCTAssertEqual(read.tensors["wpe.weight"], .init(shape: [1, 3], values: [0.25, -0.5, 3]))
    }
}
