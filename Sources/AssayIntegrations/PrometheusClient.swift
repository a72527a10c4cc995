import AssayCore
import AssayTelemetry
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Reads what an existing Prometheus scraped from a fleet of agents or node_exporters, over its HTTP API.
public struct PrometheusClient: Sendable {
    public var baseURL: String
    public var timeout: TimeAmount = .seconds(30)

    public init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// `GET /api/v1/query_range`; unreachable servers and error answers are `PrometheusError`s.
    public func queryRange(_ query: String, start: Date, end: Date, stepSeconds: Double) async throws -> [PrometheusSeries] {
        try await series(
            "/api/v1/query_range",
            [("query", query), ("start", String(start.timeIntervalSince1970)), ("end", String(end.timeIntervalSince1970)), ("step", String(stepSeconds))],
            source: query)
    }

    /// `GET /api/v1/query` at `time`: one point per series.
    public func query(_ query: String, at time: Date) async throws -> [PrometheusSeries] {
        try await series("/api/v1/query", [("query", query), ("time", String(time.timeIntervalSince1970))], source: query)
    }

    /// `GET /api/v1/label/NAME/values` for the series `match` selects between `start` and `end`.
    public func labelValues(_ label: String, match: String, start: Date, end: Date) async throws -> [String] {
        let body = try await get(
            "/api/v1/label/\(label)/values",
            [("match[]", match), ("start", String(start.timeIntervalSince1970)), ("end", String(end.timeIntervalSince1970))])
        guard case .array(let values)? = JSONValue.parse(body)?["data"] else {
            throw PrometheusError(url: baseURL, reason: "label values of \(label): not a Prometheus API answer")
        }
        return values.compactMap(\.string)
    }

    func series(_ path: String, _ items: [(String, String)], source: String) async throws -> [PrometheusSeries] {
        let body = try await get(path, items)
        do {
            return try PrometheusSeries.parse(Data(body), source: "\(baseURL) \(source)")
        } catch let error as TelemetryLogError {
            throw PrometheusError(url: baseURL, reason: error.expected)
        }
    }

    /// The request URL. A "+" in PromQL (`a + b`) is percent-encoded: left as is, the server reads it as a space.
    static func url(_ base: String, _ path: String, _ items: [(String, String)]) -> String? {
        guard var components = URLComponents(string: base + path) else { return nil }
        components.queryItems = items.map { URLQueryItem(name: $0.0, value: $0.1) }
        let query = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components.percentEncodedQuery = query
        return components.url?.absoluteString
    }

    func get(_ path: String, _ items: [(String, String)]) async throws -> [UInt8] {
        guard let url = Self.url(baseURL, path, items) else { throw PrometheusError(url: baseURL, reason: "not a URL") }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(HTTPClientRequest(url: url), timeout: timeout)
        } catch {
            throw PrometheusError(url: baseURL, reason: "\(error)")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw PrometheusError(url: baseURL, reason: "reading the answer to \(path): \(String(reflecting: error))")
        }
        guard response.status.code == 200 else {
            let detail = JSONValue.parse(body.readableBytesView)?["error"]?.string ?? "no detail"
            throw PrometheusError(url: baseURL, reason: "HTTP \(response.status.code): \(detail)")
        }
        return Array(body.readableBytesView)
    }
}

extension PrometheusClient {
    /// Whether the store is VictoriaMetrics (its `/health` answers "OK"; Prometheus, Thanos and Mimir answer 404
    /// there), whose range functions differ from Prometheus's at the edges of a series.
    public func isVictoriaMetrics() async -> Bool {
        guard let body = try? await get("/health", []) else { return false }
        return String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "OK"
    }

    /// The scrape intervals of the active targets (`GET /api/v1/targets`), seconds; nil when the server has no
    /// targets API (Thanos, Mimir answer an error: then the interval is unknown, not fatal), empty when it lists none.
    public func scrapeIntervals() async throws -> [Double]? {
        guard let body = try? await get("/api/v1/targets", [("state", "active")]),
            case .array(let targets)? = JSONValue.parse(body)?["data"]?["activeTargets"]
        else { return nil }
        return targets.compactMap { $0["scrapeInterval"]?.string.flatMap(Self.seconds) }
    }

    /// The spacing of the samples themselves: the median gap between consecutive raw samples of the series
    /// `selector` picks over the last `seconds` before `end` (an instant query of a range vector returns them as
    /// stored); nil when there are fewer than two samples. With the gaps counted too.
    public func sampleSpacing(_ selector: String, seconds: Int, end: Date) async throws -> (seconds: Double, gaps: Int)? {
        let series = try await query("\(selector)[\(seconds)s]", at: end)
        var gaps: [Double] = []
        for one in series {
            let times = one.points.map(\.time.timeIntervalSince1970).sorted()
            gaps += zip(times, times.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }
        }
        guard !gaps.isEmpty else { return nil }
        gaps.sort()
        // Scrapes jitter by a few milliseconds around a configured interval of whole seconds: from 2 s up, the median
        // is rounded to the second.
        let median = gaps[gaps.count / 2]
        return (median >= 2 ? median.rounded() : (median * 1000).rounded() / 1000, gaps.count)
    }

    /// A Prometheus duration (`15s`, `1m`, `1m30s`, `2h`, `500ms`) in seconds.
    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800), ("y", 31_536_000)]
        var rest = Substring(text)
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber }
            guard let value = Double(digits), !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        return text.isEmpty ? nil : total
    }
}

/// Per-host utilization of a fleet from the Prometheus that scrapes its agents or node_exporters: each instance's
/// P95 of CPU and memory utilization against the thresholds. The CPU rate window is at least four scrape
/// intervals (from the targets) and at least the step, so a 60 s scrape interval still gives every window its
/// samples; a query that returns no series is reported by name, never passed over.
public struct FleetCheck: Sendable {
    public struct Row: Sendable, Hashable, Codable {
        public var host: String
        public var metric: String
        public var p95: Double
        public var limit: Double
        public var points: Int
        public var breach: Bool
    }

    /// One GPU of one host, from dcgm-exporter's series: utilization P95, memory growth and XID errors.
    public struct GPURow: Sendable, Hashable, Codable {
        /// dcgm-exporter's `Hostname` label, else the instance.
        public var host: String
        public var gpu: String
        public var utilizationP95: Double?
        /// Growth of the memory in use, percent of itself per hour (least squares over the window).
        public var memoryGrowthPercentPerHour: Double?
        public var memoryUsedMiB: Double?
        /// At the window's growth rate, hours until the free memory is gone; nil when it is not growing.
        public var hoursToExhaustion: Double?
        /// The highest XID error code dcgm-exporter reported over the window (0: none).
        public var xid: Double?
        /// Why the GPU breaches: "utilization", "memory growth", "XID 79".
        public var breaches: [String]

        enum CodingKeys: String, CodingKey {
            case host, gpu, breaches, xid
            case utilizationP95 = "utilization_p95"
            case memoryGrowthPercentPerHour = "memory_growth_percent_per_hour"
            case memoryUsedMiB = "memory_used_mib"
            case hoursToExhaustion = "hours_to_exhaustion"
        }
    }

    /// The interval between a fleet's scrapes, and where it came from: `--scrape-interval` (or
    /// `integrations.prometheus.scrape_interval`), the targets API, or the samples themselves. Stores fed by remote
    /// write, federation, Thanos, Mimir or backfilled blocks list no targets; their samples still say.
    public struct ScrapeInterval: Sendable, Hashable, Codable {
        public enum Source: String, Sendable, Hashable, Codable {
            case configured
            case targets
            case samples
            case unknown
        }

        public var seconds: Double?
        public var source: Source
        /// How it was found, in words: "set by --scrape-interval", "the longest of 12 active targets' intervals",
        /// "the median gap between 2,876 consecutive samples of 5 hosts".
        public var detail: String

        public init(seconds: Double?, source: Source, detail: String) {
            (self.seconds, self.source, self.detail) = (seconds, source, detail)
        }

        public var description: String {
            seconds.map { "\(Formatting.number($0, digits: $0 == $0.rounded() ? 0 : 3)) s (\(detail))" } ?? "unknown (\(detail))"
        }
    }

    public struct Result: Sendable, Hashable, Codable {
        public var rows: [Row]
        /// Per GPU, when the fleet exports dcgm-exporter's series.
        public var gpus: [GPURow] = []
        /// Queries that returned no series: "name: query".
        public var noSeries: [String]
        /// Things said but not failures: no GPU series in a fleet that may have no GPUs.
        public var notes: [String] = []
        public var rateWindowSeconds: Int
        /// The scrape interval the rate window was sized from, and its source.
        public var scrapeInterval: ScrapeInterval
        public var breached: Bool { rows.contains(where: \.breach) || gpus.contains { !$0.breaches.isEmpty } }

        enum CodingKeys: String, CodingKey {
            case rows, gpus, notes
            case noSeries = "no_series"
            case rateWindowSeconds = "rate_window_seconds"
            case scrapeInterval = "scrape_interval"
        }
    }

    public var client: PrometheusClient
    public var cpuLimit: Double
    public var memoryLimit: Double
    public var gpuLimit: Double
    public var gpuMemoryGrowthLimit: Double
    /// The scrape interval, seconds, when the user set it; else it is read from the targets or the samples.
    public var scrapeIntervalSeconds: Double?

    public init(
        client: PrometheusClient, cpuLimit: Double, memoryLimit: Double, gpuLimit: Double = 90, gpuMemoryGrowthLimit: Double = 5,
        scrapeIntervalSeconds: Double? = nil
    ) {
        self.client = client
        self.cpuLimit = cpuLimit
        self.memoryLimit = memoryLimit
        self.gpuLimit = gpuLimit
        self.gpuMemoryGrowthLimit = gpuMemoryGrowthLimit
        self.scrapeIntervalSeconds = scrapeIntervalSeconds
    }

    /// Instances whose raw samples are read to measure the scrape interval.
    static let spacingInstances = 5

    /// The scrape interval: as set; else the longest of the active targets'; else the median gap between the raw
    /// samples of a few instances' idle-CPU (first CPU) and MemTotal series over the last three hours of the window
    /// (a bounded answer: 5 instances × 2 series × 10,800 samples at worst at a 1 s scrape).
    func scrapeInterval(instances: [String], hours: Double, now: Date) async throws -> ScrapeInterval {
        if let scrapeIntervalSeconds {
            return ScrapeInterval(seconds: scrapeIntervalSeconds, source: .configured, detail: "set by --scrape-interval or integrations.prometheus.scrape_interval")
        }
        if let targets = try await client.scrapeIntervals(), let longest = targets.max() {
            return ScrapeInterval(seconds: longest, source: .targets, detail: "the longest of \(targets.count) active targets' intervals (/api/v1/targets)")
        }
        let sampled = Array(instances.prefix(Self.spacingInstances))
        guard !sampled.isEmpty else {
            return ScrapeInterval(seconds: nil, source: .unknown, detail: "no targets listed and no instance to measure it on")
        }
        let selector = "{__name__=~\"node_cpu_seconds_total|node_memory_MemTotal_bytes\",mode=~\"idle|\",cpu=~\"0|\",\(Self.matchers(sampled)[0])}"
        guard let spacing = try await client.sampleSpacing(selector, seconds: Int(min(hours, 3) * 3600), end: now) else {
            return ScrapeInterval(
                seconds: nil, source: .unknown,
                detail: "no targets listed, and \(sampled.count) instances had under two samples in the last \(Formatting.duration(seconds: min(hours, 3) * 3600)); pass --scrape-interval")
        }
        return ScrapeInterval(
            seconds: spacing.seconds, source: .samples,
            detail: "no targets listed; the median gap between \(spacing.gaps) consecutive samples of \(sampled.count) instances")
    }

    /// The rate window: at least four scrape intervals (so every window holds samples to take a rate of), at least
    /// the step (so the evaluations cover the whole range between them), and at least a minute.
    public static func rateWindow(stepSeconds: Double, scrapeIntervalSeconds: Double?) -> Int {
        Int(max(60, stepSeconds, 4 * (scrapeIntervalSeconds ?? 0)).rounded(.up))
    }

    /// A judged metric: its name, the series that says which instances have it, its per-instance expression over
    /// the instances a label matcher selects, and the query for each instance's P95 over a window.
    struct Metric: Sendable {
        var name: String
        var series: String
        var expression: @Sendable (String) -> String
        /// The P95 over `duration` (e.g. `604800s`) at `step` (e.g. `300s`), for the instances `matcher` selects.
        var p95: @Sendable (_ matcher: String, _ duration: String, _ step: String) -> String
        var limit: Double
    }

    static func metrics(rateWindowSeconds: Int, cpuLimit: Double, memoryLimit: Double, victoriaMetrics: Bool = false) -> [Metric] {
        // One minus the idle seconds per CPU second, from the idle series alone (a host with 64 cores and 8 modes has
        // 512 CPU series, 64 of them idle). The slope is the least-squares one (`deriv`) over the samples inside the
        // window, not `rate`: where a host's series starts or stops inside the window (it joined or left the fleet),
        // `rate` extrapolates over too short a span and reads idle time as busy, the slope does not. A counter reset
        // (a reboot) gives a negative slope, above 100% busy: those evaluations are dropped (`<= 100`), a slope
        // slightly above one idle second per second (scrape jitter) reads 0%.
        // VictoriaMetrics gives a window holding one sample a slope of 0 (100% busy) where Prometheus gives none, but
        // its `rate` takes the sample before the window and does not extrapolate: there `rate` is used.
        let slope = victoriaMetrics ? "rate" : "deriv"
        let cpu: @Sendable (String) -> String = { m in
            let comma = m.isEmpty ? "" : ","
            return "clamp_min(100 * (1 - avg by (instance) (\(slope)(node_cpu_seconds_total{mode=\"idle\"\(comma)\(m)}[\(rateWindowSeconds)s]))), 0) <= 100"
        }
        return [
            Metric(
                name: "CPU Utilization (%)", series: "node_cpu_seconds_total", expression: cpu,
                p95: { m, duration, step in "quantile_over_time(0.95, (\(cpu(m)))[\(duration):\(step)])" }, limit: cpuLimit),
            // Memory in use is a ratio of two gauges, so its P95 comes from the 5th percentile of the available memory
            // over every scraped sample, with no subquery; exact while MemTotal stays put (the smallest total is
            // taken, so a host resized inside the window reads fuller, never emptier, than it was).
            Metric(
                name: "Memory Usage (%)", series: "node_memory_MemTotal_bytes",
                expression: { m in
                    let selector = m.isEmpty ? "" : "{\(m)}"
                    return "100 * (1 - node_memory_MemAvailable_bytes\(selector) / node_memory_MemTotal_bytes\(selector))"
                },
                p95: { m, duration, _ in
                    "100 * (1 - quantile_over_time(0.05, node_memory_MemAvailable_bytes{\(m)}[\(duration)]) / min_over_time(node_memory_MemTotal_bytes{\(m)}[\(duration)]))"
                },
                limit: memoryLimit),
        ]
    }

    /// Scraped samples per instance over `duration` of the series `selector` picks (with the instance `matcher`), for
    /// the rows' point counts: MemTotal (one series per host, from the same node_exporter scrape as its CPU series),
    /// or idle CPU for the few instances without it.
    static func samples(_ selector: String, _ matcher: String, _ duration: String) -> String {
        "max by (instance) (count_over_time(\(selector){\(matcher)}[\(duration)]))"
    }

    /// The expressions, without an instance matcher, as `assay telemetry fleet` names them.
    public static func queries(rateWindowSeconds: Int) -> [(name: String, query: String)] {
        metrics(rateWindowSeconds: rateWindowSeconds, cpuLimit: 0, memoryLimit: 0).map { ($0.name, $0.expression("")) }
    }

    /// `instance=~"…"` matchers for the instances, `batchSize` to each.
    static func matchers(_ instances: [String], batchSize: Int = batchSize) -> [String] {
        stride(from: 0, to: instances.count, by: batchSize).map { offset in
            "instance=~\"\(instances[offset..<min(instances.count, offset + batchSize)].map(regexEscaped).joined(separator: "|"))\""
        }
    }

    /// Batches in flight at once: enough to keep a few Prometheus cores busy without crowding out its other users.
    public static let concurrentQueries = 4

    /// `body` applied to each item, at most `limit` at a time, the results in the items' order.
    static func concurrently<Item: Sendable, Output: Sendable>(
        _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Output
    ) async throws -> [Output] {
        try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            var outputs = [Output?](repeating: nil, count: items.count)
            var next = 0
            while next < min(limit, items.count) {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
            while let (index, output) = try await group.next() {
                outputs[index] = output
                if next < items.count {
                    let index = next
                    group.addTask { (index, try await body(items[index])) }
                    next += 1
                }
            }
            return outputs.compactMap { $0 }
        }
    }

    /// Rate evaluations the CPU query may cost the store for the whole fleet: 2,000 hosts at a week of five-minute
    /// steps, or 10,000 hosts over a day at four minutes.
    public static let evaluationBudget = 4_000_000.0

    /// The step of the CPU subquery: the one asked for, coarsened so no instance needs more than 2,016 evaluations
    /// (a week at five minutes) and the fleet no more than `evaluationBudget`, in whole seconds. The rate window is
    /// at least the step, so a coarser step still counts every sample: with a 60 s scrape the window is already
    /// 240 s, and stepping by up to 240 s only stops evaluating overlapping windows.
    public static func step(requested: Double, hours: Double, instances: Int) -> Double {
        max(requested, (hours * 3600 / 2016).rounded(.up), (hours * 3600 * Double(instances) / evaluationBudget).rounded(.up))
    }

    /// Instances per query when nothing is known of the answer's size: 250 hosts over 7 days at 60 s are 2.5 million
    /// raw samples, far under Prometheus's default limit of 50 million.
    public static let batchSize = 250

    /// Raw samples one query may read (the memory and count queries read every sample of the window).
    public static let samplesPerQuery = 2_500_000.0

    /// Instances per query, from the answer's size: as many as keep a query's raw samples (the window over the scrape
    /// interval, 15 s when unknown, per instance) within `samplesPerQuery`, between 50 and 500 (a longer regular
    /// expression costs more to match, and the store holds more at once, than it saves): 500 for a day at 60 s, 248
    /// for a week, 62 for a week at 15 s.
    public static func batchSize(hours: Double, scrapeIntervalSeconds: Double?) -> Int {
        let samples = max(1, hours * 3600 / max(1, scrapeIntervalSeconds ?? 15))
        return Int(min(500, max(50, (samplesPerQuery / samples).rounded(.down))))
    }

    /// Each instance's P95 over the window, computed by Prometheus in batches of instances: CPU as `quantile_over_time`
    /// of a subquery of idle slopes at the step (coarsened by `step(requested:hours:instances:)`), memory and GPU
    /// utilization over every scraped sample; with each instance's count of scraped samples.
    public func run(hours: Double, stepSeconds: Double, now: Date = Date()) async throws -> Result {
        let start = now.addingTimeInterval(-hours * 3600)
        let duration = "\(Int((hours * 3600).rounded()))s"
        var instancesByMetric: [[String]] = []
        // The series each metric's instances are listed from do not depend on the rate window.
        for metric in Self.metrics(rateWindowSeconds: 0, cpuLimit: cpuLimit, memoryLimit: memoryLimit) {
            instancesByMetric.append(try await client.labelValues("instance", match: metric.series, start: start, end: now).sorted())
        }
        let everyInstance = Set(instancesByMetric.joined())
        let interval = try await scrapeInterval(instances: everyInstance.sorted(), hours: hours, now: now)
        let step = Self.step(requested: stepSeconds, hours: hours, instances: instancesByMetric.first?.count ?? 0)
        let stepText = "\(Int(step.rounded()))s"
        let window = Self.rateWindow(stepSeconds: step, scrapeIntervalSeconds: interval.seconds)
        let metrics = Self.metrics(
            rateWindowSeconds: window, cpuLimit: cpuLimit, memoryLimit: memoryLimit, victoriaMetrics: await client.isVictoriaMetrics())
        let batchSize = Self.batchSize(hours: hours, scrapeIntervalSeconds: interval.seconds)
        var batches: [(metric: Int, matcher: String)] = []
        for (number, metric) in metrics.enumerated() {
            batches += Self.matchers(instancesByMetric[number], batchSize: batchSize).map { (number, $0) }
        }
        // Prometheus evaluates concurrent queries in parallel: the batches go out a few at a time, then the sample
        // counts once per instance, from MemTotal (the memory metric's series) or, for the few without it, idle CPU.
        let memoryInstances = instancesByMetric[metrics.firstIndex { $0.series == "node_memory_MemTotal_bytes" }!]
        let client = client
        let queries = batches.map { metrics[$0.metric].p95($0.matcher, duration, stepText) }
            + Self.matchers(memoryInstances, batchSize: batchSize).map { Self.samples("node_memory_MemTotal_bytes", $0, duration) }
            + Self.matchers(everyInstance.subtracting(memoryInstances).sorted(), batchSize: batchSize).map {
                Self.samples("node_cpu_seconds_total", "mode=\"idle\",\($0)", duration)
            }
        let answers = try await Self.concurrently(queries, limit: Self.concurrentQueries) { try await client.query($0, at: now) }
        var points: [String: Int] = [:]
        for series in answers[batches.count...].joined() { points[series.host] = Int(series.points.first?.value ?? 0) }
        var rows: [Row] = []
        var noSeries: [String] = []
        var missing: [String] = []
        for (number, metric) in metrics.enumerated() {
            let metricRows = zip(batches, answers).filter { $0.0.metric == number }.flatMap(\.1).compactMap { series -> Row? in
                guard let p95 = series.points.first?.value else { return nil }
                return Row(host: series.host, metric: metric.name, p95: p95, limit: metric.limit, points: points[series.host] ?? 0, breach: p95 > metric.limit)
            }
            if metricRows.isEmpty { noSeries.append("\(metric.name): \(metric.expression(""))") }
            rows += metricRows.sorted { $0.host < $1.host }
            // A listed instance without a value is named, not dropped (its windows each held under two samples, or
            // only counter resets).
            let silent = Set(instancesByMetric[number]).subtracting(metricRows.map(\.host)).sorted()
            if !metricRows.isEmpty, !silent.isEmpty {
                missing.append(
                    "\(metric.name): no value for \(silent.count) of \(instancesByMetric[number].count) instances with its series ("
                        + silent.prefix(10).joined(separator: ", ") + (silent.count > 10 ? ", …" : "") + ")")
            }
        }
        var result = Result(rows: rows, noSeries: noSeries, rateWindowSeconds: window, scrapeInterval: interval)
        result.notes += missing
        if interval.seconds == nil { result.notes.append("scrape interval \(interval.description): the rate window is \(window) s") }
        let gpuInstances = try await client.labelValues("instance", match: "DCGM_FI_DEV_GPU_UTIL", start: start, end: now).sorted()
        if gpuInstances.isEmpty {
            result.notes.append("no GPU series (DCGM_FI_DEV_GPU_UTIL from dcgm-exporter): no GPUs in this fleet, or dcgm-exporter is not scraped")
        }
        let check = self
        result.gpus = try await Self.concurrently(Self.matchers(gpuInstances), limit: Self.concurrentQueries) { matcher in
            try await check.gpuRows(matcher: matcher, duration: duration, now: now)
        }.flatMap { $0 }
        result.gpus.sort { ($0.host, $0.gpu) < ($1.host, $1.gpu) }
        return result
    }

    /// The GPUs of a batch of instances: utilization P95 over the window; memory growth as the least-squares slope
    /// of memory in use over the window and over its second half or last hour, whichever is shorter (both must exceed
    /// the limit, so a warm-up that levels off is not a leak), with the hours until the free memory is gone; the
    /// highest XID code.
    func gpuRows(matcher m: String, duration: String, now: Date) async throws -> [GPURow] {
        let by = "max by (instance, Hostname, gpu)"
        // The recent slope: over the second half of the window, at most the last hour (a fleet's GPUs may have far
        // less history than the window, and a warm-up that levelled off an hour ago is not a leak).
        let half = "\(min(3600, max(60, (Int(duration.dropLast()) ?? 0) / 2)))s"
        let queries = [
            "util": "\(by) (quantile_over_time(0.95, DCGM_FI_DEV_GPU_UTIL{\(m)}[\(duration)]))",
            "slope": "\(by) (deriv(DCGM_FI_DEV_FB_USED{\(m)}[\(duration)]))",
            "recent": "\(by) (deriv(DCGM_FI_DEV_FB_USED{\(m)}[\(half)]))",
            "used": "\(by) (last_over_time(DCGM_FI_DEV_FB_USED{\(m)}[\(duration)]))",
            "free": "\(by) (last_over_time(DCGM_FI_DEV_FB_FREE{\(m)}[\(duration)]))",
            "xid": "\(by) (max_over_time(DCGM_FI_DEV_XID_ERRORS{\(m)}[\(duration)]))",
        ]
        var values: [String: [String: Double]] = [:]
        var names: [String: (host: String, gpu: String)] = [:]
        for (field, query) in queries {
            for series in try await client.query(query, at: now) {
                guard let value = series.points.first?.value, value.isFinite else { continue }
                let key = "\(series.labels["instance"] ?? "")|\(series.labels["Hostname"] ?? "")|\(series.labels["gpu"] ?? "")"
                names[key] = (series.labels["Hostname"] ?? series.host, series.labels["gpu"] ?? "?")
                values[key, default: [:]][field] = value
            }
        }
        return names.map { key, name in
            let v = values[key] ?? [:]
            var row = GPURow(host: name.host, gpu: name.gpu, utilizationP95: v["util"], memoryUsedMiB: v["used"], xid: v["xid"], breaches: [])
            if let slope = v["slope"], let used = v["used"], used > 0 {
                row.memoryGrowthPercentPerHour = 100 * 3600 * slope / used
                if slope > 0, let free = v["free"] { row.hoursToExhaustion = free / (slope * 3600) }
                let recent = 100 * 3600 * (v["recent"] ?? 0) / used
                if row.memoryGrowthPercentPerHour ?? 0 > gpuMemoryGrowthLimit, recent > gpuMemoryGrowthLimit { row.breaches.append("memory growth") }
            }
            if let util = row.utilizationP95, util > gpuLimit { row.breaches.append("utilization") }
            if let xid = row.xid, xid > 0 { row.breaches.append("XID \(Int(xid))") }
            return row
        }
    }

    /// `text` with the regular-expression metacharacters escaped, for an `=~` matcher.
    static func regexEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped.append("\\\\\\\\")
            case "\"": escaped.append("\\\"")
            case _ where ".^$|?*+()[]{}".contains(character): escaped.append("\\\\" + String(character))
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

public struct PrometheusError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String

    public var description: String { "Prometheus \(url): \(reason)" }
}

extension PrometheusError: AssayError {
    public var exitCode: Int32 { ExitStatus.unavailable }
}
