import Foundation

/// Learning curves as an SVG document: one panel a metric, stacked, each with one polyline a run
/// (`<polyline class="series" data-run="NAME">`), axes with ticks and labels, the metric as title
/// and a legend of the runs' names. Plain string building; SVG only.
public struct SVGPlot: Sendable {
    /// One chart: a title (the metric) and a curve a run.
    public struct Panel: Sendable {
        public let title: String
        public let series: [MetricsSeries]

        public init(title: String, series: [MetricsSeries]) {
            self.title = title
            self.series = series
        }
    }

    public let panels: [Panel]
    public let xLabel: String

    public static let width = 860.0
    public static let panelHeight = 340.0
    private static let margin = (left: 80.0, right: 200.0, top: 40.0, bottom: 50.0)
    /// Tableau's ten colors, a run each, in order.
    public static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    public init(panels: [Panel], xLabel: String) {
        self.panels = panels
        self.xLabel = xLabel
    }

    /// The SVG document.
    public func render() -> String {
        let height = Self.panelHeight * Double(max(panels.count, 1))
        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.n(Self.width))" height="\(Self.n(height))" \
            viewBox="0 0 \(Self.n(Self.width)) \(Self.n(height))" font-family="sans-serif" font-size="12">
            <rect x="0" y="0" width="\(Self.n(Self.width))" height="\(Self.n(height))" fill="white"/>

            """
        for (index, panel) in panels.enumerated() {
            svg += render(panel, top: Double(index) * Self.panelHeight)
        }
        return svg + "</svg>\n"
    }

    private func render(_ panel: Panel, top: Double) -> String {
        let m = Self.margin
        let left = m.left, right = Self.width - m.right
        let plotTop = top + m.top, plotBottom = top + Self.panelHeight - m.bottom
        let xAxis = PlotAxis(values: panel.series.flatMap { $0.points.map(\.x) })
        let yAxis = PlotAxis(values: panel.series.flatMap { $0.points.map(\.y) })
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * (right - left) }
        func py(_ y: Double) -> Double { plotBottom - yAxis.fraction(y) * (plotBottom - plotTop) }

        var out = "<g class=\"panel\">\n"
        out += "<text class=\"title\" x=\"\(Self.n((left + right) / 2))\" y=\"\(Self.n(top + 24))\" "
            + "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(Self.escape(panel.title))</text>\n"
        // Grid and ticks.
        for tick in xAxis.ticks {
            let x = Self.n(px(tick))
            out += "<line class=\"grid\" x1=\"\(x)\" y1=\"\(Self.n(plotTop))\" x2=\"\(x)\" y2=\"\(Self.n(plotBottom))\" stroke=\"#e5e5e5\"/>\n"
            out += "<line class=\"tick\" x1=\"\(x)\" y1=\"\(Self.n(plotBottom))\" x2=\"\(x)\" y2=\"\(Self.n(plotBottom + 5))\" stroke=\"black\"/>\n"
            out += "<text class=\"tick-label\" x=\"\(x)\" y=\"\(Self.n(plotBottom + 18))\" text-anchor=\"middle\">\(PlotAxis.label(tick))</text>\n"
        }
        for tick in yAxis.ticks {
            let y = Self.n(py(tick))
            out += "<line class=\"grid\" x1=\"\(Self.n(left))\" y1=\"\(y)\" x2=\"\(Self.n(right))\" y2=\"\(y)\" stroke=\"#e5e5e5\"/>\n"
            out += "<line class=\"tick\" x1=\"\(Self.n(left - 5))\" y1=\"\(y)\" x2=\"\(Self.n(left))\" y2=\"\(y)\" stroke=\"black\"/>\n"
            out += "<text class=\"tick-label\" x=\"\(Self.n(left - 8))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(PlotAxis.label(tick))</text>\n"
        }
        out += "<rect class=\"frame\" x=\"\(Self.n(left))\" y=\"\(Self.n(plotTop))\" width=\"\(Self.n(right - left))\" "
            + "height=\"\(Self.n(plotBottom - plotTop))\" fill=\"none\" stroke=\"black\"/>\n"
        // Axis labels.
        out += "<text class=\"x-label\" x=\"\(Self.n((left + right) / 2))\" y=\"\(Self.n(plotBottom + 38))\" "
            + "text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        let yMid = (plotTop + plotBottom) / 2
        out += "<text class=\"y-label\" x=\"\(Self.n(18))\" y=\"\(Self.n(yMid))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 18 \(Self.n(yMid)))\">\(Self.escape(panel.title))</text>\n"
        // Curves and legend.
        for (index, series) in panel.series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            let points = series.points.map { "\(Self.n(px($0.x))),\(Self.n(py($0.y)))" }.joined(separator: " ")
            out += "<polyline class=\"series\" data-run=\"\(Self.escape(series.name))\" fill=\"none\" stroke=\"\(color)\" "
                + "stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            let legendY = plotTop + 10 + Double(index) * 18
            out += "<g class=\"legend\"><title>\(Self.escape(series.name))</title><line x1=\"\(Self.n(right + 12))\" y1=\"\(Self.n(legendY))\" x2=\"\(Self.n(right + 32))\" "
                + "y2=\"\(Self.n(legendY))\" stroke=\"\(color)\" stroke-width=\"3\"/>"
                + "<text x=\"\(Self.n(right + 38))\" y=\"\(Self.n(legendY))\" dominant-baseline=\"middle\">"
                + "\(Self.escape(Self.legendLabel(series.name)))\(series.points.isEmpty ? " (no data)" : "")</text></g>\n"
        }
        return out + "</g>\n"
    }

    /// A run's name as the legend shows it: names longer than the legend's room (about 24
    /// characters) keep their start and end around an ellipsis; the full name is the entry's title.
    static func legendLabel(_ name: String, room: Int = 24) -> String {
        guard name.count > room else { return name }
        let tail = (room - 1) / 2
        return String(name.prefix(room - 1 - tail)) + "…" + String(name.suffix(tail))
    }

    /// A coordinate with at most two decimals.
    private static func n(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `text` safe inside an element or a double-quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters, escaped or not.
                if let scalar = character.unicodeScalars.first, scalar.value < 0x20, scalar != "\t", scalar != "\n" {
                    out += "?"
                } else {
                    out.append(character)
                }
            }
        }
        return out
    }
}
