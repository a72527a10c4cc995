import AssayConfig
import AssayCore
import AssayTelemetry
import Foundation

/// Resources: utilization and anomalies from the telemetry logs in `workspace.telemetry.files`, or from the last
/// `agent_hours` of `assay agent` samples in the store, uptime from `uptime_logs`, and the fleet's hosts and GPUs
/// when the caller can ask Prometheus for them.
public struct ResourcesCheck: LayerCheck {
    public let layer = Layer.resources
    /// The store's agent samples; nil when the audit runs without a store.
    public var samples: (any TelemetryHistory)?
    public var now: @Sendable () -> Date
    /// The fleet's rows (injected by the caller that owns the Prometheus client); nil without one.
    public var fleet: (@Sendable (Configuration) async throws -> [Finding])?

    public init(
        samples: (any TelemetryHistory)? = nil, fleet: (@Sendable (Configuration) async throws -> [Finding])? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.samples = samples
        self.fleet = fleet
        self.now = now
    }

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        let fleetRows = try await fleet?(configuration) ?? []
        var outcome = try await local(configuration)
        if case .verified(let findings) = outcome { outcome = .verified(findings + (try LiveWindowFindings.resources(configuration))) }
        guard !fleetRows.isEmpty else { return outcome }
        if case .verified(let findings) = outcome { return .verified(findings + fleetRows) }
        return .verified(fleetRows)
    }

    /// This host's rows: telemetry logs or agent samples, and uptime logs.
    func local(_ configuration: Configuration) async throws -> LayerOutcome {
        guard let telemetry = configuration.telemetry, !telemetry.files.isEmpty || !telemetry.uptimeLogs.isEmpty || telemetry.agentHours != nil
        else {
            return .notVerified(reason: "no telemetry configured under workspace.telemetry.files (record one with assay telemetry record)")
        }
        var uptime: [Finding] = []
        for log in telemetry.uptimeLogs {
            let path = configuration.resolve(log)
            let evidence = try Evidence.file(at: path, displayPath: log)
            uptime += UptimeSummary.summaries(try UptimeLog.read(path: path, displayPath: log)).map {
                $0.finding(floorPercent: configuration.thresholds.resources.uptimeP95Percent, evidence: evidence)
            }
        }
        if let hours = telemetry.agentHours, telemetry.files.isEmpty {
            guard let samples else { return .notVerified(reason: "agent_hours needs the store (the audit ran with --no-store)") }
            let stored = try await samples.resourceSamples(resolution: "raw", since: now().addingTimeInterval(-hours * 3600))
            let decoder = JSONCoding.decoder()
            let points = stored.compactMap { try? decoder.decode(ResourcePoint.self, from: $0.payload) }
            guard points.count >= 2 else {
                return uptime.isEmpty
                    ? .notVerified(reason: "the store holds \(points.count) assay agent samples from the last \(Formatting.number(hours, digits: 0)) h; run assay agent on this host")
                    : .verified(uptime)
            }
            let listing = Array(stored.map { $0.payload + Data("\n".utf8) }.joined())
            let store = configuration.store.kind == .sqlite ? configuration.store.path : "postgres store"
            let evidence = Evidence(
                path: store, sha256: FileDigest.sha256(of: listing),
                locator: "assay agent samples, last \(Formatting.number(hours, digits: 0)) h, \(points.count) samples")
            return .verified(
                ResourceAnalyzer(thresholds: configuration.thresholds.resources)
                    .findings(points, evidence: evidence, history: try await history(before: points)) + uptime)
        }
        guard !telemetry.files.isEmpty else { return .verified(uptime) }
        var points: [ResourcePoint] = []
        for file in telemetry.files { points += try TelemetryLog.read(path: configuration.resolve(file), displayPath: file) }
        let first = telemetry.files[0]
        let evidence = try Evidence.file(
            at: configuration.resolve(first), displayPath: first,
            locator: telemetry.files.count > 1 ? "\(telemetry.files.count) files, \(points.count) samples" : "L1-\(points.count)")
        return .verified(
            ResourceAnalyzer(thresholds: configuration.thresholds.resources)
                .findings(points, evidence: evidence, history: try await history(before: points)) + uptime)
    }

    /// The rolling baseline each metric's normal learns from: the agent's minute samples in the store over the span
    /// the normal learns from (a week) before the window; empty without a store. Read only; a sample that does not
    /// decode is counted, and the Resource Anomalies row says how many were left out.
    func history(before points: [ResourcePoint]) async throws -> ResourceAnalyzer.History {
        guard let samples, let first = points.map(\.time).min() else { return ResourceAnalyzer.History() }
        let decoder = JSONCoding.decoder()
        let span = HostNormal().historySeconds
        let stored = try await samples.resourceSamples(resolution: "1m", since: first.addingTimeInterval(-span)).filter { $0.time < first }
        let read = stored.compactMap { try? decoder.decode(ResourcePoint.self, from: $0.payload) }
        return ResourceAnalyzer.History(points: read, unreadable: stored.count - read.count)
    }
}
