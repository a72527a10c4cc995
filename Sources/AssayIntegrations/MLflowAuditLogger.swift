import AssayConfig
import AssayCore
import AssayEnvironment
import AssayReproducibility
import Foundation

/// Logs an audit to MLflow: one run per audit with its verdict, the configuration digest, every finding's
/// numbers as metrics, and the report files as artifacts.
public struct MLflowAuditLogger: Sendable {
    public var settings: Configuration.MLflow
    public var client: MLflowClient

    public init(settings: Configuration.MLflow) {
        self.settings = settings
        client = MLflowClient(trackingURI: settings.trackingURI)
    }

    /// Creates the run; its id goes into the audit before the report is written.
    public func start(_ audit: AuditRun) async throws -> MLflowRun {
        let experiment = try await client.experimentID(named: settings.experiment)
        return try await client.createRun(
            experimentID: experiment, name: "assay-\(audit.id)",
            tags: ["assay.run_id": audit.id, "assay.version": audit.assayVersion, "mlflow.source.name": "assay"],
            startTime: audit.startedAt)
    }

    /// Logs params, metrics and tags, uploads the report files under `assay-report/`, and finishes the run.
    /// Params: `seed`, `model_version` (of the model artifact, when it has one), `assay_config_sha256`, `verdict`.
    public func finish(_ run: MLflowRun, audit: AuditRun, configuration: Configuration, reportFiles: [String]) async throws {
        var params = [
            "assay_run_id": audit.id, "assay_config_sha256": audit.configuration.sha256,
            "verdict": audit.judgement.verdict.rawValue,
        ]
        if let seed = configuration.inference?.seed { params["seed"] = String(seed) }
        if let version = configuration.artifacts.first(where: { $0.kind == .model })?.version { params["model_version"] = version }
        var metrics: [String: Double] = ["assay.exit_code": Double(audit.judgement.verdict.exitCode)]
        for layer in audit.layers {
            metrics["assay.\(layer.layer.rawValue).verified"] = layer.isVerified ? 1 : 0
            for finding in layer.findings {
                for (name, value) in finding.measurements where value.isFinite {
                    metrics[Self.metricName(layer.layer, finding.check, name)] = value
                }
            }
        }
        // MLflow takes at most 1000 metrics per batch.
        let limited = Dictionary(uniqueKeysWithValues: metrics.sorted { $0.key < $1.key }.prefix(1000).map { ($0.key, $0.value) })
        try await client.logBatch(
            runID: run.runID, params: params, metrics: limited, tags: ["assay.verdict": audit.judgement.verdict.rawValue],
            at: audit.finishedAt)
        for file in reportFiles {
            guard let bytes = FileManager.default.contents(atPath: file) else { continue }
            try await client.uploadArtifact(
                artifactURI: run.artifactURI, path: "assay-report/" + URL(fileURLWithPath: file).lastPathComponent, bytes: Array(bytes))
        }
        try await client.finishRun(runID: run.runID, status: "FINISHED", endTime: audit.finishedAt)
    }

    /// MLflow metric keys allow letters, digits, `_ - . / ` and spaces.
    static func metricName(_ layer: Layer, _ check: String, _ measurement: String) -> String {
        let cleaned = check.map { $0.isLetter || $0.isNumber || "_-./ ".contains($0) ? $0 : "_" }
        return "\(layer.rawValue)/\(String(cleaned).lowercased())/\(measurement)"
    }
}
