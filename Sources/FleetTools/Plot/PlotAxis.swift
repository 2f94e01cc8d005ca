import Foundation

/// A linear axis over some values: a domain widened to "nice" round ticks (1, 2 or 5 times a power
/// of ten), about `targetTicks` of them.
public struct PlotAxis: Sendable, Equatable {
    /// The domain's lower end: the first tick.
    public let lower: Double
    /// The domain's upper end: the last tick.
    public let upper: Double
    /// The ticks from `lower` to `upper`, evenly spaced.
    public let ticks: [Double]

    /// An axis covering `values`: 0 to 1 without values, and padded by 10% (or by 1 around 0) when they
    /// are all equal.
    public init(values: [Double], targetTicks: Int = 5) {
        var low = values.min() ?? 0
        var high = values.max() ?? 1
        if low == high {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let spacing = Self.niceSpacing((high - low) / Double(max(targetTicks, 1)))
        let lower = (low / spacing).rounded(.down) * spacing
        let upper = (high / spacing).rounded(.up) * spacing
        let count = Int(((upper - lower) / spacing).rounded()) + 1
        self.lower = lower
        self.upper = upper
        ticks = (0..<count).map { lower + Double($0) * spacing }
    }

    /// Where `value` falls between `lower` (0) and `upper` (1).
    public func fraction(_ value: Double) -> Double {
        upper > lower ? (value - lower) / (upper - lower) : 0.5
    }

    /// A tick's label: short, without trailing zeros; exponent form for very large or small values.
    public static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-3 { return String(format: "%.3g", value) }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    private static func niceSpacing(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, (log10(raw)).rounded(.down))
        let mantissa = raw / power
        let nice: Double = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10
        return nice * power
    }
}
