import ArgumentParser
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayTelemetry
import Foundation

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
                let configuration = try configurationOrDefaults(options.config)
                guard !configuration.uptime.isEmpty else {
                    throw CommandError(message: "no targets: configure workspace.uptime", code: ExitStatus.usage)
                }
                let path = absolutePath(output)
                if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
                guard let handle = FileHandle(forWritingAtPath: path) else {
                    throw CommandError(message: "\(output): cannot open for appending", code: ExitStatus.cannotWrite)
                }
                let log = AppendOnlyLog(handle: handle)
                let deadline = duration.map { Date().addingTimeInterval($0) }
                await withTaskGroup(of: Void.self) { group in
                    for target in configuration.uptime {
                        group.addTask {
                            while deadline.map({ Date() < $0 }) ?? true {
                                let started = Date()
                                await log.append(await UptimeProber.probe(target, now: started).line)
                                let next = started.addingTimeInterval(target.intervalSeconds)
                                let wait = min(next, deadline ?? next).timeIntervalSinceNow
                                if wait > 0 { try? await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
                            }
                        }
                    }
                }
                await log.close()
                return 0
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

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                try requireFile(file)
                let summaries = UptimeSummary.summaries(try UptimeLog.read(path: absolutePath(file), displayPath: file), windowSeconds: window)
                let floor = configuration.thresholds.resources.uptimeP95Percent
                for summary in summaries {
                    print("\(summary.target): p95 \(Formatting.percent(summary.p95Percent, digits: 2)) over \(summary.windows) windows, overall \(Formatting.percent(summary.availabilityPercent, digits: 2)) of \(summary.probes) probes \(summary.p95Percent >= floor ? "≥" : "<") \(Formatting.percent(floor, digits: 0))")
                }
                return summaries.allSatisfy { $0.p95Percent >= floor } ? 0 : 1
            }
        }
    }
}

/// Appends lines to a file from concurrent probes, one writer at a time.
actor AppendOnlyLog {
    private let handle: FileHandle

    init(handle: FileHandle) {
        self.handle = handle
        handle.seekToEndOfFile()
    }

    func append(_ line: String) {
        handle.write(Data(line.utf8))
    }

    func close() {
        try? handle.synchronize()
        try? handle.close()
    }
}
