import CFleetProto
import FleetWire

/// libFuzzer's entry point: one input, as a learner would receive it from the network.
///
/// Decoding must never crash, and what decodes must be stable:
/// 1. protobuf-c alone, with its default (malloc) allocator: every allocation is its own block, so
///    AddressSanitizer sees an overrun of any of them and LeakSanitizer a leak on any error path
///    (the budgeted arena of step 2 hides both: it hands out slices of 64 KiB chunks and frees
///    everything at once).
/// 2. `Frame(decoding:limits:)` with the default limits, as the learner decodes.
/// 3. The same with a budget of a few bytes per input byte, which runs out part way through
///    unpacking most frames: it may only add `budget_exceeded` to step 2's outcome.
/// 4. A decoded frame passes `validate()`, and its encoding decodes to a frame that encodes to the
///    same bytes.
///
/// Any broken rule is a finding: the target stops with a message (a crash for libFuzzer).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameDecoding(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    unpackWithMalloc(bytes)

    let decoded = decode(bytes, limits: .default)
    let starved = decode(bytes, limits: starvedLimits(for: size))
    checkStarvedDecoding(starved, against: decoded)

    if case .success(let frame) = decoded { checkRoundTrip(frame) }
    return 0
}

/// Limits whose unpacking budget (4 bytes per input byte) is too small for most frames: the
/// message structs of even a small frame need several hundred bytes.
func starvedLimits(for size: Int) -> DecodeLimits {
    DecodeLimits(maxFrameBytes: DecodeLimits.default.maxFrameBytes, maxUnpackedBytes: 4 * size)
}

/// Room for any frame that decoding produced: re-encoding may grow a frame (an invalid UTF-8 byte
/// in a string becomes the 3-byte U+FFFD).
let roomyLimits = DecodeLimits(maxFrameBytes: .max, maxUnpackedBytes: .max)

func decode(_ bytes: UnsafeRawBufferPointer, limits: DecodeLimits) -> Result<Frame, WireError> {
    Result { () throws(WireError) -> Frame in try Frame(decoding: bytes, limits: limits) }
}

/// Step 1: the generated unpack and `__free_unpacked`, with protobuf-c's own allocator.
func unpackWithMalloc(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
    if let message = fleet__v1__frame__unpack(nil, bytes.count, base) {
        fleet__v1__frame__free_unpacked(message, nil)
    }
}

/// Step 3: a smaller budget can turn success or any failure into `budget_exceeded`, nothing else.
func checkStarvedDecoding(_ starved: Result<Frame, WireError>, against decoded: Result<Frame, WireError>) {
    switch (decoded, starved) {
    case (.success(let frame), .success(let again)):
        if frame.encoded() != again.encoded() { finding("a smaller budget decoded another frame") }
    case (_, .failure(let error)) where error.reason == .budgetExceeded:
        break
    case (.failure(let error), .failure(let again)):
        if error.reason != again.reason {
            finding("a smaller budget changed the rejection from \(error) to \(again)")
        }
    case (.failure(let error), .success):
        finding("a smaller budget decoded a frame the default limits reject (\(error))")
    case (.success, .failure(let error)):
        finding("a smaller budget failed with \(error), not budget_exceeded")
    }
}

/// Step 4: validation and the encode/decode round trip.
func checkRoundTrip(_ frame: Frame) {
    do throws(WireError) {
        try frame.validate()
    } catch {
        finding("a decoded frame fails validate(): \(error)")
    }
    let encoded = frame.encoded()
    if encoded.count != frame.encodedByteCount {
        finding("encoded() gave \(encoded.count) bytes, encodedByteCount says \(frame.encodedByteCount)")
    }
    let again: Frame
    do throws(WireError) {
        again = try Frame(decoding: encoded, limits: roomyLimits)
    } catch {
        finding("the encoding of a decoded \(frame.kind) frame does not decode: \(error)")
    }
    // Compared as bytes: a stats scalar may be NaN, which is not equal to itself.
    if again.encoded() != encoded { finding("a decoded \(frame.kind) frame does not survive a round trip") }
}

/// Stops the run with `message`: libFuzzer saves the input as a crash file.
func finding(_ message: String) -> Never {
    fatalError("finding: \(message)")
}
