@testable import AssayBaseline
import AssayCore
import AssayStore
import Foundation
import Testing

@Suite struct BaselineAnalyzerTests {
    static let start = Date(timeIntervalSince1970: 1_790_000_000)
    static let evidence = Evidence(path: "runs/latency.jsonl", sha256: String(repeating: "a", count: 64))

    /// A store holding `values` of `metric` one hour apart, the environment switching to `after` from `switchAt`.
    static func history(
        _ metric: String, _ values: [Double], switchAt: Int? = nil,
        before: EnvironmentState = EnvironmentState(components: ["pypi torch": "2.3.0", "file model.bin": "sha256:1111"]),
        after: EnvironmentState = EnvironmentState(components: ["pypi torch": "2.3.1", "file model.bin": "sha256:1111"])
    ) throws -> Store {
        let store = try Store()
        try store.saveEnvironmentState(before)
        try store.saveEnvironmentState(after)
        try store.saveMetrics(
            values.enumerated().map { index, value in
                MetricPoint(
                    metric: metric, value: value, recordedAt: start.addingTimeInterval(Double(index) * 3600), runID: "run-\(index)",
                    environmentDigest: (switchAt.map { index >= $0 } ?? false) ? after.digest : before.digest)
            })
        return store
    }

    static func noisy(_ count: Int, mean: Double, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in mean + rng.nextGaussian() }
    }

    /// A resource metric is in the unit its row names: Disk I/O in MB/s, utilization in %.
    @Test func resourceMetricsKeepTheirUnit() {
        let disk = CurrentMetric(name: "resources.disk_i_o_mb_s.p95", value: 0.002, evidence: Self.evidence, label: "Disk I/O (MB/s), P95")
        #expect(disk.unit == "MB/s")
        #expect(BaselineAnalyzer(thresholds: Thresholds()).withinBounds(disk, baseline: 0.002).1 == "≤ 0.0022 MB/s (baseline + 10%)")
        #expect(CurrentMetric(name: "resources.cpu_utilization.p95", value: 75, evidence: Self.evidence).unit == "%")
    }

    /// Regression rules: P95 over baseline + 5 ms, mean over baseline × 1.10, throughput under baseline − 20.
    @Test func regressionRulesFollowTheThresholds() async throws {
        let analyzer = BaselineAnalyzer(thresholds: Thresholds())
        func within(_ name: String, _ value: Double, baseline: Double) -> Bool {
            analyzer.withinBounds(CurrentMetric(name: name, value: value, evidence: Self.evidence), baseline: baseline).0
        }
        #expect(within("latency.total.p95_ms", 104.9, baseline: 100))
        #expect(!within("latency.total.p95_ms", 105.1, baseline: 100))
        #expect(within("latency.total.mean_ms", 54.9, baseline: 50))
        #expect(!within("latency.total.mean_ms", 55.1, baseline: 50))
        #expect(within("latency.total.mean_ms", 0.3, baseline: 0.2))  // +50% but under min_delta_ms: noise
        #expect(within("latency.total.throughput_rps", 80.5, baseline: 100))
        #expect(!within("latency.total.throughput_rps", 79.5, baseline: 100))
    }

    /// The t interval covers the true mean about 95% of the time (known truth on synthetic data).
    @Test func baselineIntervalCoverage() {
        var rng = SplitMix64(seed: 77)
        var covered = 0
        let trials = 4000
        for _ in 0..<trials {
            let values = (0..<8).map { _ in 10 + 2 * rng.nextGaussian() }
            let interval = BaselineAnalyzer.baseline(values)!
            if interval.low <= 10 && 10 <= interval.high { covered += 1 }
        }
        let rate = Double(covered) / Double(trials)
        #expect(rate > 0.935 && rate < 0.965, "coverage \(rate)")
    }

    @Test func rowsAgainstTheRollingBaseline() async throws {
        let store = try Self.history("latency.total.p95_ms", Self.noisy(24, mean: 100, seed: 1))
        let now = Self.start.addingTimeInterval(24 * 3600)
        let analyzer = BaselineAnalyzer(thresholds: Thresholds())
        let ok = try await analyzer.findings(
            current: [CurrentMetric(name: "latency.total.p95_ms", value: 101, evidence: Self.evidence)], environment: nil, history: store, now: now)
        let row = try #require(ok.first { $0.table == .performanceBaseline && $0.check == "P95 Latency (total)" })
        #expect(row.status == .pass && row.measurements["baseline_runs"] == 24)
        #expect(abs((row.measurements["baseline_mean"] ?? 0) - 100) < 0.6)
        #expect((row.measurements["baseline_ci95_low"] ?? 0) < (row.measurements["baseline_mean"] ?? 0))
        let bad = try await analyzer.findings(
            current: [CurrentMetric(name: "latency.total.p95_ms", value: 108, evidence: Self.evidence)], environment: nil, history: store, now: now)
        #expect(bad.first { $0.check == "P95 Latency (total)" }?.status == .breach)
        // Points older than the window do not count.
        let later = try await analyzer.findings(
            current: [CurrentMetric(name: "latency.total.p95_ms", value: 101, evidence: Self.evidence)], environment: nil, history: store,
            now: Self.start.addingTimeInterval(7 * 86_400 + 20 * 3600))
        #expect(later.first { $0.check == "P95 Latency (total)" }?.measurements["baseline_runs"] == 4)
    }

    /// A planted shift at the run where torch changed: found, blamed on torch, and the baseline restarts there.
    @Test func changePointNamesTheEnvironmentChange() async throws {
        let values = Self.noisy(30, mean: 100, seed: 2) + Self.noisy(20, mean: 107, seed: 3)
        let store = try Self.history("latency.total.p95_ms", values, switchAt: 30)
        let after = EnvironmentState(components: ["pypi torch": "2.3.1", "file model.bin": "sha256:1111"])
        let findings = try await BaselineAnalyzer(thresholds: Thresholds()).findings(
            current: [CurrentMetric(name: "latency.total.p95_ms", value: 107.2, evidence: Self.evidence)], environment: after, history: store,
            now: Self.start.addingTimeInterval(50 * 3600))
        let change = try #require(findings.first { $0.check == "Change point: P95 Latency (total)" })
        #expect(change.measurements["change_index"] == 30)
        #expect(change.status == .watch)
        #expect(change.attributes["likely_cause"] == "pypi torch 2.3.0 → 2.3.1, in the same run")
        let row = try #require(findings.first { $0.check == "P95 Latency (total)" })
        #expect(row.measurements["baseline_runs"] == 20)  // re-baselined after the change
        #expect(row.status == .pass)
        #expect(row.attributes["rebaselined_at"] != nil)
    }

    @Test func changeWithoutEnvironmentChangeIsUnexplained() async throws {
        let values = Self.noisy(30, mean: 100, seed: 4) + Self.noisy(20, mean: 110, seed: 5)
        let store = try Self.history("latency.total.p95_ms", values)
        let findings = try await BaselineAnalyzer(thresholds: Thresholds()).findings(
            current: [CurrentMetric(name: "latency.total.p95_ms", value: 110, evidence: Self.evidence)], environment: nil, history: store,
            now: Self.start.addingTimeInterval(50 * 3600))
        let change = try #require(findings.first { $0.check.hasPrefix("Change point") })
        #expect(change.attributes["likely_cause"]?.hasPrefix("unexplained") == true)
    }

    /// An accepted optimization stays Active until total P95 shifts up by at least what it saved.
    @Test func optimizationHistoryTracksWhetherItHolds() async throws {
        let values = Self.noisy(30, mean: 100, seed: 6) + Self.noisy(20, mean: 106, seed: 7)
        let store = try Self.history("latency.total.p95_ms", values)
        let evidence = Evidence(path: "candidate.jsonl", sha256: String(repeating: "b", count: 64))
        try store.saveOptimization(
            OptimizationRecord(
                id: "opt-1", name: "Async preprocessing", appliedAt: Self.start.addingTimeInterval(3600), accepted: true,
                deltaP95Milliseconds: -4, ci95LowMilliseconds: -5, ci95HighMilliseconds: -3, reason: "CI95 below 0", baseline: evidence,
                candidate: evidence))
        let findings = try await BaselineAnalyzer(thresholds: Thresholds()).findings(
            current: [CurrentMetric(name: "latency.total.p95_ms", value: 106, evidence: Self.evidence)], environment: nil, history: store,
            now: Self.start.addingTimeInterval(50 * 3600))
        let row = try #require(findings.first { $0.table == .optimizationImpact })
        #expect(row.check == "Async preprocessing")
        #expect(row.observed.hasPrefix("⚠️ Regressed"))
        let steady = try Self.history("latency.total.p95_ms", Self.noisy(40, mean: 100, seed: 8))
        try steady.saveOptimization(
            OptimizationRecord(
                id: "opt-1", name: "Async preprocessing", appliedAt: Self.start, accepted: true, deltaP95Milliseconds: -4,
                ci95LowMilliseconds: -5, ci95HighMilliseconds: -3, reason: "", baseline: evidence, candidate: evidence))
        let held = try await BaselineAnalyzer(thresholds: Thresholds()).findings(
            current: [CurrentMetric(name: "latency.total.p95_ms", value: 100, evidence: Self.evidence)], environment: nil, history: steady,
            now: Self.start.addingTimeInterval(40 * 3600))
        #expect(held.first { $0.table == .optimizationImpact }?.observed == "Active")
    }

    /// Three weeks of hourly runs, busier every Monday 08:00–11:00: with a 21-day window the Monday-morning run
    /// is held against past Monday mornings and is within bounds; a plain 7-day baseline calls it a regression.
    @Test func hourOfWeekBaselineFollowsWeeklyPatterns() async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let monday = calendar.date(from: DateComponents(year: 2026, month: 11, day: 2, hour: 0))!  // a Monday
        var rng = SplitMix64(seed: 31)
        let store = try Store()
        var points: [MetricPoint] = []
        for hour in 0..<(21 * 24) {
            let at = monday.addingTimeInterval(Double(hour) * 3600)
            let busy = (8...10).contains(hour % 168)
            points.append(MetricPoint(metric: "latency.total.p95_ms", value: (busy ? 120 : 100) + rng.nextGaussian(), recordedAt: at, runID: "r\(hour)"))
        }
        try store.saveMetrics(points)
        let now = monday.addingTimeInterval(Double(21 * 24 + 9) * 3600)  // the fourth Monday, 09:00
        let current = [CurrentMetric(name: "latency.total.p95_ms", value: 121, evidence: Self.evidence)]
        var thresholds = Thresholds()
        thresholds.baseline.windowDays = 21
        thresholds.baseline.changePointMaxPValue = 1e-12  // the weekly bumps are a pattern, not a change
        let seasonal = try await BaselineAnalyzer(thresholds: thresholds).findings(current: current, environment: nil, history: store, now: now)
        let row = try #require(seasonal.first { $0.check == "P95 Latency (total)" })
        #expect(row.attributes["baseline_kind"] == "hour-of-week")
        #expect(row.status == .pass)
        thresholds.baseline.windowDays = 7
        let plain = try await BaselineAnalyzer(thresholds: thresholds).findings(current: current, environment: nil, history: store, now: now)
        #expect(plain.first { $0.check == "P95 Latency (total)" }?.status == .breach)
    }
}
