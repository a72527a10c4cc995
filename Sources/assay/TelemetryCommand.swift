import ArgumentParser
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayTelemetry
import Foundation
import NIOCore

struct Telemetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Host resource telemetry: record utilization from /proc, and judge a recording.",
        subcommands: [Record.self, Analyze.self, GPU.self, Fleet.self, Scrape.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sample CPU, memory, disk and network from /proc and write a telemetry log (JSON lines).",
            discussion: "File descriptors stay open between samples; the log is written atomically at the end.")

        @Option(help: "How long to record, in seconds.")
        var duration: Double = 60

        @Option(help: "Seconds between samples.")
        var interval: Double = 1

        @Option(name: .shortAndLong, help: "Where to write the telemetry log.")
        var output: String

        @Option(help: "Directory laid out like /proc (for tests and containers).")
        var procRoot: String = "/proc"

        func validate() throws {
            guard interval >= 0.05, interval <= 3600 else { throw ValidationError("--interval must be in [0.05, 3600] seconds") }
            guard duration >= interval, duration <= 86_400 else { throw ValidationError("--duration must be in [interval, 86400] seconds") }
        }

        func run() async throws {
            try await runMapped {
                let gpus = GPUSampler(intervalMilliseconds: Int(interval * 1000))
                defer { gpus?.stop() }
                let points = try await TelemetryLog.record(
                    sampler: HostSampler(root: procRoot), gpus: gpus, duration: duration, interval: interval)
                try AtomicFile.write(Array(try TelemetryLog.lines(points).utf8), to: output)
                print("Wrote \(output): \(points.count) samples over \(Int(duration)) s")
                return 0
            }
        }
    }

    struct Analyze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Utilization (P95) and anomalies (spikes, sustained load, memory growth, I/O) of a telemetry log.",
            discussion: "Exits 1 when a threshold is breached, 0 otherwise.")

        @OptionGroup var options: ConfigOption

        @Argument(help: "Telemetry log written by assay telemetry record.")
        var file: String

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                try requireFile(file)
                let points = try TelemetryLog.read(path: file)
                let findings = ResourceAnalyzer(thresholds: configuration.thresholds.resources)
                    .findings(points, evidence: try Evidence.file(at: file, locator: "L1-\(points.count)"))
                printFindings(findings, format: format, title: "Resources (\(points.count) samples)")
                return findings.contains { $0.status == .breach } ? 1 : 0
            }
        }
    }

    struct GPU: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what Assay reads from the GPUs: nvidia-smi -q -x (or a saved XML) and XID errors in the kernel log.",
            discussion: "Exits 0 when readable, 66 when there is neither nvidia-smi nor --xml.")

        @Option(help: "A saved `nvidia-smi -q -x` output instead of running nvidia-smi.")
        var xml: String?

        @Option(help: "Kernel log text to count XID errors in (default: the output of dmesg, when readable).")
        var kernelLog: String?

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let data: Data
                if let xml {
                    guard let contents = FileManager.default.contents(atPath: xml) else {
                        throw CommandError(message: "\(xml): cannot read", code: ExitStatus.missingInput)
                    }
                    data = contents
                } else {
                    guard let output = ProcessOutput.run(["nvidia-smi", "-q", "-x"]) else {
                        throw CommandError(message: "nvidia-smi is not available; pass --xml FILE", code: ExitStatus.missingInput)
                    }
                    data = output
                }
                let readings = NvidiaSMI.parse(xml: data)
                let log = kernelLog.flatMap { FileManager.default.contents(atPath: $0) } ?? ProcessOutput.run(["dmesg"]) ?? Data()
                let xids = XIDCounter.count(String(decoding: log, as: UTF8.self))
                if format == .json {
                    let object: [String: Any] = [
                        "gpus": readings.map { gpu -> [String: Any] in
                            var row: [String: Any] = ["index": gpu.index, "name": gpu.name ?? ""]
                            if let v = gpu.utilizationPercent { row["utilization_percent"] = v }
                            if let v = gpu.memoryPercent { row["memory_percent"] = v }
                            if let v = gpu.temperatureCelsius { row["temperature_c"] = v }
                            if let v = gpu.powerWatts { row["power_w"] = v }
                            if let v = gpu.throttleReasons { row["clock_event_reasons"] = String(v, radix: 16) }
                            return row
                        },
                        "xid_counts": Dictionary(uniqueKeysWithValues: xids.map { (String($0.key), $0.value) }),
                    ]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                } else {
                    for gpu in readings {
                        let parts = [
                            gpu.utilizationPercent.map { "util \(Formatting.percent($0, digits: 0))" },
                            gpu.memoryPercent.map { "memory \(Formatting.percent($0))" },
                            gpu.temperatureCelsius.map { "\(Int($0)) °C" }, gpu.powerWatts.map { String(format: "%.1f W", $0) },
                            gpu.throttleReasons.map { "clock event reasons 0x\(String($0, radix: 16))" },
                        ].compactMap { $0 }
                        print("GPU \(gpu.index) \(gpu.name ?? ""): " + parts.joined(separator: ", "))
                    }
                    print(xids.isEmpty ? "XID errors: none" : "XID errors: " + xids.sorted { $0.key < $1.key }.map { "Xid \($0.key) ×\($0.value)" }.joined(separator: ", "))
                }
                return 0
            }
        }

    }
}

extension Telemetry {
    struct Fleet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-host CPU and memory utilization from a Prometheus that scrapes the fleet's agents or node_exporters.",
            discussion: """
                Runs two range queries over the node_exporter metrics every agent also serves (CPU from \
                node_cpu_seconds_total's idle rate over at least four scrape intervals and four steps, memory from \
                MemAvailable/MemTotal) and reports each instance's P95 against resources.cpu_percent and \
                resources.memory_percent. Exits 1 when a host breaches, 2 when a query returns no series (named on \
                stderr), 69 when Prometheus cannot be reached.
                """)

        @OptionGroup var options: ConfigOption

        @Option(help: "Prometheus base URL (default: integrations.prometheus.url).")
        var prometheus: String?

        @Option(help: "Hours of history to read.")
        var hours: Double = 168

        @Option(help: "Seconds between points.")
        var step: Double = 60

        @Option(help: "Seconds to wait for each answer.")
        var timeout: Double = 30

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                guard let url = prometheus ?? configuration.integrations.prometheusURL else {
                    throw CommandError(message: "no Prometheus: pass --prometheus URL or set integrations.prometheus.url", code: ExitStatus.usage)
                }
                var client = PrometheusClient(baseURL: url)
                client.timeout = .milliseconds(Int64(max(0.1, timeout) * 1000))
                let thresholds = configuration.thresholds.resources
                let result = try await FleetCheck(client: client, cpuLimit: thresholds.cpuPercent, memoryLimit: thresholds.memoryPercent)
                    .run(hours: hours, stepSeconds: step)
                for row in result.rows {
                    print("\(row.host.padding(toLength: 24, withPad: " ", startingAt: 0)) \(row.metric.padding(toLength: 20, withPad: " ", startingAt: 0)) P95 \(Formatting.percent(row.p95)) (limit \(Formatting.percent(row.limit, digits: 0)), \(row.points) points) \(row.breach ? "BREACH" : "ok")")
                }
                for missing in result.noSeries {
                    Terminal.error("not verified: no series for \(missing)")
                }
                return result.noSeries.isEmpty ? (result.breached ? 1 : 0) : 2
            }
        }
    }
}

extension Telemetry {
    struct Scrape: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a telemetry log from a node_exporter's /metrics instead of /proc.",
            discussion: """
                Scrapes every --interval seconds and turns each pair of scrapes into one telemetry-log line (CPU from \
                node_cpu_seconds_total, memory from MemAvailable/MemTotal, disk and network byte counters, load), so \
                hosts that already run node_exporter feed `assay telemetry analyze` and the audit as they are.
                """)

        @Option(help: "node_exporter's metrics URL.")
        var url: String = "http://127.0.0.1:9100/metrics"

        @Option(help: "Seconds to record.")
        var duration: Double = 60

        @Option(help: "Seconds between scrapes.")
        var interval: Double = 1

        @Option(help: "Telemetry log to write (JSON lines).")
        var output: String = "telemetry.jsonl"

        func validate() throws {
            guard duration > 0, interval > 0, interval <= duration else { throw ValidationError("need 0 < --interval ≤ --duration") }
        }

        func scrape(_ clock: ContinuousClock, since started: ContinuousClock.Instant) async throws -> HostSample {
            let text: String
            do {
                text = try await MetricsScraper(url: url).fetch()
            } catch let error as MetricsScrapeError {
                throw CommandError(message: error.description, code: ExitStatus.unavailable)
            }
            let elapsed = clock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            guard let sample = NodeExporterScrape.hostSample(text, monotonicSeconds: seconds, wallTime: Date())
            else { throw CommandError(message: "\(url): no node_cpu_seconds_total in the scrape", code: ExitStatus.invalidInput) }
            return sample
        }

        func run() async throws {
            try await runMapped {
                let clock = ContinuousClock()
                let started = clock.now
                var previous = try await scrape(clock, since: started)
                var points: [ResourcePoint] = []
                let count = max(1, Int((duration / interval).rounded()))
                for _ in 0..<count {
                    try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
                    let next = try await scrape(clock, since: started)
                    if let point = ResourcePoint(from: previous, to: next) { points.append(point) }
                    previous = next
                }
                try AtomicFile.write(Array(try TelemetryLog.lines(points).utf8), to: absolutePath(output))
                print("\(points.count) samples from \(url) → \(output)")
                return 0
            }
        }
    }
}

