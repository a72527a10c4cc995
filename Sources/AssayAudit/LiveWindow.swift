import AssayCapacity
import AssayConfig
import AssayCore
import AssayServing
import Foundation

/// What `assay audit --live` measured beside the latency log and the host telemetry, as it writes it to
/// `live-window.json` in the run's evidence directory: the traffic it sent, its own CPU, the service process's CPU
/// and memory, the service's `/metrics` before and after the window, and the +5%/+20% windows that checked the
/// capacity plan. The audit's layers each turn their part of it into rows.
public struct LiveWindowRecord: Codable, Sendable, Hashable {
    public var windowSeconds: Double
    public var rateRPS: Double
    public var seed: UInt64
    public var requests: Int
    public var answered: Int
    public var failed: Int
    /// Assay's own CPU (load generator and sampling) over the window, percent of one core.
    public var assayCPUPercent: Double
    public var service: ServiceProcess?
    /// The service's `/metrics` at the window's start and end, relative to the workspace root.
    public var metricsBefore: String?
    public var metricsAfter: String?
    /// Why the service's `/metrics` was not read before or after the window (then neither is cited).
    public var metricsUnread: String?
    public var capacityChecks: [CapacityCheckWindow] = []

    public init(windowSeconds: Double, rateRPS: Double, seed: UInt64, requests: Int, answered: Int, failed: Int, assayCPUPercent: Double) {
        self.windowSeconds = windowSeconds
        self.rateRPS = rateRPS
        self.seed = seed
        self.requests = requests
        self.answered = answered
        self.failed = failed
        self.assayCPUPercent = assayCPUPercent
    }

    /// The service process Assay started, sampled once a second from /proc.
    public struct ServiceProcess: Codable, Sendable, Hashable {
        public var pid: Int32
        /// The per-second samples, relative to the workspace root.
        public var samples: String
        public var sampleCount: Int
        public var cpuMeanPercent: Double
        public var cpuP95Percent: Double
        public var rssFirstMiB: Double
        public var rssMaxMiB: Double
        public var rssLastMiB: Double

        public init(
            pid: Int32, samples: String, sampleCount: Int, cpuMeanPercent: Double, cpuP95Percent: Double, rssFirstMiB: Double, rssMaxMiB: Double,
            rssLastMiB: Double
        ) {
            self.pid = pid
            self.samples = samples
            self.sampleCount = sampleCount
            self.cpuMeanPercent = cpuMeanPercent
            self.cpuP95Percent = cpuP95Percent
            self.rssFirstMiB = rssFirstMiB
            self.rssMaxMiB = rssMaxMiB
            self.rssLastMiB = rssLastMiB
        }

        enum CodingKeys: String, CodingKey {
            case pid, samples
            case sampleCount = "sample_count"
            case cpuMeanPercent = "cpu_mean_percent"
            case cpuP95Percent = "cpu_p95_percent"
            case rssFirstMiB = "rss_first_mib"
            case rssMaxMiB = "rss_max_mib"
            case rssLastMiB = "rss_last_mib"
        }
    }

    /// One window at +N% of the current rate, beside what the capacity plan projected for it.
    public struct CapacityCheckWindow: Codable, Sendable, Hashable {
        public var increasePercent: Double
        public var rateRPS: Double
        public var seconds: Double
        public var requests: Int
        public var failed: Int
        public var measuredCPUPercent: Double?
        public var measuredP95Ms: Double?
        public var projectedCPUPercent: Double?
        public var projectedP95Ms: Double?

        public init(
            increasePercent: Double, rateRPS: Double, seconds: Double, requests: Int, failed: Int, measuredCPUPercent: Double?, measuredP95Ms: Double?,
            projectedCPUPercent: Double?, projectedP95Ms: Double?
        ) {
            self.increasePercent = increasePercent
            self.rateRPS = rateRPS
            self.seconds = seconds
            self.requests = requests
            self.failed = failed
            self.measuredCPUPercent = measuredCPUPercent
            self.measuredP95Ms = measuredP95Ms
            self.projectedCPUPercent = projectedCPUPercent
            self.projectedP95Ms = projectedP95Ms
        }

        /// The projection's error relative to the measurement, percent; nil when either is missing.
        public static func error(projected: Double?, measured: Double?) -> Double? {
            guard let projected, let measured, measured > 0 else { return nil }
            return (projected - measured) / measured * 100
        }

        public var cpuErrorPercent: Double? { Self.error(projected: projectedCPUPercent, measured: measuredCPUPercent) }
        public var p95ErrorPercent: Double? { Self.error(projected: projectedP95Ms, measured: measuredP95Ms) }

        /// "CPU projected 35.0%, measured 37.0% (error -5.5%); P95 projected 277 ms, measured 149 ms (error +86.0%)":
        /// the words the progress line and the report row share.
        public var comparison: String {
            func signed(_ value: Double?) -> String { value.map { ($0 >= 0 ? "+" : "") + Formatting.percent($0) } ?? "—" }
            func percent(_ value: Double?) -> String { value.map { Formatting.percent($0) } ?? "—" }
            func ms(_ value: Double?) -> String { value.map { Formatting.milliseconds($0) + " ms" } ?? "—" }
            return "CPU projected \(percent(projectedCPUPercent)), measured \(percent(measuredCPUPercent)) (error \(signed(cpuErrorPercent))); P95 projected \(ms(projectedP95Ms)), measured \(ms(measuredP95Ms)) (error \(signed(p95ErrorPercent)))"
        }

        enum CodingKeys: String, CodingKey {
            case seconds, requests, failed
            case increasePercent = "increase_percent"
            case rateRPS = "rate_rps"
            case measuredCPUPercent = "measured_cpu_percent"
            case measuredP95Ms = "measured_p95_ms"
            case projectedCPUPercent = "projected_cpu_percent"
            case projectedP95Ms = "projected_p95_ms"
        }
    }

    enum CodingKeys: String, CodingKey {
        case seed, requests, answered, failed, service
        case windowSeconds = "window_seconds"
        case rateRPS = "rate_rps"
        case assayCPUPercent = "assay_cpu_percent_of_one_core"
        case metricsBefore = "metrics_before"
        case metricsAfter = "metrics_after"
        case metricsUnread = "metrics_unread"
        case capacityChecks = "capacity_checks"
    }

    /// Reads the record at `path`.
    public static func read(at path: String) throws -> LiveWindowRecord {
        try JSONCoding.decoder().decode(LiveWindowRecord.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Reads the record at `configuration.liveWindow`; nil when the audit is not a live one.
    static func load(_ configuration: Configuration) throws -> (record: LiveWindowRecord, evidence: Evidence)? {
        guard let cited = configuration.liveWindow else { return nil }
        let path = configuration.resolve(cited)
        let record: LiveWindowRecord
        do {
            record = try read(at: path)
        } catch {
            throw InputError(path: cited, line: 0, expected: "a live window record written by assay audit --live (\(error))")
        }
        return (record, try Evidence.file(at: path, displayPath: cited))
    }
}

/// The live window's rows, each in the table of the layer it speaks for.
public enum LiveWindowFindings {
    /// Assay's own share of one core may not exceed this without a word: above it the measurement disturbs
    /// what it measures on a small host.
    public static let assayCPUBudgetPercent = 5.0

    /// RESOURCE UTILIZATION: the service process's CPU and memory, and Assay's own CPU.
    public static func resources(_ configuration: Configuration) throws -> [Finding] {
        guard let (record, evidence) = try LiveWindowRecord.load(configuration) else { return [] }
        let window = "\(Formatting.number(record.windowSeconds, digits: 0)) s at \(Formatting.number(record.rateRPS, digits: 1)) req/s"
        var rows: [Finding] = []
        if let service = record.service {
            let samples = try Evidence.file(
                at: configuration.resolve(service.samples), displayPath: service.samples, locator: "pid \(service.pid), \(service.sampleCount) samples")
            let limit = configuration.thresholds.resources.cpuPercent
            rows.append(
                Finding(
                    table: .resourceUtilization, check: "Service process CPU (% of one core)",
                    status: service.cpuP95Percent > limit ? .watch : .pass,
                    observed: "mean \(Formatting.number(service.cpuMeanPercent, digits: 1)), P95 \(Formatting.number(service.cpuP95Percent, digits: 1)) (pid \(service.pid), \(window))",
                    expected: "P95 < \(Formatting.number(limit, digits: 0))", severity: service.cpuP95Percent > limit ? .medium : .info,
                    measurements: ["mean": service.cpuMeanPercent, "p95": service.cpuP95Percent, "window_seconds": record.windowSeconds],
                    evidence: samples, [evidence]))
            let growth = service.rssLastMiB - service.rssFirstMiB
            rows.append(
                Finding(
                    table: .resourceUtilization, check: "Service process memory (RSS MiB)", status: .pass,
                    observed: "\(Formatting.number(service.rssFirstMiB, digits: 1)) → \(Formatting.number(service.rssLastMiB, digits: 1)) (max \(Formatting.number(service.rssMaxMiB, digits: 1)), \(growth >= 0 ? "+" : "")\(Formatting.number(growth, digits: 1)) over the window)",
                    severity: .info,
                    measurements: ["first": service.rssFirstMiB, "max": service.rssMaxMiB, "last": service.rssLastMiB, "window_seconds": record.windowSeconds],
                    statusLabel: "ℹ️ Measured", evidence: samples, [evidence]))
        }
        let over = record.assayCPUPercent > assayCPUBudgetPercent
        var cite = evidence
        cite.locator = "assay_cpu_percent_of_one_core"
        rows.append(
            Finding(
                table: .resourceUtilization, check: "Assay's own CPU (% of one core)", status: over ? .watch : .pass,
                observed: "\(Formatting.number(record.assayCPUPercent, digits: 1)) (load generator and sampling, \(window))",
                expected: "≤ \(Formatting.number(assayCPUBudgetPercent, digits: 0))", severity: over ? .low : .info,
                measurements: ["assay_cpu_percent": record.assayCPUPercent, "window_seconds": record.windowSeconds],
                recommendation: over ? "The measurement takes more than \(Formatting.number(assayCPUBudgetPercent, digits: 0))% of a core beside the service: drive the load from another host (--url) on hosts this small" : nil,
                evidence: cite))
        return rows
    }

    /// LATENCY PROFILE: the requests that failed in the window, and each latency histogram the service exposes on
    /// `/metrics`, as the difference between the scrapes before and after the window, with its count held against
    /// the answers Assay received.
    public static func latency(_ configuration: Configuration) throws -> [Finding] {
        guard let (record, evidence) = try LiveWindowRecord.load(configuration) else { return [] }
        let share = record.requests > 0 ? Double(record.failed) / Double(record.requests) * 100 : 0
        var cite = evidence
        cite.locator = "requests, answered, failed"
        var rows = [
            Finding(
                table: .latencyProfile, check: "Failed requests (live window)", status: record.failed == 0 ? .pass : .breach,
                observed: "\(record.failed) of \(record.requests) (\(Formatting.percent(share)))", expected: "0",
                severity: record.failed == 0 ? .info : .high,
                measurements: ["failed": Double(record.failed), "requests": Double(record.requests), "failed_percent": share],
                statusLabel: record.failed == 0 ? "✅ 0 of \(record.requests)" : "❌ \(record.failed) of \(record.requests) failed",
                recommendation: record.failed == 0 ? nil : "Read the service's log beside \(configuration.liveWindow ?? "the record"): failed requests are not in the latency figures",
                evidence: cite)
        ]
        guard let beforePath = record.metricsBefore, let afterPath = record.metricsAfter else {
            if let reason = record.metricsUnread {
                var cite = evidence
                cite.locator = "metrics_unread"
                rows.append(
                    Finding(
                        table: .latencyProfile, check: "Service histograms (service /metrics)", status: .watch, observed: "not read: \(reason)",
                        expected: "the service's /metrics before and after the window", severity: .low, statusLabel: "⚠️ Not read",
                        recommendation: "Expose Prometheus metrics at /metrics so the service's own latency histograms are held against what Assay measured",
                        evidence: cite))
            }
            return rows
        }
        let before = try PrometheusExposition(String(contentsOfFile: configuration.resolve(beforePath), encoding: .utf8), source: beforePath)
        let after = try PrometheusExposition(String(contentsOfFile: configuration.resolve(afterPath), encoding: .utf8), source: afterPath)
        let afterEvidence = try Evidence.file(
            at: configuration.resolve(afterPath), displayPath: afterPath, locator: "less \(beforePath)")
        let histograms = WindowHistogram.all(before: before, after: after)
        if histograms.isEmpty {
            rows.append(
                Finding(
                    table: .latencyProfile, check: "Service histograms (service /metrics)", status: .pass,
                    observed: "none: no histogram named *_seconds or *_milliseconds counted a request in the window", severity: .info,
                    statusLabel: "ℹ️ None exposed", evidence: afterEvidence, [evidence]))
        }
        for histogram in histograms {
            let agrees = abs(histogram.count - Double(record.answered)) <= max(1, Double(record.answered) * 0.01)
            let row = Finding(
                table: .latencyProfile, check: "\(histogram.label) (service /metrics)", status: agrees ? .pass : .watch,
                observed: "\(Formatting.number(histogram.count, digits: 0)) observations; Assay received \(record.answered) answers",
                severity: agrees ? .info : .medium,
                measurements: ["mean_ms": histogram.meanMs, "count": histogram.count].merging(
                    histogram.p95.map { ["p95_ms": $0.value, "p95_error_ms": $0.maxError] } ?? [:]) { a, _ in a }
                    .merging(histogram.p99.map { ["p99_ms": $0.value, "p99_error_ms": $0.maxError] } ?? [:]) { a, _ in a },
                attributes: ["source": "service histogram \(histogram.name)"],
                statusLabel: agrees
                    ? "✅ \(Formatting.number(histogram.count, digits: 0)) counted"
                    : "⚠️ counted \(Formatting.number(histogram.count, digits: 0)) of \(record.answered)",
                evidence: afterEvidence, [evidence])
            rows.append(row)
        }
        return rows
    }

    /// CAPACITY PLANNING: each projection beside the window that measured it.
    public static func capacity(_ configuration: Configuration) throws -> [Finding] {
        guard let (record, evidence) = try LiveWindowRecord.load(configuration) else { return [] }
        return record.capacityChecks.map { window in
            let (cpuError, p95Error) = (window.cpuErrorPercent, window.p95ErrorPercent)
            // A projection that missed by more than a quarter is not one to plan on.
            let off = [cpuError, p95Error].compactMap { $0 }.contains { abs($0) > 25 }
            var cite = evidence
            cite.locator = "capacity_checks, +\(Formatting.number(window.increasePercent, digits: 0))%"
            var measurements = ["increase_percent": window.increasePercent, "rate_rps": window.rateRPS, "seconds": window.seconds]
            measurements["measured_cpu_percent"] = window.measuredCPUPercent
            measurements["measured_p95_ms"] = window.measuredP95Ms
            measurements["projected_cpu_percent"] = window.projectedCPUPercent
            measurements["projected_p95_ms"] = window.projectedP95Ms
            measurements["cpu_error_percent"] = cpuError
            measurements["p95_error_percent"] = p95Error
            return Finding(
                table: .capacityPlanning, check: "+\(Formatting.number(window.increasePercent, digits: 0))% traffic, measured",
                status: off || window.failed > 0 ? .watch : .pass,
                observed: "\(Formatting.number(window.rateRPS, digits: 1)) req/s for \(Formatting.number(window.seconds, digits: 0)) s (\(window.requests) requests, \(window.failed) failed): \(window.comparison)",
                severity: off ? .medium : .info, measurements: measurements,
                statusLabel: off ? "⚠️ Projection off by more than 25%" : "✅ Projection held",
                recommendation: off ? "Re-measure capacity with longer steps (live.capacity_step_seconds) before planning on this projection" : nil,
                evidence: cite)
        }
    }
}

/// One latency histogram series over the live window: the after-scrape less the before-scrape.
struct WindowHistogram {
    var name: String
    var label: String
    var count: Double
    var meanMs: Double
    var p95: QuantileEstimate?
    var p99: QuantileEstimate?

    /// Every histogram whose name says a time unit (`_seconds`, `_milliseconds`) and that counted something in the
    /// window, one per label set, in name and label order.
    static func all(before: PrometheusExposition, after: PrometheusExposition) -> [WindowHistogram] {
        var found: [WindowHistogram] = []
        for (name, type) in after.types.sorted(by: { $0.key < $1.key }) where type == "histogram" {
            let scale: Double
            if name.hasSuffix("_seconds") { scale = 1000 } else if name.hasSuffix("_milliseconds") || name.hasSuffix("_ms") { scale = 1 } else { continue }
            let series = Set(after.values(name + "_count").map(\.labels)).sorted { $0.description < $1.description }
            for labels in series {
                var resets: [String] = []
                guard let window = HistogramWindow(name, matching: labels, before: before, after: after, resets: &resets), window.count > 0
                else { continue }
                let label = labels.isEmpty ? name : labels.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ")
                found.append(
                    WindowHistogram(
                        name: name, label: label, count: window.count, meanMs: window.sum / window.count * scale,
                        p95: window.quantile(0.95, scale: scale), p99: window.quantile(0.99, scale: scale)))
            }
        }
        return found
    }
}
