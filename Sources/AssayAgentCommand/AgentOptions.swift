import ArgumentParser
import AssayAgent
import AssayConfig
import AssayCore
import AssayStore
import AssayTelemetry

/// The agent's options and its run, shared by `assay agent` and the slim `assay-agent` executable.
public struct AgentOptions: ParsableArguments {
    @Option(help: "Address and port for /metrics.")
    public var listen: String = "127.0.0.1:9469"

    @Option(help: "Seconds between samples.")
    public var interval: Double = 1

    @Option(help: "Hours raw samples are kept.")
    public var rawRetentionHours: Double = 24

    @Option(help: "Days the 1-minute aggregates are kept.")
    public var minuteRetentionDays: Double = 30

    @Option(help: "Seconds between writes of buffered samples to the store; 0 writes each sample as it is taken, so a crash loses at most the interval in progress.")
    public var flushSeconds: Double = 0

    @Flag(help: "Keep nothing: only serve /metrics.")
    public var noStore = false

    public init() {}

    public static let discussion = """
        Reads /proc through descriptors kept open (and the GPUs through NVML, else one long-lived nvidia-smi, when \
        present), serves GET /metrics in Prometheus text format (node_exporter's names where node_exporter has the \
        metric, assay_* for utilization) and GET /healthz, and keeps every sample in the configured store: raw for \
        --raw-retention-hours, then one mean per minute for --minute-retention-days. Binds 127.0.0.1 unless told \
        otherwise. SIGTERM or SIGINT stops it gracefully: sampling ends and what is buffered is written.
        """

    public func validate() throws {
        guard address != nil else { throw ValidationError("--listen: expected HOST:PORT, e.g. 127.0.0.1:9469") }
        guard interval >= 0.05, rawRetentionHours > 0, minuteRetentionDays > 0, flushSeconds >= 0 else {
            throw ValidationError("--interval must be ≥ 0.05 s, the retentions > 0 and --flush-seconds ≥ 0")
        }
    }

    public var address: ListenAddress? { ListenAddress(listen) }

    /// The agent's settings, with the sustained-load rule from the configuration's thresholds.
    public func settings(_ configuration: Configuration) -> AgentSettings {
        var settings = AgentSettings()
        settings.interval = interval
        settings.rawRetentionHours = rawRetentionHours
        settings.minuteRetentionDays = minuteRetentionDays
        settings.flushSeconds = flushSeconds
        let r = configuration.thresholds.resources
        settings.sustainedCPU = SustainedLoadRule(
            threshold: r.sustainedLoadPercent, clearThreshold: r.sustainedClearPercent, forSeconds: r.sustainedSeconds,
            keepFiringSeconds: r.keepFiringSeconds)
        return settings
    }

    /// Runs the agent until SIGTERM or SIGINT, keeping samples in the store `open` gives (none with --no-store).
    public func run(_ configuration: Configuration, open: (Configuration) async throws -> any AuditStore) async throws {
        guard let address else { throw ValidationError("--listen") }
        let settings = settings(configuration)
        guard !noStore else {
            return try await Agent.run(host: address.host, port: address.port, settings: settings, store: nil)
        }
        let store = try await open(configuration)
        do {
            try await Agent.run(host: address.host, port: address.port, settings: settings, store: store)
            await store.close()
        } catch {
            await store.close()
            throw error
        }
    }
}
