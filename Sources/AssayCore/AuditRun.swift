import Foundation

/// One audit: which configuration it ran, what each layer found, and the verdict.
public struct AuditRun: Sendable, Codable, Hashable {
    /// Unique id, used as a locator (`run#<id>`) and as the store key.
    public var id: String
    public var startedAt: Date
    public var finishedAt: Date
    /// The configuration file the audit ran, cited with its digest.
    public var configuration: Evidence
    public var layers: [LayerResult]
    public var judgement: Judgement
    /// Version of Assay that ran the audit.
    public var assayVersion: String
    /// The MLflow run the audit was logged to, when `integrations.mlflow.log_audits` is on.
    public var mlflowRunID: String?
    /// The host the audit ran on (its hostname), for the fleet view.
    public var host: String?

    public init(
        id: String,
        startedAt: Date,
        finishedAt: Date,
        configuration: Evidence,
        layers: [LayerResult],
        judgement: Judgement,
        assayVersion: String = AssayVersion.current
    ) {
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.configuration = configuration
        self.layers = layers.sorted { $0.layer < $1.layer }
        self.judgement = judgement
        self.assayVersion = assayVersion
    }

    public func result(for layer: Layer) -> LayerResult? {
        layers.first { $0.layer == layer }
    }

    public var findings: [Finding] { layers.flatMap(\.findings) }

    enum CodingKeys: String, CodingKey {
        case id, configuration, layers, judgement
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case assayVersion = "assay_version"
        case mlflowRunID = "mlflow_run_id"
        case host
    }
}

/// The version of this build of Assay.
public enum AssayVersion {
    public static let current = "0.1.0"
}
