import Foundation

/// Numbers and columns for reports read by people.
package enum ReportFormat {
    /// `32768` as `32,768`.
    package static func count(_ value: some BinaryInteger) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// `1 record`, `32,768 records`: `value` and the noun, plural unless one (`plural` when not
    /// the noun with an `s`).
    package static func count(_ value: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count(value)) \(value == 1 ? noun : plural ?? noun + "s")"
    }

    /// A measured value: whole numbers as counts, others with a few significant digits and no
    /// trailing zeros (`23.35`, `-0.5`, `0.0125`).
    package static func number(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if value == value.rounded(), abs(value) < 1e15 { return count(Int64(value)) }
        let magnitude = abs(value)
        let text =
            magnitude >= 1000 ? String(format: "%.1f", value)
            : magnitude >= 1 ? String(format: "%.2f", value) : String(format: "%.3g", value)
        guard text.contains("."), !text.contains("e") else { return text }
        var trimmed = Substring(text)
        while trimmed.hasSuffix("0") { trimmed.removeLast() }
        if trimmed.hasSuffix(".") { trimmed.removeLast() }
        return String(trimmed)
    }

    /// A size: `812 B`, `57.0 KiB`, `1.2 MiB`.
    package static func bytes(_ value: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard value >= 1024 else { return "\(value) B" }
        var scaled = Double(value) / 1024
        var unit = 0
        while scaled >= 1024, unit < units.count - 1 {
            scaled /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", scaled, units[unit])
    }

    /// `5.19 s`.
    package static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }

    /// `rows` as lines of columns two spaces apart, each column as wide as its widest cell;
    /// the columns numbered in `rightAligned` are aligned right (numbers), the others left.
    package static func columns(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        let columnCount = rows.map(\.count).max() ?? 0
        let widths = (0..<columnCount).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                if rightAligned.contains(column) { return padding + cell }
                return column == row.count - 1 ? cell : cell + padding
            }.joined(separator: "  ")
        }
    }
}
