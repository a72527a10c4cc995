import AssayCore
@testable import AssayReport
import Foundation
import Testing

/// The report says exactly what it measured: the trend's window, units on every figure, one definition per
/// percentage column, and why a severity is what it is.
@Suite struct ReportExactnessTests {
    /// The full sample run with `change` applied to every finding.
    static func markdown(_ change: (inout Finding) -> Void) throws -> String {
        var run = ReportFixtures.fullRun()
        run.layers = run.layers.map { layer in
            var layer = layer
            layer.findings = layer.findings.map { finding in
                var finding = finding
                change(&finding)
                return finding
            }
            return layer
        }
        return try ReportWriter.render(ReportBuilder(service: "svc").build(run), as: .markdown)
    }

    static func row(_ markdown: String, startingWith prefix: String) -> String? {
        markdown.split(separator: "\n").map(String.init).first { $0.hasPrefix(prefix) }
    }

    @Test func trendHeaderNamesTheWindowMeasured() throws {
        let minute = try Self.markdown { if $0.table == .resourceUtilization { $0.measurements["window_seconds"] = 60 } }
        #expect(minute.contains("| Metric | Observed | Threshold | Status | Trend (60 s) | Evidence |"))
        let week = try Self.markdown { if $0.table == .resourceUtilization { $0.measurements["window_seconds"] = 7 * 86_400 } }
        #expect(week.contains("| Trend (7 d) |"))
        let unknown = try Self.markdown { _ in }
        #expect(unknown.contains("| Metric | Observed | Threshold | Status | Trend | Evidence |"))
    }

    @Test func bottleneckRowsGiveUnitsAndTheSeverityReason() throws {
        let markdown = try Self.markdown { finding in
            guard finding.table == .bottleneckAnalysis else { return }
            finding.measurements["regression_ms"] = -0.00079
            finding.attributes["severity_reason"] = "the largest stage, 81% of mean request time"
        }
        #expect(markdown.contains("| Component | %Total Latency (of its source) | Latency (ms) | Regression | Severity |"))
        let row = try #require(Self.row(markdown, startingWith: "| Model Forward Pass |"))
        #expect(row.contains("| -0.00079 ms | Medium (the largest stage, 81% of mean request time) |"))
    }

    @Test func baselineFiguresCarryTheMetricsUnit() throws {
        let markdown = try Self.markdown { finding in
            guard finding.table == .performanceBaseline else { return }
            finding.check = "Disk I/O (MB/s), P95"
            finding.observed = Formatting.value(0.0031, unit: "MB/s")
            finding.measurements = ["baseline_mean": 0.002045, "baseline_ci95_low": 0.0019, "baseline_ci95_high": 0.0021]
            finding.attributes["unit"] = "MB/s"
        }
        let row = try #require(Self.row(markdown, startingWith: "| Disk I/O (MB/s), P95 |"))
        #expect(row.contains("| 0.00204 MB/s | [0.0019 MB/s, 0.0021 MB/s] | 0.0031 MB/s |"))
        #expect(!row.contains("%"))
    }

    @Test func millisecondsKeepThreeSignificantFiguresAndASpace() {
        #expect(Formatting.milliseconds(0.07822) == "0.0782")
        #expect(Formatting.milliseconds(0.0003) == "0.0003")
        #expect(Formatting.milliseconds(4.254) == "4.25")
        #expect(Formatting.milliseconds(480.4) == "480")
        #expect(Formatting.value(0.0994, unit: "ms") == "0.0994 ms")
        #expect(Formatting.value(64.77, unit: "%") == "64.8%")
        #expect(Formatting.duration(seconds: 60) == "60 s")
        #expect(Formatting.duration(seconds: 1800) == "30 min")
        #expect(Formatting.duration(seconds: 6 * 3600) == "6 h")
        #expect(Formatting.duration(seconds: 7 * 86_400) == "7 d")
        #expect(Formatting.duration(seconds: 640_500) == "7 d 10 h", "the issue's 7-day step, once '640500 s'")
        #expect(Formatting.duration(seconds: 45) == "45 s" && Formatting.duration(seconds: 720) == "12 min")
        #expect(Formatting.duration(seconds: 5 * 3600 + 1200) == "5 h 20 min" && Formatting.duration(seconds: .infinity) == "—")
    }

    /// report.html draws each series the findings carry, as inline SVG with no scripts or external resources;
    /// report.md stays text.
    @Test func htmlDrawsTheFindingsSeries() throws {
        var run = ReportFixtures.fullRun()
        let start = ReportFixtures.date
        run.layers = run.layers.map { layer in
            var layer = layer
            layer.findings = layer.findings.map { finding in
                var finding = finding
                switch (finding.table, finding.check) {
                case (.resourceUtilization, _):
                    finding.measurements["threshold"] = 80
                    finding.measurements["series_start"] = start.timeIntervalSince1970
                    finding.series["values"] = (0..<60).map { SeriesPoint(Double($0), $0 == 30 ? 97 : 60) }
                case (.anomalyDetection, "CPU Spike"):
                    finding.events = [FindingEvent(start: start.addingTimeInterval(29), end: start.addingTimeInterval(32), peak: 97, rise: 37)]
                case (.latencyProfile, "Inference"):
                    finding.series["cdf_ms"] = [SeriesPoint(200, 0), SeriesPoint(420, 0.95), SeriesPoint(500, 1)]
                    finding.measurements["count"] = 2000
                    finding.series["previous_cdf_ms"] = [SeriesPoint(190, 0), SeriesPoint(415, 0.95), SeriesPoint(480, 1)]
                case (.performanceBaseline, _):
                    finding.attributes["unit"] = "ms"
                    finding.series["history"] = (0..<5).map { SeriesPoint(start.timeIntervalSince1970 + Double($0) * 3600, 461 + Double($0)) }
                    finding.series["change_points"] = [SeriesPoint(start.timeIntervalSince1970 + 7200, 463)]
                default: break
                }
                return finding
            }
            if layer.layer == .resources {
                // A level shift of CPU against the host's normal, and a routine rise, which is not shaded.
                var anomalies = Finding(
                    table: .anomalyDetection, check: "Resource Anomalies", status: .watch, observed: "CPU: 1 level shift", expected: "—",
                    evidence: Evidence(path: "telemetry.jsonl", sha256: String(repeating: "a", count: 64)))
                anomalies.events = [
                    FindingEvent(start: start.addingTimeInterval(44), end: start.addingTimeInterval(50), peak: 80, rise: 20, detail: "CPU", kind: "level_shift", expected: false),
                    FindingEvent(start: start.addingTimeInterval(10), end: start.addingTimeInterval(12), peak: 80, rise: 20, detail: "CPU", kind: "spike", expected: true),
                ]
                layer.findings.append(anomalies)
            }
            return layer
        }
        let report = ReportBuilder(service: "svc").build(run)
        let html = try ReportWriter.render(report, as: .html)
        for id in ["resource-cpu-utilization", "latency-cdf-inference", "baseline-p95-latency"] {
            #expect(html.contains(#"id="\#(id)""#), "no chart \(id)")
        }
        let cpu = try #require(html.components(separatedBy: #"id="resource-cpu-utilization""#).last?.components(separatedBy: "</svg>").first)
        #expect(cpu.components(separatedBy: #"<rect class="span""#).count == 3, "the spike and the level shift are shaded, the routine rise is not")
        #expect(cpu.contains("CPU Utilization (%) · 1 spike, 1 level shift shaded"))
        #expect(cpu.contains("threshold 80.0%"))
        let cdf = try #require(html.components(separatedBy: #"id="latency-cdf-inference""#).last?.components(separatedBy: "</svg>").first)
        #expect(cdf.components(separatedBy: #"<polyline class="series""#).count == 3, "this run and the previous one")
        #expect(cdf.contains("P95 420 ms") && cdf.contains("P99 485 ms"))
        let baseline = try #require(html.components(separatedBy: #"id="baseline-p95-latency""#).last?.components(separatedBy: "</svg>").first)
        #expect(baseline.contains(#"<rect class="band""#) && baseline.contains("change point") && baseline.contains(#"class="marker""#))
        #expect(baseline.contains("hours since"), "runs an hour apart are placed in hours")
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href=\"http"))
        #expect(!(try ReportWriter.render(report, as: .markdown)).contains("<svg"))
        // report.json says where each drawn series comes from, as the captions do.
        let inference = try #require(report.layers.flatMap(\.findings).first { $0.table == .latencyProfile && $0.check == "Inference" })
        let cdfSource = try #require(inference.seriesSources["cdf_ms"])
        #expect(cdfSource.source == inference.primaryEvidence.reference && cdfSource.sha256 == inference.primaryEvidence.sha256)
        #expect(cdfSource.count == 2000 && cdfSource.countOf == "requests")
        #expect(inference.seriesSources["previous_cdf_ms"] != nil)
        let resource = try #require(report.layers.flatMap(\.findings).first { $0.table == .resourceUtilization && $0.series["values"] != nil })
        #expect(resource.seriesSources["values"]?.from == start && resource.seriesSources["values"]?.countOf == "samples")
        let json = try ReportWriter.render(report, as: .json)
        #expect(json.contains(#""series_sources" : {"#) && json.contains(#""count_of" : "requests""#))
        #expect(html.contains(ReportFigures.caption(cdfSource)))
        let flamegraph = Document.Figure(caption: "Flamegraph of trace.json", svg: #"<svg class="flamegraph"></svg>"#)
        let withTrace = try ReportWriter.render(report, as: .html, traceFigures: [flamegraph])
        let bottleneck = try #require(withTrace.components(separatedBy: "BOTTLENECK ANALYSIS").last?.components(separatedBy: "PERFORMANCE BASELINE").first)
        #expect(bottleneck.contains(#"<svg class="flamegraph">"#) && bottleneck.contains("<figcaption>Flamegraph of trace.json</figcaption>"))
    }

    /// Runs five minutes apart are placed in minutes (0, 5, 10…), not all at "0" hours; the caption counts them.
    @Test func baselineTimeAxisPicksItsUnit() throws {
        var run = ReportFixtures.fullRun()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        run.layers = run.layers.map { layer in
            var layer = layer
            layer.findings = layer.findings.map { finding in
                var finding = finding
                if finding.table == .performanceBaseline {
                    finding.series["history"] = (0..<5).map { SeriesPoint(start.timeIntervalSince1970 + Double($0) * 300, 461 + Double($0)) }
                }
                return finding
            }
            return layer
        }
        let figures = ReportFigures.baseline(ReportBuilder(service: "svc").build(run))
        let figure = try #require(figures.first)
        #expect(figure.svg.contains("minutes since") && figure.svg.contains(">20<"), "\(figure.svg)")
        #expect(figure.caption.contains("5 runs, "), "\(figure.caption)")
    }

    /// Every time axis reads in the unit its span calls for: 30 s in seconds, an hour in minutes, a day in hours, a week
    /// in days (a week of telemetry no longer reads 0 to 604800 "seconds since").
    @Test func timeAxesPickTheirUnit() {
        #expect(ReportFigures.timeAxis(span: 30).name == "seconds")
        #expect(ReportFigures.timeAxis(span: 3600).name == "minutes")
        #expect(ReportFigures.timeAxis(span: 86_400).name == "hours")
        let week = ReportFigures.timeAxis(span: 7 * 86_400)
        #expect(week.name == "days" && week.seconds == 86_400 && week.format(3) == "3")
        #expect(ReportFigures.timeAxis(span: 3 * 86_400).format(1.5) == "1.5")
    }

    /// A value that is not a number is left off the picture rather than drawn as "nan".
    @Test func nonFiniteValuesAreLeftOff() {
        let svg = Charts.plot(
            id: "t", title: "t", xLabel: "x", yLabel: "y",
            lines: [Charts.Line(name: "a", points: [SeriesPoint(0, 1), SeriesPoint(.nan, 2), SeriesPoint(2, .infinity), SeriesPoint(3, 4)], color: "#000")])
        #expect(svg.hasPrefix("<svg") && !svg.lowercased().contains("nan") && !svg.contains("inf"))
        #expect(Charts.plot(id: "e", title: "e", xLabel: "x", yLabel: "y", lines: [Charts.Line(name: "a", points: [SeriesPoint(.nan, .nan)], color: "#000")]).isEmpty)
    }

    /// A CDF runs along the top right of its P95 rule: the rule's label goes where no curve crosses it (the bottom
    /// right here), and a threshold's label leaves the series it would sit on.
    @Test func ruleLabelsStayClearOfTheCurves() throws {
        let cdf = (0...100).map { (x: Int) -> SeriesPoint in
            let ms = Double(x)
            return SeriesPoint(ms, x < 50 ? ms / 100 : 0.96 + ms / 2500)
        }
        let svg = Charts.plot(
            id: "c", title: "c", xLabel: "ms", yLabel: "fraction", lines: [Charts.Line(name: "run", points: cdf, color: "#000")],
            vertical: [Charts.Rule(value: 50, label: "P95 50 ms", color: "#111")], yFormat: { Formatting.number($0, digits: 1) })
        let label = try #require(svg.components(separatedBy: ">P95 50 ms<").first?.components(separatedBy: "<text ").last)
        let y = try #require(label.components(separatedBy: #"y=""#).last?.components(separatedBy: "\"").first.flatMap(Double.init))
        #expect(y > Charts.height / 2, "the label is at the bottom, clear of the curve at the top: \(label)")
        // Checked against the drawn geometry: no segment of the curve crosses the chosen label.
        #expect(!Charts.segment((x: 0, y: 0), (x: 10, y: 10), crosses: (left: 20, right: 30, top: 0, bottom: 10)))
        #expect(Charts.segment((x: 0, y: 0), (x: 40, y: 10), crosses: (left: 20, right: 30, top: 0, bottom: 10)))
        #expect(Charts.segment((x: 25, y: -5), (x: 25, y: 50), crosses: (left: 20, right: 30, top: 0, bottom: 10)))

        let flat = (0...20).map { SeriesPoint(Double($0), 80) }
        let threshold = Charts.plot(
            id: "t", title: "t", xLabel: "s", yLabel: "%", lines: [Charts.Line(name: "cpu", points: flat, color: "#000")],
            horizontal: [Charts.Rule(value: 79, label: "threshold 79%", color: "#111")], yRange: (0, 100))
        let text = try #require(threshold.components(separatedBy: ">threshold 79%<").first?.components(separatedBy: "<text ").last)
        let ty = try #require(text.components(separatedBy: #"y=""#).last?.components(separatedBy: "\"").first.flatMap(Double.init))
        let lineY = Charts.margin.top + (Charts.height - Charts.margin.top - Charts.margin.bottom) * 0.2
        #expect(ty > lineY + 3, "below the rule, since the series runs just above it: \(text)")
    }

    /// Status words carry no emoji in HTML (a machine without an emoji font draws empty boxes): each mark becomes a
    /// coloured badge with the word, a bare mark its word, and Markdown keeps the marks the report format shows.
    @Test func htmlStatusMarksAreBadgesNotEmoji() throws {
        #expect(HTMLRenderer.status("✅ Valid") == #"<span class="badge pass">Valid</span>"#)
        #expect(HTMLRenderer.status("⚠️ Stale") == #"<span class="badge warn">Stale</span>"#)
        #expect(HTMLRenderer.status("❌") == #"<span class="badge fail">no</span>"#)
        #expect(HTMLRenderer.status("— Not judged") == #"<span class="badge none">Not judged</span>"#)
        #expect(HTMLRenderer.status("—") == "—" && HTMLRenderer.status("a < b") == "a &lt; b")
        #expect(HTMLRenderer.status("ℹ️ Stated") == #"<span class="badge info">Stated</span>"#)
        #expect(HTMLRenderer.status("🧪 Tried") == #"<span class="badge info">Tried</span>"#)
        #expect(HTMLRenderer.status("done ✅ here") == "done  here")
        let report = ReportBuilder(service: "svc").build(ReportFixtures.fullRun())
        let html = try ReportWriter.render(report, as: .html)
        let emoji = html.unicodeScalars.filter { $0.properties.isEmojiPresentation || $0.value == 0xFE0F }
        #expect(emoji.isEmpty, "\(String(String.UnicodeScalarView(emoji)))")
        #expect(html.contains(#"<span class="badge pass">"#))
        #expect(try ReportWriter.render(report, as: .markdown).contains("✅"))
    }
}
