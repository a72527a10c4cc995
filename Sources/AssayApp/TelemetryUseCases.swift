import AssayConfig
import AssayCore
import AssayIntegrations
import AssayTelemetry
import NIOCore
import Foundation
import UnixSignals

/// `assay telemetry`: recordings of a host, their judgement, the GPUs, and fleets through Prometheus.
public enum TelemetryUseCases {
    /// Utilization and anomalies of a telemetry log; exits 1 on a breach.
    public static func analyze(_ file: String, configuration: Configuration) throws -> FindingsOutput {
        try requireFile(file)
        let points = try TelemetryLog.read(path: file)
        let findings = ResourceAnalyzer(thresholds: configuration.thresholds.resources)
            .findings(points, evidence: try Evidence.file(at: file, locator: "L1-\(points.count)"))
        return FindingsOutput(title: "Resources (\(points.count) samples)", findings: findings, exitCode: FindingsOutput.breachCode(findings))
    }

    /// Samples /proc (and the GPUs) for `duration` seconds, appending each sample to the log as it is taken (one
    /// whole line per write), so the file is a valid log at every moment. SIGTERM or SIGINT stops the recording:
    /// the log keeps every sample taken, and the answer says it stopped early. `progress` hears a line after each
    /// sample: the elapsed time, the samples and the last CPU reading.
    public static func record(
        output: String, duration: Double, interval: Double, procRoot: String,
        progress: (@Sendable (String) -> Void)? = nil
    ) async throws -> Lines {
        guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
            throw AppError("\(output): cannot write", code: ExitStatus.cannotWrite)
        }
        defer { try? handle.close() }
        let gpus = GPUSampler(intervalMilliseconds: Int(interval * 1000))
        defer { gpus?.stop() }
        let sampler = HostSampler(root: procRoot)
        let started = ContinuousClock.now
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let (points, signal) = try await withThrowingTaskGroup(of: ([ResourcePoint]?, UnixSignal?).self) { group in
            group.addTask {
                var count = 0
                let points = try await TelemetryLog.record(sampler: sampler, gpus: gpus, duration: duration, interval: interval) { point in
                    do {
                        try handle.write(contentsOf: Data(try TelemetryLog.line(point).utf8))
                    } catch {
                        throw AppError("\(output): cannot write: \(error.localizedDescription)", code: ExitStatus.cannotWrite)
                    }
                    count += 1
                    let elapsed = (ContinuousClock.now - started).components.seconds
                    progress?(
                        "recording \(output): \(Formatting.duration(seconds: Double(elapsed))) of \(Formatting.duration(seconds: duration)), "
                            + "\(count) samples, CPU \(point.cpuPercent.map { Formatting.percent($0) } ?? "—")")
                }
                return (points, nil)
            }
            group.addTask {
                for await signal in signals { return (nil, signal) }
                return (nil, nil)
            }
            // A signal cancels the recording, which then returns what it has; the recording's end stops the listener.
            var caught: UnixSignal?
            while let (recorded, signal) = try await group.next() {
                caught = caught ?? signal
                group.cancelAll()
                if let recorded { return (recorded, caught) }
            }
            return ([], caught)
        }
        let span = points.count > 1 ? (points.last!.time.timeIntervalSince(points.first!.time) + interval) : Double(points.count) * interval
        var lines = ["Wrote \(output): \(points.count) samples over \(Formatting.duration(seconds: span.rounded()))"]
        if let signal {
            lines.append(
                "note: stopped by \(signal) after \(Formatting.duration(seconds: span.rounded())) of the \(Formatting.duration(seconds: duration)) asked; "
                    + "the log holds every sample taken")
        }
        return Lines(lines)
    }

    /// What nvidia-smi (or a saved XML) reports, and the XID errors in the kernel log.
    public static func gpu(xml: String?, kernelLog: String?) throws -> GPUOutput {
        let data: Data
        if let xml {
            guard let contents = FileManager.default.contents(atPath: xml) else { throw AppError("\(xml): cannot read", code: ExitStatus.missingInput) }
            data = contents
        } else {
            guard let output = ProcessOutput.run(["nvidia-smi", "-q", "-x"]) else {
                throw AppError("nvidia-smi is not available; pass --xml FILE", code: ExitStatus.missingInput)
            }
            data = output
        }
        let log = kernelLog.flatMap { FileManager.default.contents(atPath: $0) } ?? ProcessOutput.run(["dmesg"]) ?? Data()
        return GPUOutput(gpus: NvidiaSMI.parse(xml: data), xids: XIDCounter.count(String(decoding: log, as: UTF8.self)))
    }

    /// Per-host P95 of CPU and memory from Prometheus; exits 1 on a breach, 2 when a query has no series.
    public static func fleet(
        prometheus: String?, hours: Double, step: Double, timeout: Double, scrapeInterval: Double? = nil, configuration: Configuration
    ) async throws -> FleetOutput {
        guard let url = prometheus ?? configuration.integrations.prometheusURL else {
            throw AppError("no Prometheus: pass --prometheus URL or set integrations.prometheus.url", code: ExitStatus.usage)
        }
        var client = PrometheusClient(baseURL: url)
        client.timeout = .milliseconds(Int64(max(0.1, timeout) * 1000))
        let thresholds = configuration.thresholds.resources
        return FleetOutput(
            result: try await FleetCheck(
                client: client, cpuLimit: thresholds.cpuPercent, memoryLimit: thresholds.memoryPercent, gpuLimit: thresholds.gpuPercent,
                gpuMemoryGrowthLimit: thresholds.gpuMemoryGrowthPercentPerHour,
                scrapeIntervalSeconds: scrapeInterval ?? configuration.integrations.prometheusScrapeInterval
            ).run(hours: hours, stepSeconds: step))
    }

    /// A telemetry log from a node_exporter's scrapes, one line per pair of scrapes.
    public static func scrape(url: String, duration: Double, interval: Double, output: String, clock: some WatchClock) async throws -> Lines {
        let monotonic = ContinuousClock()
        let started = monotonic.now
        func sample() async throws -> HostSample {
            let text: String
            do {
                text = try await MetricsScraper(url: url).fetch()
            } catch let error as MetricsScrapeError {
                throw AppError(error.description, code: ExitStatus.unavailable)
            }
            let elapsed = monotonic.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            guard let sample = NodeExporterScrape.hostSample(text, monotonicSeconds: seconds, wallTime: clock.now())
            else { throw AppError("\(url): no node_cpu_seconds_total in the scrape", code: ExitStatus.invalidInput) }
            return sample
        }
        var previous = try await sample()
        var points: [ResourcePoint] = []
        for _ in 0..<max(1, Int((duration / interval).rounded())) {
            try await clock.sleep(seconds: interval)
            let next = try await sample()
            if let point = ResourcePoint(from: previous, to: next) { points.append(point) }
            previous = next
        }
        try AtomicFile.write(Array(try TelemetryLog.lines(points).utf8), to: absolutePath(output))
        return Lines(["\(points.count) samples from \(url) → \(output)"])
    }
}

public struct GPUOutput: CommandOutput {
    public var gpus: [GPUReading]
    public var xids: [Int: Int]

    struct GPU: Encodable {
        var index: Int, name: String, utilizationPercent: Double?, memoryPercent: Double?, temperatureC: Double?, powerW: Double?
        var clockEventReasons: String?
        enum CodingKeys: String, CodingKey {
            case index, name, utilizationPercent = "utilization_percent", memoryPercent = "memory_percent"
            case temperatureC = "temperature_c", powerW = "power_w", clockEventReasons = "clock_event_reasons"
        }
    }

    enum CodingKeys: String, CodingKey { case gpus, xidCounts = "xid_counts" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(
            gpus.map {
                GPU(index: $0.index, name: $0.name ?? "", utilizationPercent: $0.utilizationPercent, memoryPercent: $0.memoryPercent,
                    temperatureC: $0.temperatureCelsius, powerW: $0.powerWatts, clockEventReasons: $0.throttleReasons.map { String($0, radix: 16) })
            }, forKey: .gpus)
        try c.encode(Dictionary(uniqueKeysWithValues: xids.map { (String($0.key), $0.value) }), forKey: .xidCounts)
    }

    func parts(_ gpu: GPUReading) -> [String] {
        [
            gpu.utilizationPercent.map { "util \(Formatting.percent($0, digits: 0))" }, gpu.memoryPercent.map { "memory \(Formatting.percent($0))" },
            gpu.temperatureCelsius.map { "\(Int($0)) °C" }, gpu.powerWatts.map { String(format: "%.1f W", $0) },
            gpu.throttleReasons.map { "clock event reasons 0x\(String($0, radix: 16))" },
        ].compactMap { $0 }
    }

    var xidLine: String {
        xids.isEmpty ? "XID errors: none" : "XID errors: " + xids.sorted { $0.key < $1.key }.map { "Xid \($0.key) ×\($0.value)" }.joined(separator: ", ")
    }

    public func text() -> String {
        (gpus.map { "GPU \($0.index) \($0.name ?? ""): " + parts($0).joined(separator: ", ") } + [xidLine]).joined(separator: "\n")
    }

    public func markdown() -> String {
        MarkdownTable(["GPU", "Name", "Reading"], rows: gpus.map { [String($0.index), $0.name ?? "", parts($0).joined(separator: ", ")] }).text
            + "\n\n" + xidLine
    }
}

public struct FleetOutput: CommandOutput {
    public var result: FleetCheck.Result

    public var exitCode: Int32 { result.noSeries.isEmpty ? (result.breached ? 1 : 0) : 2 }

    public func encode(to encoder: any Encoder) throws { try result.encode(to: encoder) }

    public func text() -> String {
        (result.rows.map {
            "\($0.host.padded(24)) \($0.metric.padded(20)) P95 \(Formatting.percent($0.p95)) (limit \(Formatting.percent($0.limit, digits: 0)), \($0.points) points) \($0.breach ? "BREACH" : "ok")"
        } + result.gpus.map { "\("\($0.host) GPU \($0.gpu)".padded(24)) \(gpuSummary($0))" } + [intervals]).joined(separator: "\n")
    }

    /// "scrape interval 60 s (…where it came from); CPU rate window 240 s".
    var intervals: String { "scrape interval \(result.scrapeInterval.description); CPU rate window \(result.rateWindowSeconds) s" }

    /// "util P95 71%, memory +2.1%/h (runs out in 310 h), no XID: ok".
    func gpuSummary(_ gpu: FleetCheck.GPURow) -> String {
        let growth = gpu.memoryGrowthPercentPerHour.map { value in
            "memory \(value >= 0 ? "+" : "")\(Formatting.number(value, digits: 1))%/h" + (gpu.hoursToExhaustion.map { " (runs out in \(Formatting.number($0, digits: 0)) h)" } ?? "")
        }
        let parts = [gpu.utilizationP95.map { "util P95 \(Formatting.percent($0, digits: 0))" }, growth, gpu.xid.map { $0 > 0 ? "XID \(Int($0))" : "no XID" }]
        return parts.compactMap { $0 }.joined(separator: ", ") + ": " + (gpu.breaches.isEmpty ? "ok" : "BREACH (\(gpu.breaches.joined(separator: ", ")))")
    }

    public func markdown() -> String {
        var text = MarkdownTable(
            ["Host", "Metric", "P95", "Limit", "Points", "Status"],
            rows: result.rows.map { [$0.host, $0.metric, Formatting.percent($0.p95), Formatting.percent($0.limit, digits: 0), String($0.points), $0.breach ? "BREACH" : "ok"] }
        ).text
        if !result.gpus.isEmpty {
            text += "\n\n" + MarkdownTable(["Host", "GPU", "Summary"], rows: result.gpus.map { [$0.host, $0.gpu, gpuSummary($0)] }).text
        }
        return text + "\n\n" + intervals.prefix(1).uppercased() + intervals.dropFirst() + "."
            + result.noSeries.map { "\n\nNot verified: no series for \($0)" }.joined() + result.notes.map { "\n\nNote: \($0)" }.joined()
    }
}
