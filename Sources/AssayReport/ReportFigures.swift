import AssayCore
import Foundation

/// The pictures of report.html, drawn from the series the findings carry: each stage's latency distribution
/// against the previous run, each resource over its window with its threshold and spikes, each baseline metric's
/// history with its band and change points, and the capacity curve with its knee and projections.
enum ReportFigures {
    static func latency(_ report: Report) -> [Document.Figure] {
        (report.layer(.latency)?.findings(in: .latencyProfile) ?? []).compactMap { f in
            guard let current = f.series["cdf_ms"], !current.isEmpty else { return nil }
            var lines = [Charts.Line(name: "this run", points: current, color: Charts.current)]
            if let previous = f.series["previous_cdf_ms"] { lines.insert(Charts.Line(name: "previous run", points: previous, color: Charts.previous, dashed: true), at: 0) }
            let rules = [("P95", f.measurements["p95_ms"]), ("P99", f.measurements["p99_ms"])].compactMap { name, value in
                value.map { Charts.Rule(value: $0, label: "\(name) \(Formatting.milliseconds($0)) ms", color: Charts.note) }
            }
            let svg = Charts.plot(
                id: "latency-cdf-" + slug(f.check), title: "\(f.check): latency distribution", xLabel: "latency (ms)",
                yLabel: "fraction of requests", lines: lines, vertical: rules, yFormat: { Formatting.number($0, digits: 1) })
            return Document.Figure(
                caption: "\(f.check): share of requests at or under each latency, this run against the previous one. "
                    + caption(source(f, "cdf_ms")),
                svg: svg)
        }
    }

    static func resources(_ report: Report) -> [Document.Figure] {
        let findings = report.layer(.resources)?.findings ?? []
        // The alarms drawn on each chart: CPU spikes, and the drops, level shifts and spikes of the metric against its
        // host's normal (routine rises are not shaded).
        func events(_ check: String) -> [FindingEvent] { findings.first { $0.table == .anomalyDetection && $0.check == check }?.events ?? [] }
        let metric = ["CPU Utilization (%)": "CPU", "Memory Usage (%)": "memory", "GPU Utilization (%)": "GPU utilization", "Disk I/O (MB/s)": "disk I/O"]
        func alarms(_ chart: String) -> [FindingEvent] {
            guard let name = metric[chart] else { return [] }
            return ((name == "CPU" ? events("CPU Spike") : []) + events("Resource Anomalies").filter { $0.detail == name })
                .filter { $0.expected != true }.sorted { $0.start < $1.start }
        }
        return findings.filter { $0.table == .resourceUtilization }.compactMap { f in
            guard let values = f.series["values"], values.count > 1 else { return nil }
            let start = f.measurements["series_start"] ?? 0
            let unit = f.check.contains("(MB/s)") ? "MB/s" : "%"
            let axis = timeAxis(span: (values.last?.x ?? 0) - (values.first?.x ?? 0))
            let shown = alarms(f.check)
            let spans = shown.map { (from: ($0.start.timeIntervalSince1970 - start) / axis.seconds, to: ($0.end.timeIntervalSince1970 - start) / axis.seconds) }
            // (A report from before events had kinds holds CPU spikes only.)
            let tally = FindingEvent.tally(shown.map { $0.kind ?? "spike" })
            let svg = Charts.plot(
                id: "resource-" + slug(f.check), title: f.check + (tally.isEmpty ? "" : " · \(tally) shaded"),
                xLabel: "\(axis.name) since " + ReportFormatting.timestamp(Date(timeIntervalSince1970: start)), yLabel: unit,
                lines: [Charts.Line(name: f.check, points: values.map { SeriesPoint($0.x / axis.seconds, $0.y) }, color: Charts.current)],
                horizontal: f.measurements["threshold"].map { [Charts.Rule(value: $0, label: "threshold \(Formatting.value($0, unit: unit))", color: Charts.limit)] } ?? [],
                spans: spans, yRange: unit == "%" ? (0, 100) : nil, xFormat: axis.format,
                yFormat: { Formatting.number($0, digits: unit == "%" ? 0 : 1) })
            return Document.Figure(
                caption: "\(f.check) over the telemetry window, with its threshold. " + caption(source(f, "values")), svg: svg)
        }
    }

    static func baseline(_ report: Report) -> [Document.Figure] {
        (report.layer(.baseline)?.findings(in: .performanceBaseline) ?? []).compactMap { f in
            guard let history = f.series["history"], history.count > 1, let low = f.measurements["baseline_ci95_low"],
                let high = f.measurements["baseline_ci95_high"]
            else { return nil }
            let unit = f.attributes["unit"] ?? ""
            let origin = history[0].x
            // The time axis in the unit the span calls for: runs minutes apart read 0, 5, 10 min, not 0, 0, 0 h.
            let axis = timeAxis(span: history[history.count - 1].x - origin)
            let hours = history.map { SeriesPoint(($0.x - origin) / axis.seconds, $0.y) }
            let changes = (f.series["change_points"] ?? []).map {
                Charts.Rule(value: ($0.x - origin) / axis.seconds, label: "change point", color: Charts.note)
            }
            let svg = Charts.plot(
                id: "baseline-" + slug(f.check), title: f.check, xLabel: "\(axis.name) since " + ReportFormatting.timestamp(Date(timeIntervalSince1970: origin)),
                yLabel: unit, lines: [Charts.Line(name: "runs", points: Array(hours.dropLast()), color: Charts.previous, dots: true)],
                vertical: changes,
                band: (low, high, "baseline CI95 [\(Formatting.value(low, unit: unit)), \(Formatting.value(high, unit: unit))]"),
                markers: hours.last.map { [Charts.Marker(point: $0, label: "current", color: f.status == .pass ? Charts.current : Charts.limit)] } ?? [],
                xFormat: axis.format)
            return Document.Figure(
                caption: "\(f.check): each stored run, the baseline's CI95 (shaded) and this run. " + caption(source(f, "history")), svg: svg)
        }
    }

    /// Where each of the finding's series comes from: the cited file and its sha256, the readings it summarises and
    /// their window, as report.json's `series_sources` and every chart's caption give them.
    static func sources(_ f: Finding) -> [String: SeriesSource] {
        let evidence = f.primaryEvidence
        func date(_ key: String) -> Date? { f.measurements[key].flatMap { $0 > 0 ? Date(timeIntervalSince1970: $0) : nil } }
        var sources: [String: SeriesSource] = [:]
        for (name, points) in f.series {
            switch name {
            case "cdf_ms":
                sources[name] = SeriesSource(
                    evidence, count: f.measurements["count"].map(Int.init), of: "requests", from: date("recorded_from"), to: date("recorded_to"))
            case "previous_cdf_ms":
                // The previous run's log is the row's second evidence.
                sources[name] = SeriesSource(f.evidence.count > 1 ? f.evidence[1] : evidence)
            case "values":
                let start = date("series_start")
                sources[name] = SeriesSource(
                    evidence, count: f.measurements["samples"].map(Int.init) ?? points.count, of: "samples", from: start,
                    to: start.map { $0.addingTimeInterval(f.measurements["window_seconds"] ?? 0) })
            case "history", "change_points":
                let history = f.series["history"] ?? points
                sources[name] = SeriesSource(
                    evidence, count: history.count, of: "runs", from: history.first.map { Date(timeIntervalSince1970: $0.x) },
                    to: history.last.map { Date(timeIntervalSince1970: $0.x) })
            case "curve":
                sources[name] = SeriesSource(evidence, count: points.count, of: "load steps", from: date("recorded_to"), to: date("recorded_to"))
            default:
                sources[name] = SeriesSource(evidence, count: points.count, of: "points")
            }
        }
        return sources
    }

    /// The source of one series: the one the report recorded (`ReportBuilder` fills them in; a pushed report carries
    /// its own), else made from the finding, for a report written before series had sources.
    static func source(_ f: Finding, _ name: String) -> SeriesSource? {
        f.seriesSources[name] ?? sources(f)[name]
    }

    /// "Source: runs/latency.jsonl#L1-2000 sha256:cd5f7ce721d5, 2000 requests, 2026-11-29T03:39:41Z to …."
    static func caption(_ source: SeriesSource?) -> String {
        guard let source else { return "" }
        var parts = ["\(source.source) sha256:\(source.sha256.prefix(12))"]
        if let count = source.count { parts.append("\(count) \(source.countOf ?? "points")") }
        if let from = source.from {
            let to = source.to ?? from
            parts.append(from == to ? ReportFormatting.timestamp(from) : "\(ReportFormatting.timestamp(from)) to \(ReportFormatting.timestamp(to))")
        }
        return "Source: " + parts.joined(separator: ", ") + "."
    }

    static func capacity(_ report: Report) -> [Document.Figure] {
        let findings = report.layer(.capacity)?.findings(in: .capacityPlanning) ?? []
        guard let plan = findings.first(where: { $0.series["curve"] != nil }), let curve = plan.series["curve"], !curve.isEmpty else { return [] }
        let projections = findings.compactMap { f -> Charts.Marker? in
            guard let rate = f.measurements["rate_rps"], let p95 = f.measurements["projected_p95_ms"] else { return nil }
            return Charts.Marker(point: SeriesPoint(rate, p95), label: f.check, color: f.status == .pass ? Charts.current : Charts.limit)
        }
        let svg = Charts.plot(
            id: "capacity-curve", title: "Capacity: P95 latency against load", xLabel: "requests per second", yLabel: "P95 (ms)",
            lines: [Charts.Line(name: "measured (HTTP load test)", points: curve, color: Charts.previous, dots: true)],
            horizontal: plan.measurements["objective_p95_ms"].map { [Charts.Rule(value: $0, label: "objective \(Formatting.milliseconds($0)) ms", color: Charts.limit)] } ?? [],
            vertical: plan.measurements["knee_rps"].flatMap { $0 > 0 ? [Charts.Rule(value: $0, label: "knee \(Formatting.number($0, digits: 0)) req/s", color: Charts.note)] : nil } ?? [],
            markers: projections, xFormat: { Formatting.number($0, digits: 0) })
        return [
            Document.Figure(
                caption: "The load test's P95 at each rate, its knee, and the projected traffic (queueing model). "
                    + caption(source(plan, "curve")),
                svg: svg)
        ]
    }

    /// The unit a time axis over `span` seconds reads in: seconds up to two minutes, minutes up to two hours, hours up
    /// to two days, then days; with a decimal where the span is under five units.
    static func timeAxis(span: Double) -> (name: String, seconds: Double, format: @Sendable (Double) -> String) {
        let (name, seconds) = span < 120 ? ("seconds", 1.0) : span < 2 * 3600 ? ("minutes", 60.0) : span < 2 * 86_400 ? ("hours", 3600.0) : ("days", 86_400.0)
        let digits = span / seconds < 5 ? 1 : 0
        return (name, seconds, { Formatting.number($0, digits: digits) })
    }

    static func slug(_ text: String) -> String {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: "-")
    }
}
