import AssayCore
import Foundation

/// Per-stage latency statistics and their change against the previous run, as LATENCY PROFILE and
/// BOTTLENECK ANALYSIS rows.
public struct LatencyAnalyzer: Sendable {
    public var settings: LatencySettings
    var latency: LatencySources { settings.sources }

    public init(settings: LatencySettings) {
        self.settings = settings
    }

    /// A stage's comparison with the previous run.
    public struct Comparison: Sendable, Hashable {
        public var paired: Bool
        public var deltaMean: Bootstrap.Interval
        /// ΔP95 when both runs have enough samples for a P95.
        public var deltaP95: Bootstrap.Interval?
        /// ΔP99 when both runs have enough samples for a P99.
        public var deltaP99: Bootstrap.Interval?
    }

    struct Source {
        var samples: [LatencySample]
        var evidence: Evidence
    }

    func load(_ paths: [String]) throws -> Source? {
        guard let first = paths.first else { return nil }
        var samples: [LatencySample] = []
        var evidence: [Evidence] = []
        for path in paths {
            let loaded = try LatencyLog.read(
                path: settings.workspace.resolve(path), displayPath: path, stages: latency.stages, fields: latency.fields)
            samples += loaded
            evidence.append(try Evidence.file(at: settings.workspace.resolve(path), displayPath: path, locator: "L1-\(loaded.count)"))
        }
        var primary = evidence[0]
        if paths.count > 1 { primary.locator = "\(paths.count) files, \(samples.count) records from \(first)" }
        return Source(samples: samples, evidence: primary)
    }

    /// Reads latency logs (paths as the configuration names them), as one run.
    public func samples(_ paths: [String]) throws -> [LatencySample] {
        try load(paths)?.samples ?? []
    }

    public func findings() throws -> [Finding] {
        guard let current = try load(latency.logs) else { return [] }
        return try findings(current: current, previous: try load(latency.previousLogs))
    }

    func findings(current: Source, previous: Source?) throws -> [Finding] {
        let minimum = LatencyStatistics.MinimumSamples(p95: settings.thresholds.minSamplesP95, p99: settings.thresholds.minSamplesP99)
        let bootstrap = Bootstrap(
            resamples: settings.thresholds.bootstrapResamples, confidenceLevel: settings.thresholds.confidenceLevel, seed: settings.thresholds.bootstrapSeed,
            blockLength: settings.thresholds.bootstrapBlockLength)
        let pairs = previous.flatMap { Self.pair(previous: $0.samples, current: current.samples) }
        let totalMean = current.samples.map(\.total).reduce(0, +) / Double(current.samples.count)

        var profile: [Finding] = []
        var bottlenecks: [(Finding, Double)] = []
        let names = latency.stages + ["Total"]
        let values: [(LatencySample) -> Double] = names.map { name in name == "Total" ? { $0.total } : { $0.stages[name] ?? 0 } }
        let statistics = values.map { LatencyStatistics(current.samples.map($0), minimumSamples: minimum) }
        let comparisons = previous.map {
            compare(previous: $0.samples, current: current.samples, pairs: pairs, values: values, minimum: minimum, bootstrap: bootstrap)
        }
        for (index, name) in names.enumerated() {
            guard let stats = statistics[index] else { continue }
            let share = totalMean > 0 ? stats.mean / totalMean * 100 : 0
            var finding = row(
                name == "Total" ? "Total" : name.capitalized, stats: stats, comparison: comparisons?[index], share: share,
                current: current.evidence, previous: previous?.evidence)
            if name == "Total", let throughput = Self.throughput(current.samples) { finding.measurements["throughput_rps"] = throughput }
            finding.series["cdf_ms"] = Self.cdf(current.samples.map(values[index]))
            if let previous { finding.series["previous_cdf_ms"] = Self.cdf(previous.samples.map(values[index])) }
            profile.append(finding)
            if name != "Total" { bottlenecks.append((finding, share)) }
        }
        let ranked = bottlenecks.sorted { $0.1 > $1.1 }
        let bottleneckRows = ranked.map { finding, share in
            bottleneck(finding, share: share, top: finding == ranked.first?.0)
        }
        // When the requests carry their start times, every row says when they were recorded (the audit's freshness
        // check reads it).
        let starts = current.samples.compactMap(\.startedAt)
        guard let first = starts.min(), let last = starts.max() else { return profile + bottleneckRows }
        return (profile + bottleneckRows).map { finding in
            var finding = finding
            finding.measurements["recorded_from"] = first.timeIntervalSince1970
            finding.measurements["recorded_to"] = last.timeIntervalSince1970
            return finding
        }
    }

    /// The distribution as [ms, cumulative fraction] at fixed fractions, denser in the tail.
    static func cdf(_ values: [Double]) -> [SeriesPoint] {
        let sorted = values.sorted()
        let fractions = [0, 0.01, 0.025, 0.05] + stride(from: 0.1, through: 0.9, by: 0.05).map { $0 } + [0.95, 0.975, 0.99, 0.995, 0.999, 1]
        return fractions.compactMap { p in Quantile.type7(sorted: sorted, p).map { SeriesPoint($0, p) } }
    }

    /// Requests per second from the first request's start to the last one's end; nil without timestamps or
    /// when they span less than a second (logs stamped to the second cannot time a shorter run).
    static func throughput(_ samples: [LatencySample]) -> Double? {
        let timed = samples.compactMap { sample in sample.startedAt.map { ($0, sample.total) } }
        guard timed.count >= 2, let first = timed.map(\.0).min(),
            let last = timed.map({ $0.0.addingTimeInterval($0.1 / 1000) }).max()
        else { return nil }
        let span = last.timeIntervalSince(first)
        return span >= 1 ? Double(timed.count) / span : nil
    }

    /// Indices of matching request ids in both runs, or nil when ids are missing or mostly unmatched.
    static func pair(previous: [LatencySample], current: [LatencySample]) -> [(Int, Int)]? {
        var index: [String: Int] = [:]
        for (i, sample) in previous.enumerated() {
            guard let id = sample.requestID else { return nil }
            index[id] = i
        }
        var pairs: [(Int, Int)] = []
        for (j, sample) in current.enumerated() {
            guard let id = sample.requestID else { return nil }
            if let i = index[id] { pairs.append((i, j)) }
        }
        return pairs.count * 2 >= max(previous.count, current.count) ? pairs : nil
    }

    /// Δmean, ΔP95 and ΔP99 of every stage, from one pass of resamples (paired by request when `pairs`).
    func compare(
        previous: [LatencySample], current: [LatencySample], pairs: [(Int, Int)]?, values: [(LatencySample) -> Double],
        minimum: LatencyStatistics.MinimumSamples, bootstrap: Bootstrap
    ) -> [Comparison?] {
        let before: [[Double]]
        let after: [[Double]]
        if let pairs {
            before = values.map { value in pairs.map { value(previous[$0.0]) } }
            after = values.map { value in pairs.map { value(current[$0.1]) } }
        } else {
            before = values.map { previous.map($0) }
            after = values.map { current.map($0) }
        }
        let smaller = min(before.first?.count ?? 0, after.first?.count ?? 0)
        var statistics: [Bootstrap.Statistic] = [.mean]
        if smaller >= minimum.p95 { statistics.append(.quantile(0.95)) }
        if smaller >= minimum.p99 { statistics.append(.quantile(0.99)) }
        let intervals = bootstrap.compare(previous: before, current: after, paired: pairs != nil, statistics: statistics)
        return intervals.map { row in
            guard let mean = row[0] else { return nil }
            return Comparison(
                paired: pairs != nil, deltaMean: mean, deltaP95: statistics.count > 1 ? row[1] : nil, deltaP99: statistics.count > 2 ? row[2] : nil)
        }
    }

    func row(
        _ name: String, stats: LatencyStatistics, comparison: Comparison?, share: Double, current: Evidence, previous: Evidence?
    ) -> Finding {
        var measurements: [String: Double] = ["count": Double(stats.count), "mean_ms": stats.mean, "p50_ms": stats.p50]
        if let variance = stats.variance { measurements["variance_ms2"] = variance }
        if let p95 = stats.p95 { measurements["p95_ms"] = p95 }
        if let p99 = stats.p99 { measurements["p99_ms"] = p99 }
        if name != "Total" { measurements["percent_total"] = share } else { measurements["percent_total"] = 100 }
        var attributes: [String: String] = [:]
        if stats.p95 == nil { attributes["p95_note"] = "insufficient samples (n=\(stats.count) < \(settings.thresholds.minSamplesP95))" }
        if stats.p99 == nil { attributes["p99_note"] = "insufficient samples (n=\(stats.count) < \(settings.thresholds.minSamplesP99))" }

        var status = FindingStatus.pass
        var label = "✅ Measured"
        var severity = Severity.info
        var recommendation: String?
        var observed = "mean \(Formatting.milliseconds(stats.mean)) ms" + (stats.p95.map { ", P95 \(Formatting.milliseconds($0)) ms" } ?? "")
        var expected: String?
        if let comparison {
            let headline = comparison.deltaP95 ?? comparison.deltaMean
            let metric = comparison.deltaP95 != nil ? "ΔP95" : "Δmean"
            measurements["delta_ms"] = headline.estimate
            measurements["ci95_low_ms"] = headline.low
            measurements["ci95_high_ms"] = headline.high
            measurements["delta_mean_ms"] = comparison.deltaMean.estimate
            measurements["delta_mean_ci95_low_ms"] = comparison.deltaMean.low
            measurements["delta_mean_ci95_high_ms"] = comparison.deltaMean.high
            if let p99 = comparison.deltaP99 {
                measurements["delta_p99_ms"] = p99.estimate
                measurements["delta_p99_ci95_low_ms"] = p99.low
                measurements["delta_p99_ci95_high_ms"] = p99.high
            }
            attributes["comparison"] = comparison.paired ? "paired bootstrap" : "two-sample bootstrap"
            attributes["delta_metric"] = metric
            let previousMean = stats.mean - comparison.deltaMean.estimate
            let meanIncrease = previousMean > 0 ? comparison.deltaMean.estimate / previousMean * 100 : 0
            let p95Regressed = (comparison.deltaP95.map { $0.low > 0 && $0.estimate > settings.regression.p95OverBaselineMilliseconds }) ?? false
            let material = comparison.deltaMean.estimate >= settings.regression.minDeltaMilliseconds
            let meanRegressed = comparison.deltaMean.low > 0 && meanIncrease > settings.regression.meanIncreasePercent && material
            observed += ", \(metric) \(Formatting.signedMilliseconds(headline.estimate)) ms [\(Formatting.signedMilliseconds(headline.low)), \(Formatting.signedMilliseconds(headline.high))]"
            if p95Regressed || meanRegressed {
                status = .breach
                label = "❌ Regressed"
                severity = .high
                expected = p95Regressed
                    ? "ΔP95 ≤ +\(Formatting.milliseconds(settings.regression.p95OverBaselineMilliseconds)) ms"
                    : "Δmean ≤ +\(Formatting.milliseconds(settings.regression.meanIncreasePercent))%"
                recommendation = "\(name) regressed against the previous run (CI95 excludes 0); profile this stage before rollout."
            } else if headline.high < 0, -headline.estimate >= settings.thresholds.optimizationMinP95DropMilliseconds {
                label = "✅ Improved"
            } else if headline.low > 0,
                (comparison.deltaP95?.estimate ?? 0) > settings.regression.p95OverBaselineMilliseconds / 2
                    || (meanIncrease > settings.regression.meanIncreasePercent / 2 && material)
            {
                status = .watch
                label = "⚠️ Watch"
                severity = .low
                recommendation = "Slower than the previous run (CI95 excludes 0), past half a regression threshold; watch one more cycle."
            } else {
                label = "✅ Stable"
            }
        }
        return Finding(
            table: .latencyProfile, check: name, status: status, observed: observed, expected: expected, severity: severity,
            measurements: measurements, attributes: attributes, statusLabel: label, recommendation: recommendation,
            evidence: current, previous.map { [$0] } ?? [])
    }

    func bottleneck(_ stage: Finding, share: Double, top: Bool) -> Finding {
        var measurements = ["percent_total": share, "latency_ms": stage.measurements["mean_ms"] ?? 0]
        if let delta = stage.measurements["delta_ms"] { measurements["regression_ms"] = delta }
        var detail = "\(Formatting.percent(share)) of mean request time."
        if let delta = stage.measurements["delta_ms"], let low = stage.measurements["ci95_low_ms"],
            let high = stage.measurements["ci95_high_ms"]
        {
            let includesZero = low <= 0 && high >= 0
            detail += " \(stage.attributes["delta_metric"] ?? "Δ") \(Formatting.signedMilliseconds(delta)) ms, CI95 [\(Formatting.signedMilliseconds(low)), \(Formatting.signedMilliseconds(high))] "
                + (includesZero ? "includes 0: no significant change." : "excludes 0: a real change.")
        }
        let traced = !latency.traces.isEmpty
        if top {
            detail += traced
                ? " Next: see the trace rows below for the components of this stage."
                : " Next: capture a profiler trace of this stage to attribute its time to components."
        }
        let severity: Severity = stage.status == .breach ? .high : (top && share >= 50 ? .medium : .low)
        let reason = stage.status == .breach ? "the stage regressed"
            : (top ? "the largest stage, \(Formatting.percent(share, digits: 0)) of mean request time" : "\(Formatting.percent(share, digits: 0)) of mean request time")
        return Finding(
            table: .bottleneckAnalysis, check: "\(stage.check) stage", status: stage.status == .breach ? .breach : .pass,
            observed: "\(Formatting.percent(share)) of mean request time", severity: severity, measurements: measurements,
            attributes: ["detail": detail, "severity_reason": reason],
            recommendation: stage.status == .breach ? "Fix the regression" : (top && !traced ? "Profile with a trace" : "—"),
            evidence: stage.primaryEvidence, Array(stage.evidence.dropFirst()))
    }

}
