import AssayConfig
import AssayCore
import AssayTelemetry

/// Resources: utilization and anomalies from the telemetry logs in `workspace.telemetry.files`.
public struct ResourcesCheck: LayerCheck {
    public let layer = Layer.resources

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard let telemetry = configuration.telemetry, !telemetry.files.isEmpty else {
            return .notVerified(reason: "no telemetry configured under workspace.telemetry.files (record one with assay telemetry record)")
        }
        var points: [ResourcePoint] = []
        for file in telemetry.files { points += try TelemetryLog.read(path: configuration.resolve(file), displayPath: file) }
        let first = telemetry.files[0]
        let evidence = try Evidence.file(
            at: configuration.resolve(first), displayPath: first,
            locator: telemetry.files.count > 1 ? "\(telemetry.files.count) files, \(points.count) samples" : "L1-\(points.count)")
        return .verified(ResourceAnalyzer(thresholds: configuration.thresholds.resources).findings(points, evidence: evidence))
    }
}
