import AssayCore
import Foundation

/// RESOURCE UTILIZATION and ANOMALY DETECTION rows from telemetry points, judged by the thresholds:
/// utilization by its P95 over the window (the maximum is kept as a measurement), spikes as rises of more
/// than `spike_rise_percent` points over the recent level (every one an event), sustained load as the agent's
/// alerting rule, memory growth as percent of the memory in use per hour (per GPU), throttling with its times.
public struct ResourceAnalyzer: Sendable {
    public var thresholds: Thresholds.Resources

    public init(thresholds: Thresholds.Resources) {
        self.thresholds = thresholds
    }

    /// The shortest window over which a resource trend is stated.
    public static let minimumTrendSeconds = 600.0

    /// Earlier samples of the same host (the agent's minute samples in the store), and how many stored samples could
    /// not be read.
    public struct History: Sendable {
        public var points: [ResourcePoint]
        public var unreadable: Int

        public init(points: [ResourcePoint] = [], unreadable: Int = 0) {
            self.points = points
            self.unreadable = unreadable
        }
    }

    /// `history`: earlier samples of the same host, before `points`; the Resource Anomalies row learns each metric's
    /// normal from them and judges the window on the same resolution.
    public func findings(_ points: [ResourcePoint], evidence: Evidence, history: History = History()) -> [Finding] {
        var findings: [Finding] = []
        // Closures, not key paths: a key path's projection copies the whole sample, and a day at 1 Hz is 86,400 of them.
        func each<T>(_ body: (ResourcePoint) -> T?) -> [T] { points.indices.compactMap { body(points[$0]) } }
        func series(_ key: (ResourcePoint) -> Double?) -> [Double] { each(key) }
        func p95(_ values: [Double]) -> Double? { Quantile.type7(sorted: values.sorted(), 0.95) }
        /// The change over the window by a robust slope (Theil–Sen), claimed only when its CI95 excludes 0 and it
        /// amounts to a unit or more, so one burst is not a trend.
        let window = each { $0.intervalSeconds }.reduce(0, +)
        // A trend means something over ten minutes or more; over a shorter window it is not stated, and the window is.
        func trend(_ values: [Double], unit: String) -> String {
            guard window >= Self.minimumTrendSeconds else { return "—, window \(Formatting.duration(seconds: window.rounded()))" }
            guard values.count >= 6 else { return "—" }
            let (slope, low, high) = TheilSen.interval(values.enumerated().map { (Double($0.offset), $0.element) })
            let change = slope * Double(values.count - 1)
            return (low > 0 || high < 0) && abs(change) >= 1
                ? String(format: "%+.1f", change) + " \(unit) over \(Formatting.duration(seconds: window.rounded()))" : "Stable"
        }
        let start = points.first?.time ?? Date(timeIntervalSince1970: 0)
        /// The series the report draws: seconds since the first sample against the value, thinned to 240 points.
        func drawn(_ value: (ResourcePoint) -> Double?) -> [String: [SeriesPoint]] {
            ["values": SeriesPoint.thinned(each { p in value(p).map { SeriesPoint(p.time.timeIntervalSince(start), $0) } }, to: 240)]
        }
        // Each metric's normal over the window, judged once and shared by the rows that need it.
        let normal = HostNormal()
        var judgements: [String: HostNormal.Judgement] = [:]
        func judgement(_ metric: String, _ series: [(Date, Double, Double)]) -> HostNormal.Judgement {
            if let known = judgements[metric] { return known }
            let made = normal.judge(series.map(\.1), times: series.map(\.0))
            judgements[metric] = made
            return made
        }
        /// (time, value, interval) of the samples that carry a metric.
        func timed(_ value: (ResourcePoint) -> Double?) -> [(Date, Double, Double)] {
            each { p in value(p).map { (p.time, $0, p.intervalSeconds) } }
        }
        let rows: [(String, (ResourcePoint) -> Double?, Double, metric: String)] = [
            ("CPU Utilization (%)", { $0.cpuPercent }, thresholds.cpuPercent, "CPU"),
            ("Memory Usage (%)", { $0.memoryPercent }, thresholds.memoryPercent, "memory"),
            ("Disk Utilization (%)", { $0.diskUtilPercent }, 90, "disk utilization"),
            ("GPU Utilization (%)", { $0.gpuPercent }, thresholds.gpuPercent, "GPU utilization"),
        ]
        for (name, key, limit, metric) in rows {
            let values = series(key)
            guard let observed = p95(values), let maximum = values.max() else { continue }
            let breach = observed >= limit
            var finding = Finding(
                table: .resourceUtilization, check: name, status: breach ? .breach : .pass,
                observed: Formatting.percent(observed, digits: 1), expected: "< \(Formatting.percent(limit, digits: 0))",
                severity: breach ? .high : .info,
                measurements: [
                    "p95": observed, "max": maximum, "mean": values.reduce(0, +) / Double(values.count), "samples": Double(values.count),
                    "window_seconds": window, "threshold": limit, "series_start": start.timeIntervalSince1970,
                ],
                attributes: ["trend": trend(values, unit: "points")],
                recommendation: breach ? "\(name) P95 is at the limit: add capacity or find what consumes it." : nil,
                evidence: evidence)
            finding.series = drawn(key)
            if breach {
                // Each run at or over the limit, routine where this host usually runs that high at that time.
                let series = timed(key)
                let normal = judgement(metric, series)
                finding.events = Self.episodes(
                    series, above: limit, orEqual: true, lasting: 0, kind: "breach", usual: normal.judgedFrom == nil ? nil : normal.usual)
            }
            findings.append(finding)
        }
        let disk = each(Self.diskIO)
        if let observed = p95(disk) {
            let breach = observed >= thresholds.diskIOMegabytesPerSecond
            var finding = Finding(
                table: .resourceUtilization, check: "Disk I/O (MB/s)", status: breach ? .breach : .pass,
                observed: Formatting.value(observed, unit: "MB/s"), expected: "< \(Formatting.number(thresholds.diskIOMegabytesPerSecond, digits: 0)) MB/s",
                severity: breach ? .high : .info,
                measurements: [
                    "p95": observed, "max": disk.max() ?? 0, "window_seconds": window, "threshold": thresholds.diskIOMegabytesPerSecond,
                    "series_start": start.timeIntervalSince1970,
                ],
                attributes: ["trend": trend(disk, unit: "MB/s")], evidence: evidence)
        finding.series = drawn(Self.diskIO)
        findings.append(finding)
    }

    // Anomalies.
    let cpu = timed { $0.cpuPercent }
    let cpuJudgement = judgement("CPU", cpu)
    findings.append(spikeFinding(cpu, judgement: cpuJudgement, windowSeconds: window, evidence: evidence))
    findings.append(anomalyFinding(points, history: history, normal: normal, judgement: judgement, evidence: evidence))
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
    // Every episode above the limit that lasted the rule's `sustained_seconds`, with its times.
    let episodes = Self.episodes(
        cpu, above: thresholds.sustainedLoadPercent, orEqual: false, lasting: thresholds.sustainedSeconds, kind: "sustained",
        usual: cpuJudgement.judgedFrom == nil ? nil : cpuJudgement.usual)
    var observed = longest > 0 ? "CPU ≥ \(Int(thresholds.sustainedLoadPercent))% for \(Formatting.duration(seconds: longest))" : "none"
    if let first = episodes.first, let last = episodes.last {
        observed += "; \(episodes.count) episode\(episodes.count == 1 ? "" : "s") of \(Formatting.duration(seconds: thresholds.sustainedSeconds)) or more, first \(Self.stamp(first.start))"
            + (episodes.count > 1 ? ", last \(Self.stamp(last.start))" : "")
    }
    var sustainedRow = Finding(
        table: .anomalyDetection, check: "Sustained Load", status: sustained ? .breach : .pass, observed: observed,
        expected: "< \(Formatting.duration(seconds: thresholds.sustainedSeconds)) at ≥ \(Int(thresholds.sustainedLoadPercent))%",
        severity: sustained ? .high : .info, measurements: ["longest_seconds": longest, "episodes": Double(episodes.count)],
        attributes: sustained ? ["impact": "no headroom for traffic growth"] : [:],
        recommendation: sustained ? "Scale out before rollout" : "—", evidence: evidence)
    sustainedRow.events = episodes
    findings.append(sustainedRow)
    // Memory growth, relative to the memory in use: host memory is a watch (caches grow too), GPU memory a
    // breach (it does not shrink), one row per device.
    let host = each { p in
        p.memoryPercent.map { percent in (p.time.timeIntervalSince1970, p.memoryTotalMiB.map { percent / 100 * $0 } ?? percent, p.memoryTotalMiB ?? 100) }
    }
    findings.append(
        growthFinding(
            "Memory Growth", host, unit: points.indices.contains { points[$0].memoryTotalMiB != nil } ? "MiB" : "points", device: "host",
            status: .watch, severity: .medium, impact: "a leak would exhaust memory", action: "Check for a leak: watch one more cycle",
            evidence: evidence))
        let devices = Set(each { $0.gpuDevices?.map(\.index) }.joined()).sorted()
        if devices.isEmpty {
            let series = each { p in p.gpuMemoryPercent.map { (p.time.timeIntervalSince1970, $0, 100.0) } }
            if !series.isEmpty {
                findings.append(
                    growthFinding(
                        "GPU Memory Growth", series, unit: "points", device: "GPU", status: .breach, severity: .high,
                        impact: "GPU memory will run out: OOM and restarts", action: "Find the leak (caching allocator, retained tensors) before rollout",
                        evidence: evidence))
            }
        }
        for index in devices {
            let series = each { p -> (Double, Double, Double)? in
                guard let device = p.gpuDevices?.first(where: { $0.index == index }), let used = device.memoryUsedMiB,
                    let total = device.memoryTotalMiB, total > 0
                else { return nil }
                return (p.time.timeIntervalSince1970, used, total)
            }
            guard !series.isEmpty else { continue }
            findings.append(
                growthFinding(
                    devices.count == 1 ? "GPU Memory Growth" : "GPU \(index) Memory Growth", series, unit: "MiB", device: "GPU \(index)",
                    status: .breach, severity: .high, impact: "GPU memory will run out: OOM and restarts",
                    action: "Find the leak (caching allocator, retained tensors) before rollout", evidence: evidence))
        }
        let cpuThrottle = series { $0.cpuThrottleEvents }
        if !cpuThrottle.isEmpty {
            let events = cpuThrottle.reduce(0, +)
            let hottest = series { $0.cpuTemperatureCelsius }.max()
            findings.append(
                Self.timed(points, { ($0.cpuThrottleEvents ?? 0) > 0 }, Finding(
                    table: .anomalyDetection, check: "CPU Thermal Throttling", status: events > 0 ? .watch : .pass,
                    observed: events > 0 ? "\(Int(events)) throttle event(s)" + (hottest.map { ", hottest zone \(Int($0)) °C" } ?? "") : "none",
                    severity: events > 0 ? .medium : .info, measurements: ["throttle_events": events] .merging(hottest.map { ["max_temperature_c": $0] } ?? [:]) { a, _ in a },
                    attributes: events > 0 ? ["impact": "the CPU ran below its clock while hot: latency rises"] : [:],
                    recommendation: events > 0 ? "Check cooling and power limits on this host" : "—", evidence: evidence)))
        }
        let reasons = each { $0.gpuThrottleReasons }
        if !reasons.isEmpty {
            let throttled = reasons.filter { $0 & GPUReading.thermalOrHardwareMask != 0 }.count
            findings.append(
                Self.timed(points, { ($0.gpuThrottleReasons ?? 0) & GPUReading.thermalOrHardwareMask != 0 }, Finding(
                    table: .anomalyDetection, check: "Thermal Throttling", status: throttled > 0 ? .watch : .pass,
                    observed: throttled > 0 ? "thermal or hardware slowdown in \(throttled) of \(reasons.count) samples" : "none",
                    severity: throttled > 0 ? .medium : .info, measurements: ["throttled_samples": Double(throttled)],
                    attributes: throttled > 0 ? ["impact": "lower clocks, higher latency"] : [:],
                    recommendation: throttled > 0 ? "Check cooling and power limits" : "—", evidence: evidence)))
        }
        let throttling = series { $0.cgroupThrottledPercent }
        if !throttling.isEmpty {
            let throttled = throttling.filter { $0 > 0 }.count
            findings.append(
                Self.timed(points, { ($0.cgroupThrottledPercent ?? 0) > 0 }, Finding(
                    table: .anomalyDetection, check: "CPU Throttling (cgroup)", status: throttled > 0 ? .watch : .pass,
                    observed: throttled > 0
                        ? "throttled in \(throttled) of \(throttling.count) samples, up to \(Formatting.percent(throttling.max() ?? 0, digits: 0)) of periods"
                        : "none",
                    severity: throttled > 0 ? .medium : .info, measurements: ["throttled_samples": Double(throttled), "max_percent": throttling.max() ?? 0],
                    attributes: throttled > 0 ? ["impact": "the CPU quota stretches requests"] : [:],
                    recommendation: throttled > 0 ? "Raise the CPU quota or reduce work per request" : "—", evidence: evidence)))
        }
        let util = series { $0.diskUtilPercent }
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

    static func stamp(_ date: Date) -> String { date.formatted(.iso8601) }

    /// The runs of a series of (time, value, interval seconds) above `limit` (or at it, with `orEqual`) that lasted
    /// `lasting` seconds or more above it, as events of `kind`: from the start of the first sample's interval to the
    /// last sample above, with the highest value. A run continues across up to `bridge` samples below the limit, so
    /// noise around it does not split one episode into hundreds. With `usual` (whether each sample is usual for its
    /// time of day or week, by the host's normal), an episode usual throughout is routine, `expected` true: the host
    /// runs this high at that time; any other is not.
    public static func episodes(
        _ series: [(Date, Double, Double)], above limit: Double, orEqual: Bool, lasting: Double, kind: String, bridge: Int = 2,
        usual: [Bool]? = nil
    ) -> [FindingEvent] {
        var events: [FindingEvent] = []
        var run: (first: Int, last: Int, start: Date, end: Date, peak: Double, seconds: Double, below: Int)?
        func close() {
            if let open = run, open.seconds >= lasting, open.seconds > 0 {
                let expected = usual.map { usual in usual[open.first...open.last].allSatisfy { $0 } }
                events.append(FindingEvent(start: open.start, end: open.end, peak: open.peak, kind: kind, expected: expected))
            }
            run = nil
        }
        for (index, (time, value, interval)) in series.enumerated() {
            guard orEqual ? value >= limit : value > limit else {
                if var open = run, open.below < bridge {
                    open.below += 1
                    run = open
                } else {
                    close()
                }
                continue
            }
            if var open = run {
                open.end = time
                open.last = index
                open.peak = max(open.peak, value)
                open.seconds += interval
                open.below = 0
                run = open
            } else {
                run = (index, index, time.addingTimeInterval(-interval), time, value, interval, 0)
            }
        }
        close()
        return events
    }

    /// A spike: a sample more than `rise` points above the recent level (the median of the previous ten samples),
    /// at or above `floor`, starting a run that lasts `persistence` samples or more; the run ends when the value
    /// falls back within `rise` of the level it rose from.
    public struct Spike: Sendable, Hashable {
        public var start: Date
        public var end: Date
        public var level: Double
        public var peak: Double
        /// The indices of its first and last samples in the series.
        public var firstSample: Int
        public var lastSample: Int
        /// Within this host's normal (a rise its model does not flag); nil where the series is too short for one.
        public var expected: Bool?
        public var rise: Double { peak - level }
        public var seconds: Double { end.timeIntervalSince(start) }
    }

    /// Every spike in a series of (time, value, interval seconds), in time order.
    public static func spikes(_ series: [(Date, Double, Double)], rise: Double, floor: Double, persistence: Int) -> [Spike] {
        var events: [Spike] = []
        var runStart: Int?
        var runPeak = 0.0
        var runLevel = 0.0
        func close(_ end: Int) {
            if let start = runStart, end - start >= persistence {
                let last = series[end - 1]
                events.append(
                    Spike(start: series[start].0.addingTimeInterval(-series[start].2), end: last.0, level: runLevel, peak: runPeak, firstSample: start, lastSample: end - 1))
            }
            runStart = nil
        }
        var window: [Double] = []
        for index in series.indices {
            let value = series[index].1
            defer {
                window.append(value)
                if window.count > 10 { window.removeFirst() }
            }
            guard !window.isEmpty else { continue }
            if runStart != nil {
                if value - runLevel > rise {
                    runPeak = max(runPeak, value)
                } else {
                    close(index)
                }
                continue
            }
            let level = window.sorted()[window.count / 2]
            if value - level > rise, value >= floor {
                runStart = index
                runLevel = level
                runPeak = value
            }
        }
        close(series.count)
        return events
    }

    /// The CPU Spike row. Once this host's normal is known (`HostNormal`, from `judgedFrom`), a spike is an alarm of
    /// that model that rose more than `spike_rise_percent` percent of the level it rose from: on a host at 1%, past
    /// 1.2% (the band decides); on one at 60%, past 72%. Rises of the seed's rule (more than `spike_rise_percent`
    /// points over the median of the previous ten samples) that the model does not flag are routine (counted,
    /// `expected`, not alarms) where the host's daily or weekly profile explains them or the model has learnt a whole
    /// day, and alarms before that. Before the model knows the host (a short recording), the seed's rule alone judges.
    func spikeFinding(_ cpu: [(Date, Double, Double)], judgement: HostNormal.Judgement, windowSeconds: Double, evidence: Evidence) -> Finding {
        let rule = Self.spikes(cpu, rise: thresholds.spikeRisePercent, floor: thresholds.spikeFloorPercent, persistence: thresholds.spikePersistenceSamples)
        let alarms = judgement.excursions.filter { !$0.expected }
        var spikes = alarms.filter {
            $0.kind == .spike && $0.peak - $0.level > thresholds.spikeRisePercent / 100 * max($0.level, 0) && $0.peak >= thresholds.spikeFloorPercent
        }.map {
            Spike(start: cpu[$0.start].0.addingTimeInterval(-cpu[$0.start].2), end: cpu[$0.end].0, level: $0.level, peak: $0.peak, firstSample: $0.start, lastSample: $0.end,
                expected: false)
        }
        for var spike in rule {
            if let from = judgement.judgedFrom, spike.firstSample >= from {
                // The model judged it: an alarm of any kind covers it; a rise the daily or weekly profile explains is
                // this host's routine, and so is any other once the model has learnt a whole day (it found the rise
                // inside this host's band); before that, the rule's rise stays an alarm.
                // (Touching counts: an alarm that starts on the sample after the rise's last one covers it.)
                guard !alarms.contains(where: { $0.start <= spike.lastSample + 1 && spike.firstSample <= $0.end + 1 }) else { continue }
                spike.expected = judgement.explained[spike.firstSample] || cpu[spike.firstSample].0.timeIntervalSince(cpu[0].0) >= 86_400
            }
            spikes.append(spike)
        }
        spikes.sort { $0.start < $1.start }
        let flagged = spikes.filter { $0.expected != true }
        let routine = spikes.count - flagged.count
        let floorText = thresholds.spikeFloorPercent > 0 ? ", reaching at least \(Formatting.percent(thresholds.spikeFloorPercent, digits: 0))" : ""
        let expected = "outside this host's normal band, rising > \(Formatting.number(thresholds.spikeRisePercent, digits: 0))% of its level\(floorText); "
            + "before the host's normal is known: > \(Formatting.number(thresholds.spikeRisePercent, digits: 0)) points over the median of the previous 10 samples, for \(thresholds.spikePersistenceSamples)+ samples"
        guard let worst = flagged.max(by: { $0.rise < $1.rise }) ?? spikes.max(by: { $0.rise < $1.rise }),
            let first = spikes.first, let last = spikes.last
        else {
            return Finding(
                table: .anomalyDetection, check: "CPU Spike", status: .pass, observed: "none", expected: expected, severity: .info,
                measurements: ["spikes": 0, "alarms": 0, "routine": 0], recommendation: "Continue monitoring", evidence: evidence)
        }
        let hours = max(windowSeconds, 1) / 3600
        let longest = flagged.map(\.seconds).max() ?? 0
        let perHour = Double(flagged.count) / hours
        let severe = longest >= 60 || (windowSeconds >= 600 && perHour >= 10)
        let severityReason = longest >= 60
            ? "one spike lasted \(Formatting.duration(seconds: longest)) (a minute or more)"
            : severe ? "\(Formatting.number(perHour, digits: 0)) spikes per hour (ten or more)" : "each spike under a minute, fewer than ten per hour"
        let counted = "\(spikes.count) spike\(spikes.count == 1 ? "" : "s")"
        var observed = routine == spikes.count
            ? "\(counted), all within this host's usual pattern (not alarms)"
            : "\(counted); worst +\(Formatting.number(worst.rise, digits: 0)) points to \(Formatting.percent(worst.peak, digits: 0)) for \(Formatting.duration(seconds: worst.seconds)) at \(Self.stamp(worst.start))"
        if spikes.count > 1 { observed += "; first \(Self.stamp(first.start)), last \(Self.stamp(last.start))" }
        if routine > 0, routine < spikes.count { observed += "; \(routine) within this host's usual pattern (not alarms)" }
        var finding = Finding(
            table: .anomalyDetection, check: "CPU Spike", status: flagged.isEmpty ? .pass : .watch, observed: observed, expected: expected,
            severity: flagged.isEmpty ? .info : severe ? .high : .medium,
            measurements: [
                "spikes": Double(spikes.count), "alarms": Double(flagged.count), "routine": Double(routine),
                "spikes_per_hour": Double(spikes.count) / hours, "worst_rise_points": worst.rise, "worst_peak_percent": worst.peak,
                "longest_seconds": longest,
            ],
            attributes: flagged.isEmpty ? [:] : [
                "impact": "CPU rose beyond this host's normal: requests queue behind the burst",
                "severity_reason": severityReason,
            ],
            recommendation: flagged.isEmpty ? "Continue monitoring" : "Correlate with deployments, cron jobs and traffic at those times", evidence: evidence)
        finding.events = spikes.map { FindingEvent(start: $0.start, end: $0.end, peak: $0.peak, rise: $0.rise, kind: "spike", expected: $0.expected) }
        return finding
    }

    /// Disk read plus write, and network receive plus transmit, MB/s.
    static func diskIO(_ p: ResourcePoint) -> Double? { p.diskReadMegabytesPerSecond.flatMap { r in p.diskWriteMegabytesPerSecond.map { r + $0 } } }
    static func network(_ p: ResourcePoint) -> Double? {
        p.networkReceiveMegabytesPerSecond.flatMap { r in p.networkTransmitMegabytesPerSecond.map { r + $0 } }
    }

    /// The metrics judged against each host's normal, with their unit of change.
    static let normalMetrics: [(name: String, unit: String, value: @Sendable (ResourcePoint) -> Double?)] = [
        ("CPU", "points", { $0.cpuPercent }), ("memory", "points", { $0.memoryPercent }), ("GPU utilization", "points", { $0.gpuPercent }),
        ("GPU memory", "points", { $0.gpuMemoryPercent }), ("disk I/O", "MB/s", diskIO), ("network", "MB/s", network),
    ]

    /// The Resource Anomalies row: every metric against this host's normal (`HostNormal`): drops and level shifts of
    /// CPU (its spikes have their own row), spikes, drops and level shifts of the others, each an event naming its
    /// metric. With `history` (earlier samples of this host, such as the agent's minute samples in the store), the
    /// window is averaged to the history's step as the agent averages its minutes (`ResourcePoint.aggregate`) and
    /// judged after it, so the normal of past days and weeks applies, CPU spikes included. `judgement` judges a
    /// metric's window alone, shared with the other rows. Not judged, and saying so, while there is too little for a
    /// normal.
    func anomalyFinding(
        _ points: [ResourcePoint], history stored: History, normal: HostNormal,
        judgement judgeWindow: (String, [(Date, Double, Double)]) -> HostNormal.Judgement, evidence: Evidence
    ) -> Finding {
        var events: [FindingEvent] = []
        var parts: [String] = []
        var judged: [String] = []
        var needed = normal.recentPoints
        var longest = 0
        var learnt = 0.0
        let history = stored.points
        // The window at the history's step, once for every metric.
        let step = history.count > 1 ? HostNormal.medianStep(history.map(\.time)) : 0
        var buckets: [ResourcePoint] = []
        if step > 0 {
            var bucket: [ResourcePoint] = []
            var key: Double?
            for point in points {
                let next = (point.time.timeIntervalSince1970 / step).rounded(.down)
                if next != key, let mean = ResourcePoint.aggregate(bucket) {
                    buckets.append(mean)
                    bucket.removeAll()
                }
                key = next
                bucket.append(point)
            }
            if let mean = ResourcePoint.aggregate(bucket) { buckets.append(mean) }
        }
        func timed(_ samples: [ResourcePoint], _ value: (ResourcePoint) -> Double?) -> [(Date, Double, Double)] {
            samples.indices.compactMap { i in value(samples[i]).map { (samples[i].time, $0, samples[i].intervalSeconds) } }
        }
        for metric in Self.normalMetrics {
            var series = timed(points, metric.value)
            guard let first = series.first?.0 else { continue }
            longest = max(longest, series.count)
            // The store's history of this metric before the window, then the window at its step.
            var offset = 0
            let past = timed(history, metric.value).filter { $0.0 < first }
            if past.count > normal.recentPoints, step > 0 {
                offset = past.count
                learnt = max(learnt, first.timeIntervalSince(past[0].0))
                series = past + timed(buckets, metric.value)
            }
            let judgement = offset == 0 ? judgeWindow(metric.name, series) : normal.judge(series.map(\.1), times: series.map(\.0))
            needed = judgement.historyPoints
            guard let from = judgement.judgedFrom, from < series.count else { continue }
            judged.append(metric.name)
            // The magnitude floor: a change of more than `spike_rise_percent` percent of the level, and of at least one
            // point (one MB/s), so a flat series' tiny move is not an anomaly.
            let found = judgement.excursions.filter { excursion in
                let change = abs(excursion.size ?? excursion.peak - excursion.level)
                return excursion.start >= offset && !excursion.expected && (metric.name != "CPU" || excursion.kind != .spike || offset > 0)
                    && change > thresholds.spikeRisePercent / 100 * abs(excursion.level) && change >= 1
            }
            for excursion in found {
                events.append(
                    FindingEvent(
                        start: series[excursion.start].0.addingTimeInterval(-series[excursion.start].2), end: series[excursion.end].0,
                        peak: excursion.peak, rise: excursion.size ?? excursion.peak - excursion.level, detail: metric.name,
                        kind: excursion.kind.rawValue, expected: false))
            }
            guard let worst = found.max(by: { abs($0.size ?? $0.peak - $0.level) < abs($1.size ?? $1.peak - $1.level) }) else { continue }
            let change = worst.size ?? worst.peak - worst.level
            let unit = metric.unit == "points" ? " points" : " \(metric.unit)"
            let to = metric.unit == "points" ? Formatting.percent(worst.peak, digits: 0) : Formatting.value(worst.peak, unit: metric.unit)
            let what = FindingEvent.name(ofKind: worst.kind.rawValue)
            var part = "\(metric.name): \(FindingEvent.tally(found.map(\.kind.rawValue))); largest a \(what) of \(String(format: "%+.0f", change))\(unit) to \(to) at \(Self.stamp(series[worst.start].0))"
            if found.count > 1, let earliest = found.first, let latest = found.last {
                part += ", first \(Self.stamp(series[earliest.start].0)), last \(Self.stamp(series[latest.start].0))"
            }
            parts.append(part)
        }
        let expected = "within this host's normal (its recent level, daily and weekly profile)"
        guard !judged.isEmpty else {
            // The recent level's points, the average's, then the history of averages the score needs.
            let required = needed + normal.recentPoints + (normal.rules.first { $0.reference == .recent }?.smoothingPoints ?? 0)
            return Finding(
                table: .anomalyDetection, check: "Resource Anomalies", status: .notJudged,
                observed: longest == 0 ? "not measured: the log has no resource readings"
                    : "not judged: \(longest) samples; a host's normal needs more than \(required)",
                expected: expected, severity: .info,
                recommendation: "Record more than \(required) samples (a day's worth at most) to judge against the host's normal", evidence: evidence)
        }
        events.sort { $0.start < $1.start }
        var against = learnt > 0 ? ", against \(Formatting.duration(seconds: learnt.rounded())) of this host's history in the store" : ""
        if stored.unreadable > 0 { against += ", \(stored.unreadable) stored sample\(stored.unreadable == 1 ? "" : "s") unreadable and left out" }
        var finding = Finding(
            table: .anomalyDetection, check: "Resource Anomalies", status: events.isEmpty ? .pass : .watch,
            observed: events.isEmpty ? "none (judged: \(judged.joined(separator: ", "))\(against))" : parts.joined(separator: "; ") + (against.isEmpty ? "" : " (\(against.dropFirst(2)))"),
            expected: expected,
            severity: events.isEmpty ? .info : .medium,
            measurements: [
                "events": Double(events.count), "drops": Double(events.filter { $0.kind == "drop" }.count),
                "level_shifts": Double(events.filter { $0.kind == "level_shift" }.count), "spikes": Double(events.filter { $0.kind == "spike" }.count),
                "history_seconds": learnt,
            ],
            attributes: events.isEmpty ? [:] : ["impact": "a metric left this host's normal: a drop can be lost traffic or a stopped service, a level shift a changed workload"],
            recommendation: events.isEmpty ? "Continue monitoring" : "Correlate with deployments, traffic and incidents at those times", evidence: evidence)
        finding.events = events
        return finding
    }

/// How fast memory in use grows, past the warm-up.
public struct Growth: Sendable, Hashable {
    /// Units per hour (Theil–Sen), with Sen's CI95, over the window past the warm-up.
    public var slope: Double
    public var slopeLow: Double
    public var slopeHigh: Double
    /// The slope over the second half only: a warm-up that plateaus has none there.
    public var recentSlope: Double
    /// The fitted level at the last sample, and the capacity, in the same unit.
    public var level: Double
    public var capacity: Double
    public var hours: Double
    /// The fitted level in the middle of the window: the memory in use the rate is relative to.
    public var typical: Double

    /// Percent of the memory in use per hour.
    public var percentPerHour: Double { typical > 0 ? slope / typical * 100 : 0 }
    public var recentPercentPerHour: Double { typical > 0 ? recentSlope / typical * 100 : 0 }
    /// Hours until the capacity is reached at this rate, and the range from Sen's CI; nil when not growing.
    public var hoursToExhaustion: (estimate: Double, low: Double, high: Double?)? {
        guard slope > 0, capacity > level else { return nil }
        let room = capacity - level
        return (room / slope, room / slopeHigh, slopeLow > 0 ? room / slopeLow : nil)
    }
}

/// The growth of a (epoch seconds, used, capacity) series past its first tenth (caches and allocators filling).
public static func growth(_ series: [(Double, Double, Double)]) -> Growth? {
    let past = Array(series.dropFirst(series.count / 10))
    guard past.count >= 4, let first = past.first, let last = past.last, last.0 > first.0 else { return nil }
    let points = past.map { ($0.0, $0.1) }
    let (slope, low, high) = TheilSen.interval(points)
    let recent = TheilSen.interval(Array(points.suffix(points.count / 2))).0
    let times = points.map(\.0).sorted()
    let medianTime = times[times.count / 2]
    let values = points.map { $0.1 - slope * ($0.0 - medianTime) }.sorted()
    let intercept = values[values.count / 2]
    return Growth(
        slope: slope * 3600, slopeLow: low * 3600, slopeHigh: high * 3600, recentSlope: recent * 3600,
        level: intercept + slope * (last.0 - medianTime), capacity: last.2, hours: (last.0 - first.0) / 3600, typical: intercept)
}

/// A memory-growth row: growing faster than the limit (percent of the memory in use per hour), over the whole
/// window past the warm-up and over its second half, across at least an hour.
func growthFinding(
    _ check: String, _ series: [(Double, Double, Double)], unit: String, device: String, status: FindingStatus, severity: Severity,
    impact: String, action: String, evidence: Evidence
) -> Finding {
    let limit = thresholds.gpuMemoryGrowthPercentPerHour
    let expected = "≤ \(Formatting.percent(limit, digits: 0)) of the memory in use per hour"
    guard !series.isEmpty else {
        return Finding(
            table: .anomalyDetection, check: check, status: .notJudged, observed: "not measured: the log has no \(device) memory readings",
            expected: expected, severity: .info, recommendation: "Record \(device) memory to judge its growth", evidence: evidence)
    }
    guard let growth = Self.growth(series) else {
        return Finding(
            table: .anomalyDetection, check: check, status: .notJudged, observed: "not judged: too few samples (\(series.count))", expected: expected,
            severity: .info, recommendation: "Record for an hour or more", evidence: evidence)
    }
    // Under an hour past the warm-up a rate per hour is an extrapolation: it is not shown.
    guard growth.hours >= 1 else {
        return Finding(
            table: .anomalyDetection, check: check, status: .notJudged,
            observed: "not judged: \(Formatting.duration(seconds: (growth.hours * 3600).rounded())) past the warm-up, 1 h needed", expected: expected,
            severity: .info, recommendation: "Record for an hour or more", evidence: evidence)
    }
    let rate = "\(String(format: "%+.1f", growth.percentPerHour))%/h of the memory in use (\(String(format: "%+.0f", growth.slope)) \(unit)/h)"
    let growing = growth.percentPerHour > limit && growth.recentPercentPerHour > limit / 2
    var observed = rate
    var measurements = [
        "percent_per_hour": growth.percentPerHour, "per_hour": growth.slope, "per_hour_ci95_low": growth.slopeLow,
        "per_hour_ci95_high": growth.slopeHigh, "recent_percent_per_hour": growth.recentPercentPerHour, "level": growth.level,
        "capacity": growth.capacity, "hours": growth.hours,
    ]
    if growing, let exhaustion = growth.hoursToExhaustion {
        let high = exhaustion.high.map { Formatting.number($0, digits: 0) } ?? "∞"
        observed += "; at this rate \(device) runs out of memory in \(Formatting.number(exhaustion.estimate, digits: 0)) h [\(Formatting.number(exhaustion.low, digits: 0)), \(high)]"
        measurements["hours_to_exhaustion"] = exhaustion.estimate
    } else if growth.percentPerHour > limit {
        observed += "; growth stopped in the second half (a warm-up that plateaued)"
    }
    return Finding(
        table: .anomalyDetection, check: check, status: growing ? status : .pass, observed: observed, expected: expected,
        severity: growing ? severity : .info, measurements: measurements, attributes: growing ? ["impact": impact] : [:],
        recommendation: growing ? action : "Continue monitoring", evidence: evidence)
}

/// The finding with one event per run of samples that match `throttled`, and the first one's time in its text.
static func timed(_ points: [ResourcePoint], _ throttled: (ResourcePoint) -> Bool, _ finding: Finding) -> Finding {
    var finding = finding
    var start: ResourcePoint?
    var previous: ResourcePoint?
    for point in points {
        if throttled(point) {
            if start == nil { start = point }
        } else if let first = start, let last = previous {
            finding.events.append(FindingEvent(start: first.time.addingTimeInterval(-first.intervalSeconds), end: last.time))
            start = nil
        }
        previous = point
    }
    if let first = start, let last = previous {
        finding.events.append(FindingEvent(start: first.time.addingTimeInterval(-first.intervalSeconds), end: last.time))
    }
    if let first = finding.events.first {
        finding.observed += "; first at \(first.start.formatted(.iso8601))" + (finding.events.count > 1 ? ", last at \(finding.events[finding.events.count - 1].start.formatted(.iso8601))" : "")
    }
    return finding
}
}
