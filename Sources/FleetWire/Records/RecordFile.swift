/// The record file format: Fleet's capture format.
///
/// A record file is a header followed by records. Every integer is little-endian. Every checksum
/// is a CRC-32C masked with ``CRC32C/mask(_:)`` (the TFRecord mask).
///
/// ```
/// header    magic            8 bytes  "FLEETREC"
///           format version   u32      1 (``formatVersion``)
///           schema version   u32      wire schema version of the payloads (1 for now)
///           run id length    u16      n <= ``maxRunIDLength``
///           run id           n bytes  UTF-8
///           header checksum  u32      masked CRC-32C of every header byte above
/// record    length           u64      L, the data length
///  (0..n)   length checksum  u32      masked CRC-32C of the 8 length bytes
///           data             L bytes  an opaque payload (an encoded wire message)
///           data checksum    u32      masked CRC-32C of the data
/// ```
///
/// Records are TFRecord-framed, so a record takes `L + 16` bytes. A file that ends exactly after
/// a record (or after the header) ends cleanly; one that ends inside a record has a torn tail
/// (a write cut short) that ``RecordWriter/openForAppend(path:maxRecordLength:bufferCapacity:)``
/// cuts back. Any checksum mismatch is corruption, reported with the record's offset; a lenient
/// reader skips the record and finds the next one (``RecordReader/skipDamage()``).
///
/// ``RecordWriter`` writes these files and ``RecordReader`` reads them.
public enum RecordFile {
    /// The 8 bytes every record file starts with.
    public static let magic: [UInt8] = Array("FLEETREC".utf8)
    /// The format version this code writes and reads.
    public static let formatVersion: UInt32 = 1
    /// The longest run id a header may hold, in UTF-8 bytes.
    public static let maxRunIDLength = 1024
    /// The longest record readers and writers accept unless told otherwise (64 MiB).
    public static let defaultMaxRecordLength = 64 << 20
    /// Bytes a record takes besides its data: length, length checksum, data checksum.
    public static let recordOverhead = 16

    /// Size of the length field plus its checksum, which precede the data.
    static let recordPrefixSize = 12
}
