import AssayCore
import Foundation

/// How figures and statuses are written in the report.
enum ReportFormatting {
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash))
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12
            ? String(Int(value)) : value.formatted(.number.precision(.significantDigits(1...4)).grouping(.never))
    }

    static func statusNoun(_ status: FindingStatus) -> String {
        switch status {
        case .pass: "passed"
        case .watch: "to watch"
        case .breach: "breached"
        case .integrityFailure: "integrity failures"
        case .unverified: "unverified"
        case .notJudged: "not judged"
        }
    }

    /// The status cell of a row: the finding's own wording, or the table's word for its status.
    static func statusLabel(_ finding: Finding) -> String {
        if let label = finding.statusLabel { return label }
        switch (finding.status, finding.table) {
        case (.pass, .environmentIntegrity): return "✅ Valid"
        case (.pass, .reproducibilityStatus): return "✅ Reproducible"
        case (.pass, .resourceUtilization): return "✅ HEALTHY"
        case (.pass, .performanceBaseline): return "✅ Yes"
        case (.pass, .optimizationImpact): return "✅ Active"
        case (.pass, _): return "✅ Stable"
        case (.watch, _): return "⚠️ Watch"
        case (.breach, .performanceBaseline): return "❌ No"
        case (.breach, _): return "❌ Breach"
        case (.integrityFailure, .reproducibilityStatus): return "❌ Not reproducible"
        case (.integrityFailure, _): return "❌ Mismatch"
        case (.unverified, _): return "⚠️ Unverified"
        case (.notJudged, _): return "— Not judged"
        }
    }
}
