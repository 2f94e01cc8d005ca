import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import XCTest

@testable import FleetCluster
import FleetTestSupport
import FleetConfig
@testable import FleetTools

/// `MetricsLog` reading a run's metrics.jsonl, and `SVGPlot` drawing it.
final class PlotTests: XCTestCase {
    /// A run directory `name` whose metrics.jsonl has `steps` lines of MetricsJSONLWriter, then `extra`.
    private func writeRun(_ name: String, in root: URL, steps: Int, extra: String = "") throws -> URL {
        let directory = root.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let writer = try MetricsJSONLWriter(url: directory.appendingPathComponent("metrics.jsonl"))
        for index in 0..<steps {
            try writer.write(
                step: 512 * (index + 1), wallTime: 1000 + Double(index) * 0.5,
                scalars: [
                    MetricScalar(MetricTag.episodicReturn, 10 + Double(index) * (name == "b" ? 3 : 2)),
                    MetricScalar(MetricTag.valueLoss, index == 1 ? .nan : 1 / Double(index + 1)),
                ])
        }
        try writer.close()
        if !extra.isEmpty {
            let handle = try FileHandle(forWritingTo: directory.appendingPathComponent("metrics.jsonl"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(extra.utf8))
            try handle.close()
        }
        return directory
    }

    func testSeriesAreReadBackAndMalformedLinesSkippedAndCounted() throws {
        let root = try makeTemporaryDirectory(self)
        let run = try writeRun("a", in: root, steps: 4, extra: "not json\n\n{\"no_step\": 1}\n{\"step\": 9999, \"charts/SPS\"")
        let log = try MetricsLog(runDirectory: run)
        XCTAssertEqual(log.name, "a")
        XCTAssertEqual(log.rows.count, 4)
        XCTAssertEqual(log.malformedLines, 3, "a bad line, a line without step and a torn tail; the blank line is not counted")
        XCTAssertEqual(Set(log.tags), [MetricTag.episodicReturn, MetricTag.valueLoss])

        let returns = MetricsSeries(log, tag: MetricTag.episodicReturn)
        XCTAssertEqual(returns.points.map(\.x), [512, 1024, 1536, 2048])
        XCTAssertEqual(returns.points.map(\.y), [10, 12, 14, 16])
        // The NaN was written as null: that step has no value loss.
        XCTAssertEqual(MetricsSeries(log, tag: MetricTag.valueLoss).points.map(\.x), [512, 1536, 2048])
        XCTAssertEqual(MetricsSeries(log, tag: MetricTag.episodicReturn, x: .wall).points.map(\.x), [0, 0.5, 1, 1.5])
    }

    func testMissingFileAndMetricsAreClearErrors() throws {
        let root = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try MetricsLog(runDirectory: root.appendingPathComponent("nowhere"))) { error in
            XCTAssertEqual(error as? PlotError, .noMetricsFile(run: root.appendingPathComponent("nowhere").path))
        }
        let log = try MetricsLog(runDirectory: try writeRun("a", in: root, steps: 2))
        XCTAssertEqual(try MetricsLog.metricsToPlot([], in: [log]), [MetricTag.episodicReturn])
        XCTAssertThrowsError(try MetricsLog.metricsToPlot(["eval/accuracy"], in: [log])) { error in
            XCTAssertEqual(
                error as? PlotError,
                .noSuchMetric("eval/accuracy", available: [MetricTag.episodicReturn, MetricTag.valueLoss]))
            XCTAssertTrue("\(error)".contains("losses/value_loss"), "\(error)")
        }
        let language = MetricsLog(name: "lm", jsonl: Data("{\"step\": 1, \"eval/accuracy\": 0.5}\n".utf8))
        XCTAssertEqual(try MetricsLog.metricsToPlot([], in: [language]), [MetricTag.evalAccuracy])
        XCTAssertThrowsError(try MetricsLog.metricsToPlot([], in: [MetricsLog(name: "x", jsonl: Data())]))
    }

    func testTheSVGIsWellFormedWithAPolylineARunAndALegend() throws {
        let root = try makeTemporaryDirectory(self)
        let logs = [
            try MetricsLog(runDirectory: try writeRun("a", in: root, steps: 5)),
            try MetricsLog(runDirectory: try writeRun("b", in: root, steps: 3)),
        ]
        let tags = [MetricTag.episodicReturn, MetricTag.valueLoss]
        let svg = SVGPlot(
            panels: tags.map { tag in SVGPlot.Panel(title: tag, series: logs.map { MetricsSeries($0, tag: tag) }) },
            xLabel: PlotXAxis.step.label
        ).render()

        let document = try SVGDocument(svg)
        XCTAssertEqual(document.root, "svg")
        XCTAssertEqual(document.polylines.count, 4, "one a run in each of two panels")
        XCTAssertEqual(document.polylines.map(\.run), ["a", "b", "a", "b"])
        XCTAssertEqual(document.polylines.map(\.points), [5, 3, 4, 2])
        XCTAssertTrue(document.texts.contains("a") && document.texts.contains("b"), "\(document.texts)")
        XCTAssertTrue(document.texts.contains(MetricTag.episodicReturn))
        XCTAssertTrue(document.texts.contains(MetricTag.valueLoss))
        XCTAssertTrue(document.texts.contains("step"))
        XCTAssertTrue(document.texts.contains("2000"), "an x tick label: \(document.texts)")
    }

    func testNamesAreEscaped() throws {
        let series = MetricsSeries(name: "a<&>\"'b", tag: "t", points: [(0, 1), (1, 2)])
        let document = try SVGDocument(SVGPlot(panels: [.init(title: "x<y", series: [series])], xLabel: "step").render())
        XCTAssertEqual(document.polylines.map(\.run), ["a<&>\"'b"])
        XCTAssertTrue(document.texts.contains("x<y"))
    }

    func testLongRunNamesAreShortenedInTheLegendAndKeptWhole() throws {
        let name = "demo-cartpole-ppo-1796515880__seed-1"
        let series = MetricsSeries(name: name, tag: "t", points: [(0, 1), (1, 2)])
        let svg = SVGPlot(panels: [.init(title: "t", series: [series])], xLabel: "step").render()
        let document = try SVGDocument(svg)
        XCTAssertEqual(document.polylines.map(\.run), [name])
        XCTAssertTrue(document.texts.contains("demo-cartpol…880__seed-1"), "\(document.texts)")
        XCTAssertTrue(svg.contains("<title>\(name)</title>"))
        XCTAssertEqual(SVGPlot.legendLabel("short"), "short")
        XCTAssertEqual(SVGPlot.legendLabel(name).count, 24)
    }

    func testAxisTicksAreRoundAndCoverTheValues() {
        let axis = PlotAxis(values: [3, 97])
        XCTAssertEqual(axis.ticks, [0, 20, 40, 60, 80, 100])
        let flat = PlotAxis(values: [5, 5])
        XCTAssertLessThan(flat.lower, 5)
        XCTAssertGreaterThan(flat.upper, 5)
        XCTAssertEqual(PlotAxis.label(0.30000000000000004), "0.3")
        XCTAssertEqual(PlotAxis.label(2e7), "2e+07")
    }
}

/// An SVG parsed with Foundation's XMLParser: the root element, the polylines and the texts.
private final class SVGDocument: NSObject, XMLParserDelegate {
    var root: String?
    var polylines: [(run: String, points: Int)] = []
    var texts: [String] = []
    private var text: String?

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw parser.parserError ?? NSError(domain: "SVGDocument", code: 1)
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if root == nil { root = name }
        if name == "polyline" {
            let points = (attributes["points"] ?? "").split(separator: " ").count
            polylines.append((attributes["data-run"] ?? "", points))
        }
        if name == "text" { text = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let text {
            texts.append(text)
            self.text = nil
        }
    }
}
