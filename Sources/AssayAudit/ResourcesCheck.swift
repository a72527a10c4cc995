import AssayConfig
import AssayCore
import AssayTelemetry

/// Resources: utilization and anomalies from the telemetry logs in `workspace.telemetry.files`.
public struct ResourcesCheck: LayerCheck {
    public let layer = Layer.resources

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard let telemetry = configuration.telemetry, !telemetry.files.isEmpty || !telemetry.uptimeLogs.isEmpty else {
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
        guard !telemetry.files.isEmpty else { return .verified(uptime) }
        var points: [ResourcePoint] = []
        for file in telemetry.files { points += try TelemetryLog.read(path: configuration.resolve(file), displayPath: file) }
        let first = telemetry.files[0]
        let evidence = try Evidence.file(
            at: configuration.resolve(first), displayPath: first,
            locator: telemetry.files.count > 1 ? "\(telemetry.files.count) files, \(points.count) samples" : "L1-\(points.count)")
        return .verified(ResourceAnalyzer(thresholds: configuration.thresholds.resources).findings(points, evidence: evidence) + uptime)
    }
}
