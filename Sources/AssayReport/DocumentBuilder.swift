import AssayCore
import Foundation

/// Lays a `Report` out in the sections, order and table columns of REPORT_FORMAT.md.
public struct DocumentBuilder: Sendable {
    public var baselineWindowDays: Double
    /// Flamegraphs of the traces the report cites, drawn after BOTTLENECK ANALYSIS (HTML only).
    public var traceFigures: [Document.Figure] = []

    public init(baselineWindowDays: Double = 7) {
        self.baselineWindowDays = baselineWindowDays
    }

    /// Section headings, in order. Tests hold these against REPORT_FORMAT.md.
    public static let environmentColumns = ["Check", "Status", "Hash / Version", "Evidence Path", "Verified By"]
    public static let reproducibilityColumns = ["Dimension", "Expected", "Observed", "Drift (%)", "Verdict", "Evidence"]
    public static let resourceColumns = ["Metric", "Observed", "Threshold", "Status", "Trend (7d)", "Evidence"]

    /// The resource table's columns, its trend header naming the window the rows were measured over ("Trend (60 s)";
    /// REPORT_FORMAT.md's "Trend (7d)" only where the window is seven days).
    static func resourceColumns(_ report: Report) -> [String] {
        let windows = report.layer(.resources)?.findings(in: .resourceUtilization).compactMap { $0.measurements["window_seconds"] } ?? []
        var columns = resourceColumns
        guard let window = windows.max(), window > 0 else {
            columns[4] = "Trend"
            return columns
        }
        columns[4] = "Trend (\(Formatting.duration(seconds: window)))"
        return columns
    }

    public static let anomalyColumns = ["Type", "Detected", "Severity", "Impact", "Recommendation"]
    public static let latencyColumns = [
        "Stage", "Avg (ms)", "P95 (ms)", "P99 (ms)", "Δ vs Prev (ms)", "CI95", "%Total", "Status", "Evidence",
    ]
    public static let bottleneckColumns = [
        "Component", "%Total Latency (of its source)", "Latency (ms)", "Regression", "Severity", "Action", "Evidence",
    ]
    public static let baselineColumns = ["Metric", "Baseline Mean", "Baseline CI95", "Current", "Within Bounds?", "Evidence"]
    public static let optimizationColumns = [
        "Optimization", "Applied Date", "Δ P95 (ms)", "CI95", "Verified", "Status", "Evidence",
    ]

    public func document(_ report: Report) -> Document {
        var blocks: [Document.Block] = []
        blocks.append(
            .paragraph([
                .text("Run "), .code(report.run.id), .text(" · finished \(ReportFormatting.timestamp(report.run.finishedAt)) · configuration "),
                .code(report.run.configuration.path), .text(" (sha256 "), .code(report.run.configuration.shortDigest),
                .text(") · Assay \(report.run.assayVersion)"),
            ] + (report.run.mlflowRunID.map { [.text(" · MLflow run "), .code($0)] } ?? [])))

        blocks.append(.heading(level: 2, text: "INFRASTRUCTURE & PERFORMANCE SUMMARY"))
        blocks.append(.paragraph([.text(report.summary.text)]))

        blocks.append(.heading(level: 2, text: "ENVIRONMENT INTEGRITY"))
        blocks += table(report, .environmentIntegrity, Self.environmentColumns) { f in
            [[.text(f.check)], [.text(ReportFormatting.statusLabel(f))], [.code(f.observed)], evidence(f), [.text(f.verifiedBy ?? "Assay")]]
        }

        blocks.append(.heading(level: 2, text: "REPRODUCIBILITY STATUS"))
        blocks += table(report, .reproducibilityStatus, Self.reproducibilityColumns) { f in
            [
                [.text(f.check)], [.code(f.expected ?? "—")], [.code(f.observed)],
                [.text(f.measurements["drift_percent"].map { Formatting.percent($0) } ?? "—")],
                [.text(ReportFormatting.statusLabel(f))], evidence(f),
            ]
        }

        blocks.append(.heading(level: 2, text: "RESOURCE UTILIZATION"))
        blocks += table(report, .resourceUtilization, Self.resourceColumns(report)) { f in
            [
                [.text(f.check)], [.text(f.observed)], [.text(f.expected ?? "—")], [.text(ReportFormatting.statusLabel(f))],
                [.text(f.attributes["trend"] ?? "—")], evidence(f),
            ]
        }

        blocks += figures(ReportFigures.resources(report))

        blocks.append(.heading(level: 2, text: "ANOMALY DETECTION"))
        blocks += table(report, .anomalyDetection, Self.anomalyColumns) { f in
            let detected = f.status != .pass
            return [
                [.text(f.check)], [.text(detected ? "Yes" : "No")], [.text(detected ? severity(f) : "—")],
                [.text(f.attributes["impact"] ?? (detected ? f.observed : "—"))],
                [.text(f.recommendation ?? (detected ? "Investigate" : "Continue monitoring"))],
            ]
        }

        /// A percentile with how it was obtained when it is not from raw samples: "488 (±238, histogram)", "0.003 (summary)".
        func percentile(_ f: Finding, _ key: String) -> String {
            guard let value = f.measurements[key + "_ms"] else { return f.attributes[key + "_note"] == nil ? "—" : "insufficient samples" }
            if let error = f.measurements[key + "_error_ms"] {
                return "\(Formatting.milliseconds(value)) (±\(error.isFinite ? Formatting.milliseconds(error) : "∞"), histogram)"
            }
            if f.attributes["source"]?.contains("summary") == true { return "\(Formatting.milliseconds(value)) (summary)" }
            return Formatting.milliseconds(value)
        }

        blocks.append(.heading(level: 2, text: "LATENCY PROFILE"))
        blocks += table(report, .latencyProfile, Self.latencyColumns) { f in
            let m = f.measurements
            let isTotal = f.check == "Total"
            func cell(_ text: String) -> Document.Cell { isTotal ? [.bold(text)] : [.text(text)] }
            return [
                cell(f.check),
                cell(m["mean_ms"].map(Formatting.milliseconds) ?? "—"),
                cell(percentile(f, "p95")),
                cell(percentile(f, "p99")),
                cell(m["delta_ms"].map(Formatting.signedMilliseconds) ?? "—"),
                cell(interval(m["ci95_low_ms"], m["ci95_high_ms"])),
                cell(m["percent_total"].map { Formatting.percent($0, digits: 0) } ?? "—"),
                cell(ReportFormatting.statusLabel(f)),
                isTotal ? [.text("—")] : evidence(f),
            ]
        }

        blocks += figures(ReportFigures.latency(report))

        blocks.append(.heading(level: 2, text: "BOTTLENECK ANALYSIS"))
        blocks += table(report, .bottleneckAnalysis, Self.bottleneckColumns) { f in
            let m = f.measurements
            return [
                [.text(f.check)], [.text(m["percent_total"].map { Formatting.percent($0, digits: 0) } ?? "—")],
                [.text(m["latency_ms"].map(Formatting.milliseconds) ?? "—")],
                [.text(m["regression_ms"].map { Formatting.signedMilliseconds($0) + " ms" } ?? "—")],
                [.text(severity(f))], [.text(f.recommendation ?? "—")], evidence(f),
            ]
        }
        let details = report.layer(.latency)?.findings(in: .bottleneckAnalysis).compactMap { f -> [Document.Span]? in
            guard let detail = f.attributes["detail"] else { return nil }
            return [.bold(f.check + ":"), .text(" " + detail)]
        } ?? []
        if !details.isEmpty {
            blocks.append(.paragraph([.bold("Bottleneck details")]))
            blocks.append(.list(ordered: false, items: details))
        }
        blocks += figures(traceFigures)

        let days = ReportFormatting.number(baselineWindowDays)
        blocks.append(.heading(level: 2, text: "PERFORMANCE BASELINE (\(days)-Day Rolling)"))
        blocks += table(report, .performanceBaseline, Self.baselineColumns) { f in
            let m = f.measurements
            // The baseline in the unit and precision of the current figure.
            let unit = f.attributes["unit"]
            let format: (Double) -> String = { value in unit.map { Formatting.value(value, unit: $0) } ?? ReportFormatting.number(value) }
            return [
                [.text(f.check)], [.text(m["baseline_mean"].map(format) ?? "—")],
                [.text(interval(m["baseline_ci95_low"], m["baseline_ci95_high"], format: format))], [.text(f.observed)],
                [.text(ReportFormatting.statusLabel(f))], evidence(f),
            ]
        }

        blocks += figures(ReportFigures.baseline(report))

        blocks.append(.heading(level: 2, text: "OPTIMIZATION IMPACT TRACKING"))
        // Optimizations are recorded by `assay optimize validate`, not measured by the audit: an empty table says so
        // the same way whether or not the baseline above had history enough.
        blocks += table(
            report, .optimizationImpact, Self.optimizationColumns,
            empty: "No optimization validated yet: `assay optimize validate` records one", emptyEvenIfNotVerified: true
        ) { f in
            let m = f.measurements
            return [
                [.text(f.check)], [.text(f.attributes["applied_date"] ?? "—")],
                [.text(m["delta_p95_ms"].map(Formatting.signedMilliseconds) ?? "—")],
                [.text(interval(m["ci95_low_ms"], m["ci95_high_ms"]))],
                [.text(f.status == .pass ? "✅" : "❌")], [.text(ReportFormatting.statusLabel(f))], evidence(f),
            ]
        }

        blocks.append(.heading(level: 2, text: "CAPACITY PLANNING"))
        if let capacity = report.layer(.capacity), capacity.isVerified {
            for f in capacity.findings(in: .capacityPlanning) {
                var spans: [Document.Span] = [.bold(f.check + ":"), .text(" " + f.observed)]
                if let expected = f.expected { spans.append(.text(" (limit \(expected))")) }
                spans += [.text(" — "), .text(ReportFormatting.statusLabel(f))]
                if let recommendation = f.recommendation { spans.append(.text(". Recommended: \(recommendation)")) }
                spans += [.text(" · ")] + evidence(f)
                blocks.append(.paragraph(spans))
            }
            blocks += figures(ReportFigures.capacity(report))
        } else {
            blocks.append(.paragraph(notVerifiedSpans(report.layer(.capacity))))
        }

        blocks.append(.heading(level: 2, text: "FINAL VERDICT & RECOMMENDATIONS"))
        let a = report.assessments
        blocks.append(
            .list(
                ordered: false,
                items: [
                    [.bold("Environment verdict:"), .text(" " + a.environment)],
                    [.bold("Reproducibility verdict:"), .text(" " + a.reproducibility)],
                    [.bold("Resource verdict:"), .text(" " + a.resources)],
                    [.bold("Performance verdict:"), .text(" " + a.performance)],
                    [.bold("Capacity verdict:"), .text(" " + a.capacity)],
                    [.bold("Overall assessment:"), .text(" " + a.overall)],
                ]))
        blocks.append(.paragraph([.bold("Recommended actions")]))
        blocks.append(.list(ordered: true, items: report.recommendations.map { [.text($0)] }))
        blocks.append(.paragraph([.bold("Escalation:"), .text(" " + (report.escalation ?? "none required"))]))
        blocks.append(.paragraph([.bold("Next review:"), .text(" " + ReportFormatting.timestamp(report.nextReview))]))
        blocks.append(.paragraph([.bold("Questions for the operator")]))
        blocks.append(
            .list(
                ordered: true,
                items: report.operatorQuestions.isEmpty
                    ? [[.text("None: every check passed.")]] : report.operatorQuestions.map { [.text($0.question)] }))
        blocks.append(.quote(Self.inlineBold(report.finalVerdictLine)))
        return Document(title: "Assay audit — \(report.service)", blocks: blocks)
    }

    func table(
        _ report: Report, _ table: ReportTable, _ columns: [String], empty: String = "No checks of this kind configured",
        emptyEvenIfNotVerified: Bool = false, row: (Finding) -> [Document.Cell]
    ) -> [Document.Block] {
        let dashes = Array(repeating: [Document.Span.text("—")], count: columns.count - 1)
        let findings = report.layer(table.layer)?.findings(in: table) ?? []
        if findings.isEmpty, emptyEvenIfNotVerified {
            return [.table(columns: columns, rows: [[[Document.Span.text(empty)]] + dashes])]
        }
        guard let layer = report.layer(table.layer), layer.isVerified else {
            return [.paragraph(notVerifiedSpans(report.layer(table.layer))), .table(columns: columns, rows: [[[Document.Span.text("Not verified")]] + dashes])]
        }
        if findings.isEmpty {
            return [.table(columns: columns, rows: [[[Document.Span.text(empty)]] + dashes])]
        }
        return [.table(columns: columns, rows: findings.map(row))]
    }

    func notVerifiedSpans(_ layer: LayerResult?) -> [Document.Span] {
        [.bold("Not verified:"), .text(" " + (layer?.notVerifiedReason ?? "not run in this audit") + ".")]
    }

    /// A row of pictures, or nothing when there is nothing to draw.
    func figures(_ figures: [Document.Figure]) -> [Document.Block] {
        figures.isEmpty ? [] : [.figures(figures)]
    }

    /// The severity, with its reason when the finding states one: "Medium (the largest stage, 81% of mean request time)".
    func severity(_ finding: Finding) -> String {
        finding.severity.rawValue.capitalized + (finding.attributes["severity_reason"].map { " (\($0))" } ?? "")
    }

    func evidence(_ finding: Finding) -> Document.Cell {
        let e = finding.primaryEvidence
        var spans: Document.Cell = [.code(e.reference), .text(" · "), .code("sha256:" + e.shortDigest)]
        if let run = e.mlflowRunID { spans += [.text(" · MLflow "), .code(run)] }
        if let commit = e.gitCommit { spans += [.text(" · commit "), .code(String(commit.prefix(12)))] }
        if let age = finding.attributes["stale"] ?? finding.attributes["recorded"] { spans += [.text(" · " + age)] }
        return spans
    }

    func interval(
        _ low: Double?, _ high: Double?, format: (Double) -> String = Formatting.signedMilliseconds
    ) -> String {
        guard let low, let high else { return "—" }
        return "[\(format(low)), \(format(high))]"
    }

    /// Splits `**bold** rest` into spans.
    static func inlineBold(_ text: String) -> [Document.Span] {
        var spans: [Document.Span] = []
        let parts = text.components(separatedBy: "**")
        for (index, part) in parts.enumerated() where !part.isEmpty {
            spans.append(index % 2 == 1 ? .bold(part) : .text(part))
        }
        return spans
    }
}
