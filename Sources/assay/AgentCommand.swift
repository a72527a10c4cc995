import ArgumentParser
import AssayAgent
import AssayApp
import AssayConfig
import AssayCore
import AssayStore
import AssayTelemetry
import Foundation

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run on an inference host: sample it every interval, keep the samples, serve /metrics.",
        discussion: """
            Reads /proc through descriptors kept open (and the GPUs through one long-lived nvidia-smi when present), \
            serves GET /metrics in Prometheus text format (node_exporter's names where node_exporter has the metric, \
            assay_* for utilization) and GET /healthz, and keeps every sample in the configured store: raw for \
            --raw-retention-hours, then one mean per minute for --minute-retention-days. Binds 127.0.0.1 unless told \
            otherwise. SIGTERM or SIGINT stops it gracefully: sampling ends and what is buffered is written.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "Address and port for /metrics.")
    var listen: String = "127.0.0.1:9469"

    @Option(help: "Seconds between samples.")
    var interval: Double = 1

    @Option(help: "Hours raw samples are kept.")
    var rawRetentionHours: Double = 24

    @Option(help: "Days the 1-minute aggregates are kept.")
    var minuteRetentionDays: Double = 30

    @Option(help: "Seconds between writes of buffered samples to the store; 0 writes each sample as it is taken, so a crash loses at most the interval in progress.")
    var flushSeconds: Double = 0

    @Flag(help: "Keep nothing: only serve /metrics.")
    var noStore = false

    func validate() throws {
        guard address != nil else { throw ValidationError("--listen: expected HOST:PORT, e.g. 127.0.0.1:9469") }
        guard interval >= 0.05, rawRetentionHours > 0, minuteRetentionDays > 0, flushSeconds >= 0 else {
            throw ValidationError("--interval must be ≥ 0.05 s, the retentions > 0 and --flush-seconds ≥ 0")
        }
    }

    var address: ListenAddress? { ListenAddress(listen) }

    func run() async throws {
        try await runMapped {
            let configuration = try options.loadOrDefaults()
            var settings = AgentSettings()
            settings.interval = interval
            settings.rawRetentionHours = rawRetentionHours
            settings.minuteRetentionDays = minuteRetentionDays
            settings.flushSeconds = flushSeconds
            let r = configuration.thresholds.resources
            settings.sustainedCPU = SustainedLoadRule(
                threshold: r.sustainedLoadPercent, clearThreshold: r.sustainedClearPercent, forSeconds: r.sustainedSeconds,
                keepFiringSeconds: r.keepFiringSeconds)
            guard let address else { return ExitStatus.usage }
            let run = { (store: (any AuditStore)?) in
                try await Agent.run(host: address.host, port: address.port, settings: settings, store: store)
            }
            if noStore {
                try await run(nil)
            } else {
                try await Workspace.withStore(configuration) { try await run($0) }
            }
            return 0
        }
    }
}
