import AssayCore
import AssayReport
import AssayTestSupport
import Foundation
import Testing

/// Holds the rendered report against ../shared/REPORT_FORMAT.md (copied into Fixtures).
@Suite struct ReportFormatTests {
    struct Expected {
        var headings: [String]
        var tables: [[String]]
    }

    static func expected() throws -> Expected {
        let url = URL(fileURLWithPath: try TestFiles.fixture("REPORT_FORMAT" + ".md", in: .module))
        return parse(try String(contentsOf: url, encoding: .utf8))
    }

    static func parse(_ markdown: String) -> Expected {
        var headings: [String] = []
        var tables: [[String]] = []
        var previousWasTable = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { headings.append(String(line.dropFirst(3))) }
            let isTable = line.hasPrefix("|")
            if isTable, !previousWasTable {
                tables.append(line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            }
            previousWasTable = isTable
        }
        return Expected(headings: headings, tables: tables)
    }

    static func rendered(_ run: AuditRun) throws -> String {
        try ReportWriter.render(ReportBuilder(service: "svc").build(run), as: .markdown)
    }

    @Test(arguments: ["full", "partial"])
    func markdownHasEverySectionInOrder(_ which: String) throws {
        let expected = try Self.expected()
        let run = which == "full" ? ReportFixtures.fullRun() : ReportFixtures.partialRun()
        let actual = Self.parse(try Self.rendered(run))
        let formatHeadings = expected.headings.filter { $0 != "Rules of judgement (defaults; all configurable)" }
        #expect(actual.headings == formatHeadings)
        #expect(actual.tables.map(Self.withoutQualifiers) == expected.tables.map(Self.withoutQualifiers))
    }

    /// Columns whose header states what the report measured: the trend's window ("Trend (60 s)" where the format
    /// shows "Trend (7d)") and the share's definition ("%Total Latency (of its source)").
    static func withoutQualifiers(_ columns: [String]) -> [String] {
        columns.map { column in
            ["Trend (", "%Total Latency ("].contains { column.hasPrefix($0) } || column == "%Total Latency"
                ? String(column.prefix { $0 != "(" }).trimmingCharacters(in: .whitespaces) : column
        }
    }

    @Test func reportEndsWithTheVerdictLine() throws {
        let markdown = try Self.rendered(ReportFixtures.fullRun())
        let last = try #require(markdown.split(separator: "\n").last)
        #expect(last.hasPrefix("> **Final Verdict:** NEEDS FIX — "))
        #expect(last.contains("resource threshold breached: CPU Utilization (%)"))
        #expect(last.contains("environment verified via hash audit"))
    }

    @Test func notVerifiedLayersShowTheReasonAndNoNumbers() throws {
        let markdown = try Self.rendered(ReportFixtures.partialRun())
        let latency = try #require(markdown.components(separatedBy: "## LATENCY PROFILE").last?.components(separatedBy: "## ").first)
        #expect(latency.contains("**Not verified:** not configured."))
        #expect(latency.contains("| Not verified | — | — | — | — | — | — | — | — |"))
        let rows = latency.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| Stage") }
        #expect(rows == ["| Not verified | — | — | — | — | — | — | — | — |"])
    }

    @Test func tablesCiteEvidenceWithShortDigest() throws {
        let markdown = try Self.rendered(ReportFixtures.fullRun())
        #expect(markdown.contains("`reproducibility_logs.json#8721` · `sha256:bbbbbbbbbbbb`"))
        #expect(markdown.contains("| **Total** | **310** | **463** | **539** |"))
        #expect(markdown.contains("| Inference | 280 | 420 | 485 | +5.00 | [-1.20, +8.30] | 90% | ✅ Stable |"))
    }

    @Test func questionsAreGroundedInFindings() throws {
        let report = ReportBuilder(service: "svc").build(ReportFixtures.fullRun())
        #expect(report.operatorQuestions.contains { $0.check == "CPU Utilization (%)" && $0.question.contains("86") })
        #expect(report.operatorQuestions.allSatisfy { q in q.check == nil || report.layers.flatMap(\.findings).contains { $0.check == q.check } })
        #expect(report.escalation?.contains("CPU Utilization (%)") == true)
    }

    @Test func nextReviewFollowsTheInterval() {
        var thresholds = Thresholds()
        thresholds.report.reviewIntervalHours = 12
        let report = ReportBuilder(service: "svc", thresholds: thresholds).build(ReportFixtures.fullRun())
        #expect(report.nextReview == ReportFixtures.date.addingTimeInterval(3 + 12 * 3600))
    }
}
