import Foundation

/// Reads the entries of capture files in order, across files, telling damage apart from the end.
///
/// - A torn tail (a file that ends inside a record: the writer was killed mid-write) ends that
///   file; every complete record before it is read.
/// - A corrupt record (a checksum mismatch) or a record that is not a ``CaptureEntry`` is skipped:
///   reading resumes at the next intact record.
///
/// Each is listed in ``damage`` with its file and offset. In ``Mode/strict`` mode the first one
/// is thrown instead (``CaptureError``). Either way no damaged byte is ever returned as an entry:
/// both of a record's checksums match before it is parsed.
public final class CaptureReader {
    /// What to do about damage.
    public enum Mode: String, Sendable {
        /// Report it in ``CaptureReader/damage`` and go on with the intact records.
        case lenient
        /// Throw at the first damage.
        case strict
    }

    /// A damaged stretch of a capture file.
    public struct Damage: Hashable, Sendable, Codable {
        /// The file's path, as given.
        public var file: String
        /// Where the damaged record starts.
        public var offset: Int
        /// `torn_tail`, `corrupt_record` or `bad_entry`.
        public var kind: String
        /// What was found, for people.
        public var detail: String
        /// Bytes left unread because of it (a torn tail's bytes, or those skipped to the next intact record).
        public var skippedBytes: Int

        package enum CodingKeys: String, CodingKey {
            case file, offset, kind, detail
            case skippedBytes = "skipped_bytes"
        }
    }

    /// An entry with where it was read.
    public struct Located {
        /// The entry, parsed from a record whose checksums matched.
        public var entry: CaptureEntry
        /// The file it was read from.
        public var file: String
        /// The byte offset of its record in that file.
        public var offset: Int
    }

    /// The files read, in order.
    public let files: [String]
    /// What to do about damage.
    public let mode: Mode
    /// The damage met so far (lenient mode).
    public private(set) var damage: [Damage] = []
    /// Records read intact so far.
    public private(set) var recordsRead = 0
    private var fileIndex = 0
    private var reader: RecordReader?

    /// Reads `files` in order; nothing is opened until the first ``next()``.
    public init(files: [String], mode: Mode = .lenient) {
        self.files = files
        self.mode = mode
    }

    /// The next intact entry, or nil after the last file.
    public func next() throws -> Located? {
        while fileIndex < files.count {
            let path = files[fileIndex]
            if reader == nil {
                do {
                    reader = try RecordReader(path: path, maxRecordLength: CaptureEntry.maxRecordLength)
                } catch {
                    throw CaptureError.record(path: path, error)
                }
            }
            let reader = reader!
            let offset = reader.offset
            do {
                guard let record = try reader.next() else {
                    endFile()
                    continue
                }
                do {
                    let entry = try CaptureEntry(decoding: record)
                    recordsRead += 1
                    return Located(entry: entry, file: path, offset: offset)
                } catch {
                    try report(
                        Damage(
                            file: path, offset: offset, kind: "bad_entry", detail: error.description,
                            skippedBytes: reader.offset - offset),
                        CaptureError.entry(path: path, offset: offset, error))
                }
            } catch let error as CaptureError {
                throw error
            } catch let error as RecordError {
                if case .tornTail(let tornOffset) = error {
                    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? tornOffset
                    try report(
                        Damage(
                            file: path, offset: tornOffset, kind: "torn_tail", detail: error.description,
                            skippedBytes: max(0, size - tornOffset)),
                        CaptureError.record(path: path, error))
                    endFile()
                    continue
                }
                guard case .some(let damagedOffset) = error.damagedRecordOffset else {
                    throw CaptureError.record(path: path, error)
                }
                if mode == .strict { throw CaptureError.record(path: path, error) }
                let skip: RecordDamageSkip?
                do {
                    skip = try reader.skipDamage()
                } catch let skipError {
                    throw CaptureError.record(path: path, skipError)
                }
                damage.append(
                    Damage(
                        file: path, offset: damagedOffset, kind: "corrupt_record", detail: error.description,
                        skippedBytes: skip?.skippedBytes ?? 0))
            }
        }
        return nil
    }

    /// Every remaining entry.
    public func readAll() throws -> [Located] {
        var all: [Located] = []
        while let located = try next() { all.append(located) }
        return all
    }

    private func endFile() {
        reader?.close()
        reader = nil
        fileIndex += 1
    }

    /// Records `damage` (lenient) or throws `error` (strict).
    private func report(_ damage: Damage, _ error: CaptureError) throws {
        if mode == .strict { throw error }
        self.damage.append(damage)
    }
}

extension RecordError {
    /// The offset of the corrupt record this error reports, if it reports one.
    package var damagedRecordOffset: Int? {
        switch self {
        case .lengthCorrupt(let offset), .dataCorrupt(let offset), .recordTooLong(let offset, _): offset
        default: nil
        }
    }
}
