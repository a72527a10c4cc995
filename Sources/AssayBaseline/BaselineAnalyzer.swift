import AssayCore
import Foundation

/// A metric measured by this audit, with the file it was measured from.
public struct CurrentMetric: Sendable, Hashable {
    public var name: String
    public var value: Double
    public var evidence: Evidence
    /// The report's name for it, when the metric name does not say it well.
    public var label: String?

    public init(name: String, value: Double, evidence: Evidence, label: String? = nil) {
        self.name = name
        self.value = value
        self.evidence = evidence
        self.label = label
    }

    /// What the regression rules treat it as.
    public enum Kind: Sendable { case percentileLatency, meanLatency, throughput, utilization }

    public var kind: Kind {
        if name.hasSuffix("throughput_rps") { return .throughput }
        if name.hasSuffix(".p95_ms") || name.hasSuffix(".p99_ms") { return .percentileLatency }
        if name.hasSuffix("_ms") { return .meanLatency }
        return .utilization
    }

    /// How the report names it: `P95 Latency (total)`, `Throughput`, `CPU Utilization (P95)`.
    public var displayName: String {
        if let label { return label }
        let parts = name.split(separator: ".").map(String.init)
        guard parts.count >= 3 else { return name }
        switch (parts[0], parts[2]) {
        case ("latency", "p95_ms"): return "P95 Latency (\(parts[1]))"
        case ("latency", "p99_ms"): return "P99 Latency (\(parts[1]))"
        case ("latency", "mean_ms"): return "Mean Latency (\(parts[1]))"
        case ("latency", "throughput_rps"): return "Throughput"
        default: return "\(parts[1]) (\(parts[2]))"
        }
    }

    /// The unit of the metric's values (a resource row named "Disk I/O (MB/s)" is in MB/s, not %).
    public var unit: String {
        switch kind {
        case .percentileLatency, .meanLatency: "ms"
        case .throughput: "req/s"
        case .utilization: name.contains("_mb_s") ? "MB/s" : "%"
        }
    }
}

/// The metrics an audit measured, read from its layer results: per-stage latency mean and P95 (and total
/// P99, throughput) from LATENCY PROFILE, P95 utilization from RESOURCE UTILIZATION.
public enum MetricExtraction {
    public static func current(from results: [LayerResult]) -> [CurrentMetric] {
        var metrics: [CurrentMetric] = []
        for result in results where result.isVerified {
            for finding in result.findings {
                let m = finding.measurements
                switch finding.table {
                case .latencyProfile:
                    let stage = finding.check.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: "_")
                    for (key, suffix) in [("mean_ms", "mean_ms"), ("p95_ms", "p95_ms")] + (stage == "total" || stage.hasSuffix("_total") || stage == "load_test" ? [("p99_ms", "p99_ms"), ("throughput_rps", "throughput_rps")] : []) {
                        if let value = m[key] {
                            metrics.append(CurrentMetric(name: "latency.\(stage).\(suffix)", value: value, evidence: finding.primaryEvidence))
                        }
                    }
                case .resourceUtilization:
                    if let value = m["p95"] {
                        let words = finding.check.lowercased().split { !$0.isLetter && !$0.isNumber }.joined(separator: "_")
                        metrics.append(
                            CurrentMetric(
                                name: "resources.\(words).p95", value: value, evidence: finding.primaryEvidence,
                                label: "\(finding.check), P95"))
                    }
                default: continue
                }
            }
        }
        return metrics
    }
}

/// PERFORMANCE BASELINE: each metric against its rolling baseline (mean ± CI95 over the runs of the last
/// `window_days`, re-based after a confirmed change point), the regression rules, the latest change point with
/// the environment change most likely behind it, and OPTIMIZATION IMPACT TRACKING.
public struct BaselineAnalyzer: Sendable {
    public var thresholds: Thresholds

    public init(thresholds: Thresholds) {
        self.thresholds = thresholds
    }

    /// The baseline of one metric.
    public struct Baseline: Sendable, Hashable {
        public var mean: Double
        public var low: Double
        public var high: Double
        public var runs: Int
        /// Set when the window was cut at a change point.
        public var since: Date?
        /// Whether the window is the same hour of the week as now.
        public var seasonal: Bool
        /// When the window's first and last runs were recorded.
        public var first: Date
        public var last: Date
    }

    /// Mean and t-based CI95 of `values` (at least two).
    public static func baseline(_ values: [Double], confidence: Double = 0.95) -> (mean: Double, low: Double, high: Double)? {
        guard values.count >= 2 else { return nil }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let half = StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: n - 1) * (variance / n).squareRoot()
        return (mean, mean - half, mean + half)
    }

    /// Whether `value` is within the regression rules against `baseline`, and the rule as text.
    public func withinBounds(_ metric: CurrentMetric, baseline mean: Double) -> (Bool, String) {
        let r = thresholds.regression
        switch metric.kind {
        case .percentileLatency:
            let limit = mean + r.p95OverBaselineMilliseconds
            return (metric.value <= limit || metric.value - mean < r.minDeltaMilliseconds, "≤ \(Formatting.milliseconds(limit)) ms (baseline + \(Formatting.milliseconds(r.p95OverBaselineMilliseconds)) ms)")
        case .meanLatency:
            let limit = mean * (1 + r.meanIncreasePercent / 100)
            return (metric.value <= limit || metric.value - mean < r.minDeltaMilliseconds, "≤ \(Formatting.milliseconds(limit)) ms (baseline + \(Formatting.percent(r.meanIncreasePercent, digits: 0)))")
        case .throughput:
            let limit = mean - r.throughputDropRequestsPerSecond
            return (metric.value >= limit, "≥ \(Formatting.number(limit, digits: 1)) req/s (baseline − \(Formatting.number(r.throughputDropRequestsPerSecond, digits: 0)))")
        case .utilization:
            let limit = mean * (1 + r.meanIncreasePercent / 100)
            return (metric.value <= limit, "≤ \(Formatting.value(limit, unit: metric.unit)) (baseline + \(Formatting.percent(r.meanIncreasePercent, digits: 0)))")
        }
    }

    /// The baseline of one metric's history at `now`: the points of the window, cut at the latest change point
    /// that enough runs follow, narrowed to the same hour of the week (±1 h) when the window spans two weeks and
    /// enough runs fall there; nil with fewer than `baseline.min_runs` points. `changes` defaults to the change
    /// points of the history itself.
    public func baseline(_ points: [MetricPoint], changes: [ChangePoint]? = nil, now: Date) -> Baseline? {
        let since = now.addingTimeInterval(-thresholds.baseline.windowDays * 86_400)
        let points = points.filter { $0.recordedAt >= since }
        let changes = changes ?? LevelShiftDetector(minimumSegment: thresholds.baseline.changePointWindow).changePoints(
            points.map(\.value), times: points.map(\.recordedAt), maxPValue: thresholds.baseline.changePointMaxPValue)
        var window = points
        var cut: Date?
        if let last = changes.last, last.index < points.count, points.count - last.index >= thresholds.baseline.minRuns {
            window = Array(points[last.index...])
            cut = points[last.index].recordedAt
        }
        var seasonal = false
        if thresholds.baseline.windowDays >= 14 {
            let sameHour = window.filter { Self.hourOfWeekDistance($0.recordedAt, now) <= 1 }
            if sameHour.count >= thresholds.baseline.minRuns {
                window = sameHour
                seasonal = true
            }
        }
        guard window.count >= thresholds.baseline.minRuns, let first = window.first, let last = window.last,
            let stats = Self.baseline(window.map(\.value), confidence: thresholds.latency.confidenceLevel)
        else { return nil }
        return Baseline(
            mean: stats.mean, low: stats.low, high: stats.high, runs: window.count, since: cut, seasonal: seasonal,
            first: first.recordedAt, last: last.recordedAt)
    }

    public func findings(
        current: [CurrentMetric], environment: EnvironmentState?, history: any MetricHistory, now: Date
    ) async throws -> [Finding] {
        let since = now.addingTimeInterval(-thresholds.baseline.windowDays * 86_400)
        let detector = LevelShiftDetector(minimumSegment: thresholds.baseline.changePointWindow)
        var rows: [Finding] = []
        var changeRows: [Finding] = []
        var totalP95Changes: [(ChangePoint, Date)] = []
        for metric in current {
            let points = try await history.points(metric: metric.name, since: since)
            let series = points.map(\.value) + [metric.value]
            let times = points.map(\.recordedAt) + [now]
            let changes = detector.changePoints(series, times: times, maxPValue: thresholds.baseline.changePointMaxPValue)
            if metric.name == "latency.total.p95_ms" { totalP95Changes = changes.map { ($0, times[$0.index]) } }
            if let stats = baseline(points, changes: changes, now: now) {
                let (within, rule) = withinBounds(metric, baseline: stats.mean)
                var cite = metric.evidence
                cite.locator = "current; baseline \(stats.runs) runs since \(Self.stamp(stats.first))"
                var attributes = ["baseline_runs": String(stats.runs), "unit": metric.unit]
                if let cut = stats.since { attributes["rebaselined_at"] = Self.stamp(cut) }
                if stats.seasonal { attributes["baseline_kind"] = "hour-of-week" }
                var row = Finding(
                    table: .performanceBaseline, check: metric.displayName, status: within ? .pass : .breach,
                    observed: Formatting.value(metric.value, unit: metric.unit), expected: rule,
                    severity: within ? .info : .high,
                    measurements: [
                        "baseline_mean": stats.mean, "baseline_ci95_low": stats.low, "baseline_ci95_high": stats.high,
                        "current": metric.value, "baseline_runs": Double(stats.runs),
                    ],
                    attributes: attributes, statusLabel: within ? "✅ Yes" : "❌ No",
                    recommendation: within ? nil : "Regression against the \(Formatting.number(thresholds.baseline.windowDays, digits: 0))-day baseline: bisect the changes since \(Self.stamp(stats.last))",
                    evidence: cite)
                // What the report draws: every stored point, the current one, and the levels after each change point.
                row.series["history"] = SeriesPoint.thinned(
                    points.map { SeriesPoint($0.recordedAt.timeIntervalSince1970, $0.value) } + [SeriesPoint(now.timeIntervalSince1970, metric.value)],
                    to: 240)
                if !changes.isEmpty {
                    row.series["change_points"] = changes.map { SeriesPoint(times[$0.index].timeIntervalSince1970, $0.meanAfter) }
                }
                rows.append(row)
            }
            if let change = changes.last {
                changeRows.append(
                    try await changeRow(metric, change: change, points: points, times: times, environment: environment, history: history))
            }
        }
        return rows + changeRows + (try await optimizationRows(history: history, totalP95Changes: totalP95Changes))
    }

    /// The latest change point of a metric, with the environment change closest before it, or "unexplained".
    func changeRow(
        _ metric: CurrentMetric, change: ChangePoint, points: [MetricPoint], times: [Date], environment: EnvironmentState?,
        history: any MetricHistory
    ) async throws -> Finding {
        let at = times[change.index]
        let delta = change.meanAfter - change.meanBefore
        let worse = metric.kind == .throughput ? delta < 0 : delta > 0
        let digests = points.map(\.environmentDigest) + [environment?.digest]
        let cause = try await likelyCause(changeIndex: change.index, times: times, digests: digests, current: environment, history: history)
        let sign = delta >= 0 ? "+" : ""
        let observed = "\(sign)\(Formatting.value(delta, unit: metric.unit)) (\(sign)\(Formatting.percent(change.forwardChange * 100))) at \(Self.stamp(at)), p = \(String(format: "%.2g", change.pValue))"
        var cite = metric.evidence
        cite.locator = "change point at run \(change.index + 1) of \(times.count)"
        return Finding(
            table: .performanceBaseline, check: "Change point: \(metric.displayName)", status: worse ? .watch : .pass, observed: observed,
            severity: worse ? .medium : .info,
            measurements: [
                "mean_before": change.meanBefore, "mean_after": change.meanAfter, "p_value": change.pValue, "change_index": Double(change.index),
            ],
            attributes: ["detail": "\(metric.displayName) \(observed). Likely cause: \(cause).", "likely_cause": cause],
            statusLabel: worse ? "⚠️ Shifted" : "✅ Shifted (better)",
            recommendation: worse ? "Check: \(cause)" : nil, evidence: cite)
    }

    /// The components that changed between the environments on either side of a change, nearest in time
    /// first: "pypi torch 2.3.0 → 2.3.1, 4 minutes before".
    func likelyCause(
        changeIndex: Int, times: [Date], digests: [String?], current: EnvironmentState?, history: any MetricHistory
    ) async throws -> String {
        guard changeIndex > 0, let beforeDigest = digests[changeIndex - 1], let afterDigest = digests[changeIndex] else {
            return "unexplained: no environment recorded on both sides of the change"
        }
        guard beforeDigest != afterDigest else { return "unexplained: the environment did not change" }
        var states: [String: EnvironmentState] = [:]
        if let current { states[current.digest] = current }
        for digest in Set(digests.compactMap { $0 }) where states[digest] == nil {
            states[digest] = try await history.environmentState(digest: digest)
        }
        func state(_ digest: String) -> EnvironmentState? { states[digest] }
        guard let before = state(beforeDigest), let after = state(afterDigest) else {
            return "unexplained: an environment state is missing from the store"
        }
        let names = Set(before.components.keys).union(after.components.keys).sorted()
        var changes: [(text: String, lead: TimeInterval)] = []
        for name in names where before.components[name] != after.components[name] {
            // The first run that already had the new value: how long before the change it appeared.
            var first = changeIndex
            while first > 0, let digest = digests[first - 1], digest != beforeDigest, state(digest)?.components[name] == after.components[name] {
                first -= 1
            }
            let old = before.components[name].map(Self.short) ?? "absent"
            let new = after.components[name].map(Self.short) ?? "removed"
            changes.append(("\(name) \(old) → \(new)", times[changeIndex].timeIntervalSince(times[first])))
        }
        let ranked = changes.sorted { $0.lead == $1.lead ? $0.text < $1.text : $0.lead < $1.lead }
        return ranked.prefix(3).map { "\($0.text), \(Self.lead($0.lead))" }.joined(separator: "; ")
            + (ranked.count > 3 ? "; and \(ranked.count - 3) more" : "")
    }

    /// OPTIMIZATION IMPACT TRACKING: validated optimizations, and whether each still holds (no later upward
    /// change of total P95 at least as large as what it saved).
    func optimizationRows(history: any MetricHistory, totalP95Changes: [(ChangePoint, Date)]) async throws -> [Finding] {
        try await history.optimizations(limit: 20).map { record in
            let undone = totalP95Changes.first { change, at in
                at > record.appliedAt && change.meanAfter - change.meanBefore >= abs(min(0, record.deltaP95Milliseconds))
                    && record.accepted
            }
            let label = !record.accepted ? "Rejected" : (undone.map { "⚠️ Regressed \(Self.stamp($0.1))" } ?? "Active")
            return Finding(
                table: .optimizationImpact, check: record.name, status: record.accepted ? .pass : .watch, observed: label,
                severity: undone == nil ? .info : .medium,
                measurements: [
                    "delta_p95_ms": record.deltaP95Milliseconds, "ci95_low_ms": record.ci95LowMilliseconds,
                    "ci95_high_ms": record.ci95HighMilliseconds,
                ],
                attributes: ["applied_date": Self.day(record.appliedAt), "reason": record.reason], statusLabel: label,
                evidence: record.candidate, [record.baseline])
        }
    }

    /// Hours between two instants' positions in the (UTC) week, the shorter way round.
    static func hourOfWeekDistance(_ a: Date, _ b: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func hour(_ date: Date) -> Int {
            let parts = calendar.dateComponents([.weekday, .hour], from: date)
            return ((parts.weekday ?? 1) - 1) * 24 + (parts.hour ?? 0)
        }
        let difference = abs(hour(a) - hour(b)) % 168
        return min(difference, 168 - difference)
    }

    static func short(_ value: String) -> String {
        value.hasPrefix("sha256:") ? String(value.prefix(19)) + "…" : value
    }

    /// How long before the change a component changed: "4 minutes before", or "in the same run".
    static func lead(_ seconds: TimeInterval) -> String {
        switch seconds {
        case ..<1: "in the same run"
        case ..<120: "\(Int(seconds)) seconds before"
        case ..<7200: "\(Int(seconds / 60)) minutes before"
        case ..<172_800: "\(Int(seconds / 3600)) hours before"
        default: "\(Int(seconds / 86_400)) days before"
        }
    }

    static func stamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash))
    }
}
