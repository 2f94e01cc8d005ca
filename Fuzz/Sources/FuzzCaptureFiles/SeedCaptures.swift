import FleetWire

#if canImport(Glibc)
    import Glibc
#endif

/// libFuzzer calls this once before fuzzing. With `FLEET_FUZZ_WRITE_SEEDS=DIR` set, it writes the
/// seed captures to DIR instead and exits: files made by `RecordWriter` from `SampleFrames`, so the
/// seeds follow the format without binary files in the repository.
@_cdecl("LLVMFuzzerInitialize")
public func initializeCaptureFuzzing(
    _ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let directory = getenv("FLEET_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    writeSeedCaptures(to: directory)
    exit(0)
}

/// Writes `all-kinds.rec` (one consumed entry per sample frame), `dropped-and-sent.rec`, `empty.rec`
/// (the header alone) and three damaged copies of `all-kinds.rec`: a torn tail, a flipped data
/// byte and a flipped length byte in its second record.
func writeSeedCaptures(to directory: String) {
    let allKinds = SampleFrames.all.enumerated().map { i, frame in
        CaptureEntry(
            kind: .consumed, learnerVersion: UInt64(i + 1), arrivalSeconds: Double(i) * 0.5,
            eventSeconds: Double(i) * 0.5 + 0.25, frame: frame.encoded())
    }
    let droppedAndSent = [
        CaptureEntry(
            kind: .dropped, learnerVersion: 4, arrivalSeconds: 1.5, eventSeconds: 1.5, reason: "stale",
            frame: SampleFrames.trajectoryBatch.encoded()),
        CaptureEntry(
            kind: .sent, learnerVersion: 3, arrivalSeconds: 0.75, eventSeconds: 0.75,
            frame: SampleFrames.groupBatch.encoded()),
    ]
    let allKindsPath = directory + "/all-kinds.rec"
    let secondRecord = writeCapture(allKindsPath, allKinds)[1]
    writeCapture(directory + "/dropped-and-sent.rec", droppedAndSent)
    writeCapture(directory + "/empty.rec", [])

    let bytes = readFile(allKindsPath)
    var torn = bytes
    torn.removeLast(7)
    var dataFlipped = bytes
    dataFlipped[secondRecord + 12 + 40] ^= 0x10
    var lengthFlipped = bytes
    lengthFlipped[secondRecord + 1] ^= 0x01
    for (name, damaged) in [("torn-tail", torn), ("data-flipped", dataFlipped), ("length-flipped", lengthFlipped)] {
        damaged.withUnsafeBytes { writeFile(directory + "/\(name).rec", $0) }
    }
}

/// Writes a capture file holding `entries`; returns the offset of each record.
@discardableResult
func writeCapture(_ path: String, _ entries: [CaptureEntry]) -> [Int] {
    do throws(RecordError) {
        let writer = try RecordWriter.create(
            path: path, schemaVersion: Envelope.currentSchemaVersion, runID: "fuzz-seed", overwrite: true,
            maxRecordLength: CaptureEntry.maxRecordLength)
        var offsets: [Int] = []
        for entry in entries {
            offsets.append(writer.offset)
            try writer.append(entry.encoded())
        }
        try writer.close()
        return offsets
    } catch {
        fatalError("fuzz: cannot write seed capture \(path): \(error)")
    }
}
