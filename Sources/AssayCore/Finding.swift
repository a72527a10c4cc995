/// One judged check: a row of a report table. A finding always cites at least one piece of evidence;
/// there is no way to construct or decode one without.
public struct Finding: Sendable, Codable, Hashable {
    /// The table this finding is a row of; it fixes the layer.
    public var table: ReportTable
    /// What was checked, e.g. `Docker Image`, `Inference`, `CPU Utilization (%)`.
    public var check: String
    public var status: FindingStatus
    /// What was observed, as a person reads it (`numpy 1.24.3`, `sha256:32fa…`, `62`).
    public var observed: String
    /// What was expected, or the threshold (`< 80`, the approved digest).
    public var expected: String?
    public var severity: Severity
    /// Named numbers behind the row (e.g. `mean_ms`, `p95_ms`), kept exact for JSON consumers.
    public var measurements: [String: Double]
    /// Named words behind the row (e.g. `trend`, `impact`, `applied_date`), for columns that are not numbers.
    public var attributes: [String: String]
    /// A specific status wording (`✅ Improved`); the report derives one from `status` when absent.
    public var statusLabel: String?
    /// Who or what verified it (`Assay`, `CI pipeline`).
    public var verifiedBy: String?
    /// What to do about it, when something should be done.
    public var recommendation: String?
    public private(set) var evidence: [Evidence]

    public var layer: Layer { table.layer }

    public init(
        table: ReportTable,
        check: String,
        status: FindingStatus,
        observed: String,
        expected: String? = nil,
        severity: Severity = .info,
        measurements: [String: Double] = [:],
        attributes: [String: String] = [:],
        statusLabel: String? = nil,
        verifiedBy: String? = nil,
        recommendation: String? = nil,
        evidence first: Evidence,
        _ more: [Evidence] = []
    ) {
        self.table = table
        self.check = check
        self.status = status
        self.observed = observed
        self.expected = expected
        self.severity = severity
        self.measurements = measurements
        self.attributes = attributes
        self.statusLabel = statusLabel
        self.verifiedBy = verifiedBy
        self.recommendation = recommendation
        self.evidence = [first] + more
    }

    /// The first evidence, the one tables cite.
    public var primaryEvidence: Evidence { evidence[0] }

    enum CodingKeys: String, CodingKey {
        case table, check, status, observed, expected, severity, measurements, attributes, evidence, recommendation
        case statusLabel = "status_label"
        case verifiedBy = "verified_by"
        case layer
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let evidence = try container.decode([Evidence].self, forKey: .evidence)
        guard let first = evidence.first else {
            throw DecodingError.dataCorruptedError(
                forKey: .evidence, in: container, debugDescription: "a finding must cite at least one evidence")
        }
        self.init(
            table: try container.decode(ReportTable.self, forKey: .table),
            check: try container.decode(String.self, forKey: .check),
            status: try container.decode(FindingStatus.self, forKey: .status),
            observed: try container.decode(String.self, forKey: .observed),
            expected: try container.decodeIfPresent(String.self, forKey: .expected),
            severity: try container.decode(Severity.self, forKey: .severity),
            measurements: try container.decodeIfPresent([String: Double].self, forKey: .measurements) ?? [:],
            attributes: try container.decodeIfPresent([String: String].self, forKey: .attributes) ?? [:],
            statusLabel: try container.decodeIfPresent(String.self, forKey: .statusLabel),
            verifiedBy: try container.decodeIfPresent(String.self, forKey: .verifiedBy),
            recommendation: try container.decodeIfPresent(String.self, forKey: .recommendation),
            evidence: first,
            Array(evidence.dropFirst())
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(layer, forKey: .layer)
        try container.encode(table, forKey: .table)
        try container.encode(check, forKey: .check)
        try container.encode(status, forKey: .status)
        try container.encode(observed, forKey: .observed)
        try container.encodeIfPresent(expected, forKey: .expected)
        try container.encode(severity, forKey: .severity)
        try container.encode(measurements, forKey: .measurements)
        try container.encode(attributes, forKey: .attributes)
        try container.encodeIfPresent(statusLabel, forKey: .statusLabel)
        try container.encodeIfPresent(verifiedBy, forKey: .verifiedBy)
        try container.encodeIfPresent(recommendation, forKey: .recommendation)
        try container.encode(evidence, forKey: .evidence)
    }
}
