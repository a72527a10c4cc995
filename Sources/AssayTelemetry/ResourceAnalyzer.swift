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
        func p95(_ values: [Double]) -> Double? { Quantile.type7(sorted: values.sorted(), 0.95) }
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
        let spikes = Self.spikes(
            cpu.map { ($0.0, $0.1) }, rise: thresholds.spikeRisePercent, floor: thresholds.spikeFloorPercent,
            persistence: thresholds.spikePersistenceSamples)
        findings.append(
            Finding(
                table: .anomalyDetection, check: "CPU Spike", status: spikes.isEmpty ? .pass : .watch,
                observed: spikes.first.map { "\(spikes.count) spike(s); first \(Formatting.percent($0.1, digits: 0)) → \(Formatting.percent($0.2, digits: 0)) at \($0.0.formatted(.iso8601))" } ?? "none",
                severity: spikes.isEmpty ? .info : .medium, measurements: ["spikes": Double(spikes.count)],
                attributes: spikes.isEmpty ? [:] : ["impact": "CPU rose more than \(Int(thresholds.spikeRisePercent)) points over its recent median, to at least \(Int(thresholds.spikeFloorPercent))%, for \(thresholds.spikePersistenceSamples)+ samples"],
                recommendation: spikes.isEmpty ? "Continue monitoring" : "Correlate with deployments and traffic at those times",
                evidence: evidence))
        // Sustained load as the agent's rule judges it: firing after `sustained_seconds` above the limit, until
        // the load falls under the clear threshold.
        var rule = SustainedLoadRule(
            threshold: thresholds.sustainedLoadPercent, clearThreshold: thresholds.sustainedClearPercent,
            forSeconds: thresholds.sustainedSeconds, keepFiringSeconds: thresholds.keepFiringSeconds)
        var run = 0.0
        var longest = 0.0
        var fired = 0
        for (time, value, interval) in cpu {
            run = value > thresholds.sustainedLoadPercent ? run + interval : 0
            longest = max(longest, run)
            if rule.observe(value, at: time) == .firing { fired += 1 }
        }
        let sustained = fired > 0
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
            let all = points.compactMap { p in p[keyPath: key].map { (p.time.timeIntervalSince1970, $0) } }
            // Past warm-up (the first tenth of the window: caches and allocators filling), robust slope, and
            // growth that is mostly monotone: most minutes higher than the one before.
            let series = Array(all.dropFirst(all.count / 10))
            guard series.count >= 2, window >= 60 else { continue }
            let slope = Self.theilSen(series) * 3600
            let spanHours = ((series.last?.0 ?? 0) - (series.first?.0 ?? 0)) / 3600
            let growing = slope > thresholds.gpuMemoryGrowthPercentPerHour && Self.mostlyRising(series)
                && (spanHours >= 1 || check == "Memory Growth")
            findings.append(
                Finding(
                    table: .anomalyDetection, check: check, status: growing ? status : .pass,
                    observed: String(format: "%+.2f points/hour", slope),
                    expected: "≤ \(Formatting.percent(thresholds.gpuMemoryGrowthPercentPerHour, digits: 0))/hour",
                    severity: growing ? severity : .info, measurements: ["points_per_hour": slope],
                    attributes: growing ? ["impact": impact] : [:], recommendation: growing ? action : "Continue monitoring",
                    evidence: evidence))
        }
        let cpuThrottle = points.compactMap(\.cpuThrottleEvents)
        if !cpuThrottle.isEmpty {
            let events = cpuThrottle.reduce(0, +)
            let hottest = points.compactMap(\.cpuTemperatureCelsius).max()
            findings.append(
                Finding(
                    table: .anomalyDetection, check: "CPU Thermal Throttling", status: events > 0 ? .watch : .pass,
                    observed: events > 0 ? "\(Int(events)) throttle event(s)" + (hottest.map { ", hottest zone \(Int($0)) °C" } ?? "") : "none",
                    severity: events > 0 ? .medium : .info, measurements: ["throttle_events": events] .merging(hottest.map { ["max_temperature_c": $0] } ?? [:]) { a, _ in a },
                    attributes: events > 0 ? ["impact": "the CPU ran below its clock while hot: latency rises"] : [:],
                    recommendation: events > 0 ? "Check cooling and power limits on this host" : "—", evidence: evidence))
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
    /// Spike events: samples more than `rise` points above the median of the previous ten, at or above `floor`,
    /// lasting `persistence` samples or more; one event per run. Returns (time, baseline, peak) of each.
    static func spikes(_ series: [(Date, Double)], rise: Double, floor: Double, persistence: Int) -> [(Date, Double, Double)] {
        var events: [(Date, Double, Double)] = []
        var runStart: Int?
        var runPeak = 0.0
        var runBaseline = 0.0
        func close(_ end: Int) {
            if let start = runStart, end - start >= persistence { events.append((series[start].0, runBaseline, runPeak)) }
            runStart = nil
        }
        for index in series.indices {
            let history = series[max(0, index - 10)..<index].map(\.1).sorted()
            guard !history.isEmpty else { continue }
            let median = history[history.count / 2]
            let value = series[index].1
            if value - median > rise, value >= floor {
                if runStart == nil {
                    runStart = index
                    runBaseline = median
                    runPeak = value
                }
                runPeak = max(runPeak, value)
            } else if runStart != nil, value - runBaseline <= rise {
                close(index)
            }
        }
        close(series.count)
        return events
    }

    /// Theil–Sen: the median of pairwise slopes (every pair up to 300 points, else a fixed stride), robust to
    /// the outliers a least-squares line follows.
    static func theilSen(_ points: [(Double, Double)]) -> Double {
        let stride = max(1, points.count / 300)
        let sample = Swift.stride(from: 0, to: points.count, by: stride).map { points[$0] }
        var slopes: [Double] = []
        slopes.reserveCapacity(sample.count * sample.count / 2)
        for i in sample.indices {
            for j in (i + 1)..<sample.count where sample[j].0 != sample[i].0 {
                slopes.append((sample[j].1 - sample[i].1) / (sample[j].0 - sample[i].0))
            }
        }
        guard !slopes.isEmpty else { return 0 }
        slopes.sort()
        return slopes.count % 2 == 1 ? slopes[slopes.count / 2] : (slopes[slopes.count / 2 - 1] + slopes[slopes.count / 2]) / 2
    }

    /// Whether at least 70% of consecutive minute means rise (a sawtooth of cache fills and frees does not).
    static func mostlyRising(_ points: [(Double, Double)]) -> Bool {
        let grouped: [Int: [(Double, Double)]] = Dictionary(grouping: points) { Int($0.0 / 60) }
        let minutes: [Double] = grouped.keys.sorted().map { key in
            let values = grouped[key] ?? []
            return values.reduce(0.0) { $0 + $1.1 } / Double(values.count)
        }
        guard minutes.count >= 3 else { return true }
        let rising = zip(minutes, minutes.dropFirst()).filter { $1 > $0 }.count
        return Double(rising) / Double(minutes.count - 1) >= 0.7
    }
}
