import AssayCore
import Foundation

/// RESOURCE UTILIZATION and ANOMALY DETECTION rows from telemetry points, judged by the thresholds:
/// utilization by its P95 over the window (the maximum is kept as a measurement), spikes as rises of more
/// than `spike_rise_percent` points from one sample to the next, sustained load as CPU at or above
/// `sustained_load_percent` for `sustained_seconds` in a row, memory growth as a per-hour slope.
public struct ResourceAnalyzer: Sendable {
    public var thresholds: Thresholds.Resources

    public init(thresholds: Thresholds.Resources) {
        self.thresholds = thresholds
    }

    public func findings(_ points: [ResourcePoint], evidence: Evidence) -> [Finding] {
        var findings: [Finding] = []
        func series(_ key: KeyPath<ResourcePoint, Double?>) -> [Double] { points.compactMap { $0[keyPath: key] } }
        func p95(_ values: [Double]) -> Double? {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            let h = Double(sorted.count - 1) * 0.95
            let low = Int(h)
            return sorted[low] + (h - Double(low)) * (sorted[min(low + 1, sorted.count - 1)] - sorted[low])
        }
        /// Last third of the window against the first third, in the metric's own unit.
        func trend(_ values: [Double], unit: String) -> String {
            guard values.count >= 6 else { return "—" }
            let third = values.count / 3
            let early = values.prefix(third).reduce(0, +) / Double(third)
            let late = values.suffix(third).reduce(0, +) / Double(third)
            let change = late - early
            return abs(change) < 1 ? "Stable" : String(format: "%+.1f", change) + " \(unit) over the window"
        }
        let window = points.map(\.intervalSeconds).reduce(0, +)
        let rows: [(String, KeyPath<ResourcePoint, Double?>, Double, String)] = [
            ("CPU Utilization (%)", \.cpuPercent, thresholds.cpuPercent, "%"),
            ("Memory Usage (%)", \.memoryPercent, thresholds.memoryPercent, "%"),
            ("Disk Utilization (%)", \.diskUtilPercent, 90, "%"),
            ("GPU Utilization (%)", \.gpuPercent, thresholds.gpuPercent, "%"),
        ]
        for (name, key, limit, _) in rows {
            let values = series(key)
            guard let observed = p95(values), let maximum = values.max() else { continue }
            let breach = observed >= limit
            findings.append(
                Finding(
                    table: .resourceUtilization, check: name, status: breach ? .breach : .pass,
                    observed: Formatting.percent(observed, digits: 1), expected: "< \(Formatting.percent(limit, digits: 0))",
                    severity: breach ? .high : .info,
                    measurements: ["p95": observed, "max": maximum, "mean": values.reduce(0, +) / Double(values.count), "samples": Double(values.count)],
                    attributes: ["trend": trend(values, unit: "points")],
                    recommendation: breach ? "\(name) P95 is at the limit: add capacity or find what consumes it." : nil,
                    evidence: evidence))
        }
        let disk = points.compactMap { p -> Double? in
            guard let r = p.diskReadMegabytesPerSecond, let w = p.diskWriteMegabytesPerSecond else { return nil }
            return r + w
        }
        if let observed = p95(disk) {
            let breach = observed >= thresholds.diskIOMegabytesPerSecond
            findings.append(
                Finding(
                    table: .resourceUtilization, check: "Disk I/O (MB/s)", status: breach ? .breach : .pass,
                    observed: String(format: "%.1f", observed), expected: "< \(Int(thresholds.diskIOMegabytesPerSecond))",
                    severity: breach ? .high : .info, measurements: ["p95": observed, "max": disk.max() ?? 0],
                    attributes: ["trend": trend(disk, unit: "MB/s")], evidence: evidence))
        }

        // Anomalies.
        let cpu = points.compactMap { p in p.cpuPercent.map { (p.time, $0, p.intervalSeconds) } }
        var spikes: [(Date, Double, Double)] = []
        for (a, b) in zip(cpu, cpu.dropFirst()) where b.1 - a.1 > thresholds.spikeRisePercent {
            spikes.append((b.0, a.1, b.1))
        }
        findings.append(
            Finding(
                table: .anomalyDetection, check: "CPU Spike", status: spikes.isEmpty ? .pass : .watch,
                observed: spikes.first.map { "\(spikes.count) spike(s); first \(Formatting.percent($0.1, digits: 0)) → \(Formatting.percent($0.2, digits: 0)) at \($0.0.formatted(.iso8601))" } ?? "none",
                severity: spikes.isEmpty ? .info : .medium, measurements: ["spikes": Double(spikes.count)],
                attributes: spikes.isEmpty ? [:] : ["impact": "CPU rose more than \(Int(thresholds.spikeRisePercent)) points within one sample"],
                recommendation: spikes.isEmpty ? "Continue monitoring" : "Correlate with deployments and traffic at those times",
                evidence: evidence))
        var run = 0.0
        var longest = 0.0
        for (_, value, interval) in cpu {
            run = value >= thresholds.sustainedLoadPercent ? run + interval : 0
            longest = max(longest, run)
        }
        let sustained = longest >= thresholds.sustainedSeconds
        findings.append(
            Finding(
                table: .anomalyDetection, check: "Sustained Load", status: sustained ? .breach : .pass,
                observed: longest > 0 ? "CPU ≥ \(Int(thresholds.sustainedLoadPercent))% for \(Int(longest)) s" : "none",
                expected: "< \(Int(thresholds.sustainedSeconds)) s at ≥ \(Int(thresholds.sustainedLoadPercent))%",
                severity: sustained ? .high : .info, measurements: ["longest_seconds": longest],
                attributes: sustained ? ["impact": "no headroom for traffic growth"] : [:],
                recommendation: sustained ? "Scale out before rollout" : "—", evidence: evidence))
        // Memory growth: host memory is a watch (caches grow too), GPU memory a breach (it does not shrink).
        for (check, key, status, severity, impact, action) in [
            ("Memory Growth", \ResourcePoint.memoryPercent, FindingStatus.watch, Severity.medium, "a leak would exhaust memory",
             "Check for a leak: watch one more cycle"),
            ("GPU Memory Growth", \ResourcePoint.gpuMemoryPercent, .breach, .high, "GPU memory will run out: OOM and restarts",
             "Find the leak (caching allocator, retained tensors) before rollout"),
        ] {
            let series = points.compactMap { p in p[keyPath: key].map { (p.time.timeIntervalSince1970, $0) } }
            guard series.count >= 2, window >= 60 else { continue }
            let slope = Self.slope(series) * 3600
            let growing = slope > thresholds.gpuMemoryGrowthPercentPerHour
            findings.append(
                Finding(
                    table: .anomalyDetection, check: check, status: growing ? status : .pass,
                    observed: String(format: "%+.2f points/hour", slope),
                    expected: "≤ \(Formatting.percent(thresholds.gpuMemoryGrowthPercentPerHour, digits: 0))/hour",
                    severity: growing ? severity : .info, measurements: ["points_per_hour": slope],
                    attributes: growing ? ["impact": impact] : [:], recommendation: growing ? action : "Continue monitoring",
                    evidence: evidence))
        }
        let reasons = points.compactMap(\.gpuThrottleReasons)
        if !reasons.isEmpty {
            let throttled = reasons.filter { $0 & GPUReading.thermalOrHardwareMask != 0 }.count
            findings.append(
                Finding(
                    table: .anomalyDetection, check: "Thermal Throttling", status: throttled > 0 ? .watch : .pass,
                    observed: throttled > 0 ? "thermal or hardware slowdown in \(throttled) of \(reasons.count) samples" : "none",
                    severity: throttled > 0 ? .medium : .info, measurements: ["throttled_samples": Double(throttled)],
                    attributes: throttled > 0 ? ["impact": "lower clocks, higher latency"] : [:],
                    recommendation: throttled > 0 ? "Check cooling and power limits" : "—", evidence: evidence))
        }
        let throttling = series(\.cgroupThrottledPercent)
        if !throttling.isEmpty {
            let throttled = throttling.filter { $0 > 0 }.count
            findings.append(
                Finding(
                    table: .anomalyDetection, check: "CPU Throttling (cgroup)", status: throttled > 0 ? .watch : .pass,
                    observed: throttled > 0
                        ? "throttled in \(throttled) of \(throttling.count) samples, up to \(Formatting.percent(throttling.max() ?? 0, digits: 0)) of periods"
                        : "none",
                    severity: throttled > 0 ? .medium : .info, measurements: ["throttled_samples": Double(throttled), "max_percent": throttling.max() ?? 0],
                    attributes: throttled > 0 ? ["impact": "the CPU quota stretches requests"] : [:],
                    recommendation: throttled > 0 ? "Raise the CPU quota or reduce work per request" : "—", evidence: evidence))
        }
        let util = series(\.diskUtilPercent)
        if !util.isEmpty {
            let busy = util.filter { $0 >= 90 }.count
            findings.append(
                Finding(
                    table: .anomalyDetection, check: "I/O Bottleneck", status: busy * 10 >= util.count && busy > 0 ? .watch : .pass,
                    observed: busy > 0 ? "disk ≥ 90% busy in \(busy) of \(util.count) samples" : "none", severity: busy > 0 ? .medium : .info,
                    measurements: ["busy_samples": Double(busy)], recommendation: busy > 0 ? "Move hot data to faster storage" : "—",
                    evidence: evidence))
        }
        return findings
    }

    /// Least-squares slope of (x, y).
    static func slope(_ points: [(Double, Double)]) -> Double {
        let n = Double(points.count)
        let mx = points.map(\.0).reduce(0, +) / n
        let my = points.map(\.1).reduce(0, +) / n
        let num = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let den = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return den == 0 ? 0 : num / den
    }
}
