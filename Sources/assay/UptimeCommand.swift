import ArgumentParser
import AssayApp

struct Uptime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Probe the configured endpoints (HTTP GET or TCP connect) and judge an uptime log.",
        subcommands: [Probe.self, Analyze.self])

    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Probe every workspace.uptime target at its interval and append each result to the log.",
            discussion: """
                http(s):// targets are up when GET answers below 400 within timeout_seconds; tcp://host:port targets \
                when a connection opens. Each probe is one line: TIME TARGET UP|DOWN LATENCY_MS|- DETAIL.
                """)

        @OptionGroup var options: ConfigOption

        @Option(help: "Uptime log to append to.")
        var output: String = "uptime_monitor.log"

        @Option(help: "Seconds to run (default: until interrupted).")
        var duration: Double?

        func run() async throws {
            try await runMapped {
                try emit(try await UptimeUseCases.probe(output: output, duration: duration, configuration: try options.loadOrDefaults()), .text)
            }
        }
    }

    struct Analyze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Availability per target: overall, and the p95 of 5-minute windows against resources.uptime_p95_percent.",
            discussion: "Exits 1 when a target's p95 uptime is below the floor.")

        @OptionGroup var options: ConfigOption

        @Argument(help: "Uptime log.")
        var file: String

        @Option(help: "Window length in seconds.")
        var window: Double = 300

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped {
                try emit(try UptimeUseCases.analyze(file, windowSeconds: window, configuration: try options.loadOrDefaults()), formatting.format)
            }
        }
    }
}
