import AssayCore
import AssayReport
import Foundation
import Testing

@Suite struct SummaryTests {
    @Test func composeStopsBeforeTheLimit() {
        let sentences = ["one two three.", "four five.", "six seven eight nine.", "ten."]
        #expect(Summary.compose(sentences, maxWords: 5) == "one two three. four five.")
        #expect(Summary.compose(sentences, maxWords: 6) == "one two three. four five. ten.")
        #expect(Summary.compose(sentences, maxWords: 100) == "one two three. four five. six seven eight nine. ten.")
    }

    @Test func overlongFirstSentenceIsCut() {
        let text = Summary.compose([Array(repeating: "word", count: 300).joined(separator: " ")], maxWords: 250)
        #expect(Summary.wordCount(text) == 250)
        #expect(text.hasSuffix("…"))
    }

    @Test(arguments: [250, 60, 20])
    func reportSummaryNeverExceedsTheLimit(_ limit: Int) {
        var run = ReportFixtures.fullRun()
        let many = (0..<200).map { index in
            Finding(
                table: .environmentIntegrity, check: "Dependency Lock: package-\(index) with a long descriptive name",
                status: .integrityFailure, observed: "version \(index).0.1 instead of the approved \(index).0.0",
                evidence: ReportFixtures.evidence("requirements.txt"))
        }
        run.layers[0].findings += many
        run.judgement = VerdictRules().judge(run.layers)
        var thresholds = Thresholds()
        thresholds.report.summaryMaxWords = limit
        let report = ReportBuilder(service: "svc", thresholds: thresholds).build(run)
        #expect(report.summary.wordCount <= limit)
        #expect(Summary.wordCount(report.summary.text) == report.summary.wordCount)
        #expect(report.summary.text.contains("AT RISK"))
    }
}
