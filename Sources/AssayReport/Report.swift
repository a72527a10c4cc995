import AssayCore
import Foundation

/// The audit report as data: what `report.json` holds (schema `Schema/report.schema.json`), and what the
/// Markdown and HTML renderings are made from.
public struct Report: Sendable, Hashable, Codable {
    /// Version of the JSON schema this report follows. Bump the major part on breaking changes.
    public static let schemaVersion = "1.3"

    public struct RunInfo: Sendable, Hashable, Codable {
        public var id: String
        public var startedAt: Date
        public var finishedAt: Date
        public var assayVersion: String
        public var configuration: Evidence
        /// The MLflow run this audit was logged to.
        public var mlflowRunID: String?

        enum CodingKeys: String, CodingKey {
            case id, configuration
            case mlflowRunID = "mlflow_run_id"
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case assayVersion = "assay_version"
        }
    }

    public struct SummaryText: Sendable, Hashable, Codable {
        public var text: String
        public var wordCount: Int
        public var maxWords: Int

        enum CodingKeys: String, CodingKey {
            case text
            case wordCount = "word_count"
            case maxWords = "max_words"
        }
    }

    /// The per-layer verdicts of the closing section.
    public struct Assessments: Sendable, Hashable, Codable {
        public var environment: String
        public var reproducibility: String
        public var resources: String
        public var performance: String
        public var capacity: String
        public var overall: String
    }

    /// A question a person must decide, and the finding or layer it comes from.
    public struct Question: Sendable, Hashable, Codable {
        public var question: String
        public var layer: Layer
        public var check: String?
    }

    public var schemaVersion: String
    public var service: String
    public var run: RunInfo
    public var verdict: Verdict
    public var exitCode: Int32
    public var verdictReasons: [String]
    public var summary: SummaryText
    public var layers: [LayerResult]
    public var assessments: Assessments
    public var recommendations: [String]
    /// Who must be told, and why; nil when no escalation is required.
    public var escalation: String?
    public var nextReview: Date
    public var operatorQuestions: [Question]
    public var finalVerdictLine: String

    enum CodingKeys: String, CodingKey {
        case service, run, verdict, summary, layers, assessments, recommendations, escalation
        case schemaVersion = "schema_version"
        case exitCode = "exit_code"
        case verdictReasons = "verdict_reasons"
        case nextReview = "next_review"
        case operatorQuestions = "operator_questions"
        case finalVerdictLine = "final_verdict_line"
    }

    public func layer(_ layer: Layer) -> LayerResult? {
        layers.first { $0.layer == layer }
    }
}
