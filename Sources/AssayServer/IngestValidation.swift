import AssayCore
import Foundation

/// What a pushed audit or metric point must be before the store takes it. The store keeps what it is given and
/// reads it back on every page, so one bad value would break every later read: a date past year 9999 that the
/// store cannot read back, a NUL that SQLite cuts a name at, a layer listed twice, an id the API reserves.
/// Each check names the field, so the client learns what to fix (answered 422).
public enum IngestValidation {
    /// A field that failed, as `layers[1].started_at`, and what was expected there.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var expected: String

        public var description: String { "\(field): expected \(expected)" }
    }

    /// The dates accepted: 1970-01-01 up to the end of 9999, which the store's four-digit text reads back exactly.
    public static let earliest = Date(timeIntervalSince1970: 0)
    public static let latest = Date(timeIntervalSince1970: 253_402_300_799.999)
    /// Ids the API gives a meaning of its own (`/runs/latest` is the newest audit).
    public static let reservedIDs: Set<String> = ["latest", "new", "index", "api", "runs"]
    /// Longest name (check, metric, host, key) and longest free text accepted, in UTF-8 bytes.
    public static let maxNameBytes = 512
    public static let maxTextBytes = 64 << 10
    /// Latency and resource measurements one audit may add to the metric history: each is a series of its own in
    /// `/api/v1/metrics` and on the dashboard, so a run of 100,000 measured rows would bury every real one.
    public static let maxMetricsPerRun = 2_000

    /// Checks a whole audit: id, dates and their order, durations, unique layers, finite numbers, clean names.
    public static func check(_ run: AuditRun) throws(Problem) {
        try checkID(run.id, field: "id")
        try checkDate(run.startedAt, field: "started_at")
        try checkDate(run.finishedAt, field: "finished_at")
        guard run.finishedAt >= run.startedAt else { throw Problem(field: "finished_at", expected: "a time at or after started_at") }
        try checkName(run.configuration.path, field: "configuration.path")
        try checkEvidence(run.configuration, field: "configuration")
        try checkName(run.assayVersion, field: "assay_version")
        if let host = run.host { try checkName(host, field: "host") }
        if let mlflow = run.mlflowRunID { try checkName(mlflow, field: "mlflow_run_id") }
        for (index, reason) in run.judgement.reasons.enumerated() { try checkText(reason, field: "judgement.reasons[\(index)]") }
        var seen = Set<Layer>()
        for (index, layer) in run.layers.enumerated() {
            let field = "layers[\(index)]"
            guard seen.insert(layer.layer).inserted else {
                throw Problem(field: field + ".layer", expected: "each layer once; \(layer.layer.rawValue) is listed twice")
            }
            try checkDate(layer.startedAt, field: field + ".started_at")
            guard layer.durationSeconds.isFinite, layer.durationSeconds >= 0 else {
                throw Problem(field: field + ".duration_seconds", expected: "a finite number of seconds ≥ 0")
            }
            if let reason = layer.notVerifiedReason { try checkText(reason, field: field + ".reason") }
            for (position, finding) in layer.findings.enumerated() { try check(finding, field: field + ".findings[\(position)]") }
        }
    }

    /// Checks one pushed metric point.
    public static func check(_ point: MetricPoint, field: String) throws(Problem) {
        try checkName(point.metric, field: field + ".metric")
        guard point.metric.utf8.count <= 200 else { throw Problem(field: field + ".metric", expected: "a name of at most 200 bytes") }
        guard point.value.isFinite else { throw Problem(field: field + ".value", expected: "a finite number") }
        try checkDate(point.recordedAt, field: field + ".recorded_at")
        try checkID(point.runID, field: field + ".run_id", reservedAllowed: true)
        if let digest = point.environmentDigest { try checkName(digest, field: field + ".environment_digest") }
        if let commit = point.gitCommit { try checkName(commit, field: field + ".git_commit") }
        if let mlflow = point.mlflowRunID { try checkName(mlflow, field: field + ".mlflow_run_id") }
    }

    static func check(_ finding: Finding, field: String) throws(Problem) {
        try checkName(finding.check, field: field + ".check")
        try checkText(finding.observed, field: field + ".observed")
        if let expected = finding.expected { try checkText(expected, field: field + ".expected") }
        if let label = finding.statusLabel { try checkText(label, field: field + ".status_label") }
        if let by = finding.verifiedBy { try checkText(by, field: field + ".verified_by") }
        if let recommendation = finding.recommendation { try checkText(recommendation, field: field + ".recommendation") }
        for (key, value) in finding.measurements {
            try checkName(key, field: field + ".measurements")
            guard value.isFinite else { throw Problem(field: field + ".measurements.\(key)", expected: "a finite number") }
        }
        for (key, value) in finding.attributes {
            try checkName(key, field: field + ".attributes")
            try checkText(value, field: field + ".attributes.\(key)")
        }
        for (index, event) in finding.events.enumerated() {
            let eventField = field + ".events[\(index)]"
            try checkDate(event.start, field: eventField + ".start")
            try checkDate(event.end, field: eventField + ".end")
            guard event.end >= event.start else { throw Problem(field: eventField + ".end", expected: "a time at or after start") }
            for (name, value) in [("peak", event.peak), ("rise", event.rise)] {
                if let value, !value.isFinite { throw Problem(field: eventField + "." + name, expected: "a finite number") }
            }
            if let detail = event.detail { try checkText(detail, field: eventField + ".detail") }
            if let kind = event.kind { try checkName(kind, field: eventField + ".kind") }
        }
        for (key, points) in finding.series {
            try checkName(key, field: field + ".series")
            guard points.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
                throw Problem(field: field + ".series.\(key)", expected: "finite [x, y] pairs")
            }
        }
        for (key, source) in finding.seriesSources {
            let sourceField = field + ".series_sources.\(key)"
            try checkName(key, field: field + ".series_sources")
            try checkText(source.source, field: sourceField + ".source")
            try checkText(source.sha256, field: sourceField + ".sha256")
            if let countOf = source.countOf { try checkText(countOf, field: sourceField + ".count_of") }
            if let count = source.count, count < 0 { throw Problem(field: sourceField + ".count", expected: "a count of at least 0") }
            for (name, date) in [("from", source.from), ("to", source.to)] { if let date { try checkDate(date, field: sourceField + "." + name) } }
        }
        for (index, evidence) in finding.evidence.enumerated() { try checkEvidence(evidence, field: field + ".evidence[\(index)]") }
    }

    static func checkEvidence(_ evidence: Evidence, field: String) throws(Problem) {
        try checkName(evidence.path, field: field + ".path")
        guard evidence.sha256.utf8.count <= 128, evidence.sha256.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") })
        else { throw Problem(field: field + ".sha256", expected: "a hex digest (letters, digits, ':' and '-', at most 128)") }
        for (name, value) in [("locator", evidence.locator), ("mlflow_run_id", evidence.mlflowRunID), ("git_commit", evidence.gitCommit)] {
            if let value { try checkName(value, field: field + "." + name) }
        }
    }

    /// 1–128 characters of A–Z a–z 0–9 . _ : -, not "." or "..", and (for audits) not a word the API reserves.
    public static func checkID(_ id: String, field: String, reservedAllowed: Bool = false) throws(Problem) {
        guard validIDCharacters(id) else { throw Problem(field: field, expected: "1–128 characters of A–Z a–z 0–9 . _ : -") }
        guard reservedAllowed || !reservedIDs.contains(id.lowercased()) else {
            throw Problem(field: field, expected: "an id other than the reserved \(reservedIDs.sorted().joined(separator: ", "))")
        }
    }

    static func validIDCharacters(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") }
            && id != "." && id != ".."
    }

    static func checkDate(_ date: Date, field: String) throws(Problem) {
        guard date.timeIntervalSince1970.isFinite, date >= earliest, date <= latest else {
            throw Problem(field: field, expected: "a date from 1970-01-01 to 9999-12-31")
        }
    }

    /// A name: no control characters at all (a NUL would cut it short in the store), bounded.
    static func checkName(_ text: String, field: String) throws(Problem) {
        guard text.utf8.count <= maxNameBytes else { throw Problem(field: field, expected: "at most \(maxNameBytes) bytes") }
        if let bad = text.unicodeScalars.first(where: isControl) {
            throw Problem(field: field, expected: "no control characters (found U+\(String(format: "%04X", bad.value)))")
        }
    }

    /// Free text: tabs and line breaks allowed, no other control character, bounded.
    static func checkText(_ text: String, field: String) throws(Problem) {
        guard text.utf8.count <= maxTextBytes else { throw Problem(field: field, expected: "at most \(maxTextBytes) bytes") }
        if let bad = text.unicodeScalars.first(where: { isControl($0) && !["\t", "\n", "\r"].contains($0) }) {
            throw Problem(field: field, expected: "no control characters other than tab and line breaks (found U+\(String(format: "%04X", bad.value)))")
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
