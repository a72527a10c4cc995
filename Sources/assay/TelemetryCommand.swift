import ArgumentParser
import AssayConfig
import AssayCore
import AssayTelemetry
import Foundation

struct Telemetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Host resource telemetry: record utilization from /proc, and judge a recording.",
        subcommands: [Record.self, Analyze.self])

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
                let points = try TelemetryLog.read(path: file)
                let findings = ResourceAnalyzer(thresholds: configuration.thresholds.resources)
                    .findings(points, evidence: try Evidence.file(at: file, locator: "L1-\(points.count)"))
                printFindings(findings, format: format, title: "Resources (\(points.count) samples)")
                return findings.contains { $0.status == .breach } ? 1 : 0
            }
        }
    }
}
