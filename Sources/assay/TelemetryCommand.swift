import ArgumentParser
import AssayApp
import AssayConfig
import AssayIntegrations

struct Telemetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Host resource telemetry: record utilization from /proc, and judge a recording.",
        subcommands: [Record.self, Analyze.self, GPU.self, Fleet.self, Scrape.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sample CPU, memory, disk and network from /proc and write a telemetry log (JSON lines).",
            discussion: """
                File descriptors stay open between samples. Each sample is appended to the log as it is taken, one whole \
                line at a time, so the file is a valid log at every moment: SIGTERM or SIGINT (Ctrl-C) stops the \
                recording, keeps every sample taken and exits 0 with a note. On a terminal a progress line shows the \
                elapsed time, the samples and the last CPU reading (--quiet hides it).
                """)

        @Option(help: "How long to record, in seconds.")
        var duration: Double = 60

        @Option(help: "Seconds between samples.")
        var interval: Double = 1

        @Option(name: .shortAndLong, help: "Where to write the telemetry log.")
        var output: String

        @Option(help: "Directory laid out like /proc (for tests and containers).")
        var procRoot: String = "/proc"

        @Flag(help: "No progress line (there is none when stderr is not a terminal).")
        var quiet = false

        func validate() throws {
            guard interval >= 0.05, interval <= 3600 else { throw ValidationError("--interval must be in [0.05, 3600] seconds") }
            guard duration >= interval, duration <= 86_400 else { throw ValidationError("--duration must be in [interval, 86400] seconds") }
        }

        func run() async throws {
            try await runMapped {
                let progress = Terminal.progress(quiet: quiet)
                let result = try await TelemetryUseCases.record(output: output, duration: duration, interval: interval, procRoot: procRoot, progress: progress)
                if progress != nil { Terminal.endProgress() }
                return try emit(result, .text)
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

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(try TelemetryUseCases.analyze(file, configuration: try options.loadOrDefaults()), formatting.format) }
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

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped { try emit(try TelemetryUseCases.gpu(xml: xml, kernelLog: kernelLog), formatting.format) }
        }

    }
}

extension Telemetry {
    struct Fleet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-host CPU and memory utilization from a Prometheus that scrapes the fleet's agents or node_exporters.",
            discussion: """
                Runs two range queries over the node_exporter metrics every agent also serves (CPU from \
                the slope of node_cpu_seconds_total's idle series, its rate on VictoriaMetrics, over at least four scrape \
                intervals and a step, memory from \
                MemAvailable/MemTotal over every sample) and reports each instance's P95 against resources.cpu_percent and \
                resources.memory_percent. Where dcgm-exporter is scraped, each GPU of each host too: utilization P95 \
                against gpu_percent, memory growth per hour (the window and its second half, at most the last hour, both above \
                gpu_memory_growth_percent_per_hour) with the hours until its free memory is gone, and XID errors. \
                The scrape interval is --scrape-interval, else the longest of /api/v1/targets, else (remote write, \
                federation, Thanos, Mimir, backfilled blocks list no targets) the median gap between the raw samples of \
                a few instances; the output says which. \
                Exits 1 when a host or GPU breaches, 2 when a query returns no series (named on stderr; a fleet \
                without GPU series gets a note, not a failure), 69 when Prometheus cannot be reached.
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

        @Option(
            help: ArgumentHelp(
                "The fleet's scrape interval (15s, 1m, or seconds); default: integrations.prometheus.scrape_interval, the targets API's, else measured from the samples.",
                valueName: "duration"))
        var scrapeInterval: String?

        func validate() throws {
            guard hours > 0, hours.isFinite, step > 0, step.isFinite, timeout > 0, timeout.isFinite else {
                throw ValidationError("--hours, --step and --timeout must be positive numbers")
            }
            if let scrapeInterval, durationSeconds(scrapeInterval) == nil {
                throw ValidationError("--scrape-interval: expected a duration such as 15s, 1m or 60, found '\(scrapeInterval)'")
            }
        }

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped {
                let output = try await TelemetryUseCases.fleet(
                    prometheus: prometheus, hours: hours, step: step, timeout: timeout, scrapeInterval: scrapeInterval.flatMap(durationSeconds),
                    configuration: try options.loadOrDefaults())
                for missing in output.result.noSeries { Terminal.warning("not verified: no series for \(missing)") }
                for note in output.result.notes { Terminal.note(note) }
                return try emit(output, formatting.format)
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

        func run() async throws {
            try await runMapped {
                try emit(try await TelemetryUseCases.scrape(url: url, duration: duration, interval: interval, output: output, clock: SystemClock()), .text)
            }
        }
    }
}

