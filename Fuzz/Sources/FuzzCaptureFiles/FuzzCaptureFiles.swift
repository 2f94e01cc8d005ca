import FleetWire

/// libFuzzer's entry point: one input is a whole capture file, as `fleet replay` and `fleet inspect`
/// read it (a record file whose records are capture entries holding wire frames).
///
/// Reading must never crash, and:
/// 1. Strict reading (`next()` until the end or the first error) returns a prefix of what lenient
///    reading returns (`skipDamage()` after each corrupt record, as `CaptureReader` does), and
///    lenient reading moves forward at every step.
/// 2. Every record is refused by `CaptureEntry(decoding:)` or re-encodes to the same bytes once
///    decoded; an entry's frame goes through `Frame(decoding:)` (the frame rules are
///    FuzzFrameDecoding's).
/// 3. `RecordWriter.openForAppend` accepts the file exactly when strict reading ended cleanly or at
///    a torn tail, counts the same records, and leaves a file that strict reading ends cleanly.
///
/// The reader's buffer is the smallest allowed (4 KiB), so that inputs of a few KiB already cross
/// buffer refills and reads straight into a record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCaptureFiles(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.shared.replace(with: UnsafeRawBufferPointer(start: data, count: size))
    let strict = readStrictly(path)
    let lenient = readLeniently(path)
    if lenient.count < strict.records.count || Array(lenient.prefix(strict.records.count)) != strict.records {
        finding("lenient reading did not start with the \(strict.records.count) records strict reading returned")
    }
    for record in lenient { checkEntry(record) }
    checkOpenForAppend(path, strict: strict)
    return 0
}

let maxRecordLength = CaptureEntry.maxRecordLength
let bufferCapacity = 4096

/// What strict reading found: the records before the end or the first error, and that error.
struct StrictReading {
    var records: [[UInt8]] = []
    var error: RecordError?
}

func readStrictly(_ path: String) -> StrictReading {
    var result = StrictReading()
    do throws(RecordError) {
        let reader = try RecordReader(path: path, maxRecordLength: maxRecordLength, bufferCapacity: bufferCapacity)
        while let record = try reader.next() { result.records.append(record) }
    } catch {
        result.error = error
    }
    return result
}

/// Every record lenient reading returns, skipping corrupt ones, until the end or a torn tail.
func readLeniently(_ path: String) -> [[UInt8]] {
    guard let reader = try? RecordReader(path: path, maxRecordLength: maxRecordLength, bufferCapacity: bufferCapacity)
    else { return [] }
    var records: [[UInt8]] = []
    while true {
        let before = reader.offset
        do throws(RecordError) {
            guard let record = try reader.next() else { return records }
            records.append(record)
        } catch .tornTail {
            return records
        } catch let damage {
            let skip: RecordDamageSkip?
            do throws(RecordError) {
                skip = try reader.skipDamage()
            } catch {
                finding("skipDamage() after \(damage) failed: \(error)")
            }
            guard let skip else { finding("no damage to skip after \(damage)") }
            if skip.damagedOffset != before || skip.resumeOffset <= before {
                finding("skipDamage() after \(damage) at \(before) did not move forward: \(skip)")
            }
        }
        if reader.offset <= before { finding("reading did not move forward from offset \(before)") }
    }
}

func checkEntry(_ record: [UInt8]) {
    guard let entry = try? CaptureEntry(decoding: record) else { return }
    let encoded = entry.encoded()
    let again: CaptureEntry
    do throws(CaptureEntryError) {
        again = try CaptureEntry(decoding: encoded)
    } catch {
        finding("the encoding of a decoded capture entry does not decode: \(error)")
    }
    // Compared as bytes: the times may be NaN, which is not equal to itself.
    if again.encoded() != encoded { finding("a capture entry does not survive a round trip") }
    _ = try? Frame(decoding: entry.frame)
}

func checkOpenForAppend(_ path: String, strict: StrictReading) {
    let appendable: Bool
    switch strict.error {
    case nil, .tornTail: appendable = true
    default: appendable = false
    }
    let writer: RecordWriter
    do throws(RecordError) {
        writer = try RecordWriter.openForAppend(
            path: path, maxRecordLength: maxRecordLength, bufferCapacity: bufferCapacity)
    } catch {
        if appendable { finding("openForAppend refused a file strict reading accepts: \(error)") }
        return
    }
    if !appendable { finding("openForAppend accepted a file strict reading stopped at: \(strict.error!)") }
    if writer.existingRecords != strict.records.count {
        finding("openForAppend counted \(writer.existingRecords) records, strict reading \(strict.records.count)")
    }
    do throws(RecordError) {
        try writer.close()
    } catch {
        finding("closing the appender failed: \(error)")
    }
    let reread = readStrictly(path)
    if reread.error != nil || reread.records != strict.records {
        finding("after openForAppend the file reads \(reread.records.count) records and \(String(describing: reread.error))")
    }
}

/// Stops the run with `message`: libFuzzer saves the input as a crash file.
func finding(_ message: String) -> Never {
    fatalError("finding: \(message)")
}
