import Foundation

/// The JSON of Fleet's reports (`fleet status`, `fleet inspect`): sorted keys, slashes unescaped,
/// and infinities and NaN as the strings `inf`, `-inf` and `nan` (JSON has no numbers for them).
package enum ReportJSON {
    /// `value` as JSON; `pretty` indents it for people.
    package static func encode<Value: Encodable>(_ value: Value, pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Reads what ``encode(_:pretty:)`` wrote.
    package static func decode<Value: Decodable>(_: Value.Type, from json: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(Value.self, from: Data(json.utf8))
    }
}
