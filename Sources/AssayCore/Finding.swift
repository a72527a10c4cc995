import Foundation

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
    /// Each occurrence behind the row (every spike, every throttled run), in time order.
    public var events: [FindingEvent] = []
    /// Named series behind the row, which the HTML report draws (`cdf_ms`, `values`, `history`, `curve`).
    public var series: [String: [SeriesPoint]] = [:]
    /// Where each series comes from (file, sha256, count, window), keyed as `series`; the report fills it in.
    public var seriesSources: [String: SeriesSource] = [:]
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
        case layer, events, series
        case seriesSources = "series_sources"
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
        events = try container.decodeIfPresent([FindingEvent].self, forKey: .events) ?? []
        series = try container.decodeIfPresent([String: [SeriesPoint]].self, forKey: .series) ?? [:]
        seriesSources = try container.decodeIfPresent([String: SeriesSource].self, forKey: .seriesSources) ?? [:]
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
        if !events.isEmpty { try container.encode(events, forKey: .events) }
        if !series.isEmpty { try container.encode(series, forKey: .series) }
        if !seriesSources.isEmpty { try container.encode(seriesSources, forKey: .seriesSources) }
        try container.encode(evidence, forKey: .evidence)
    }
}

/// One occurrence behind a finding: when it started and ended and how large it was.
public struct FindingEvent: Sendable, Codable, Hashable {
    public var start: Date
    public var end: Date
    /// The highest value reached, in the row's unit.
    public var peak: Double?
    /// How far above the level before it the value rose, in the row's unit.
    public var rise: Double?
    public var detail: String?
    /// What happened: `spike`, `drop`, `level_shift`, `sustained`, `breach`, `throttled`.
    public var kind: String?
    /// Within this host's normal pattern (routine, not an alarm); nil where the rule judges no pattern.
    public var expected: Bool?

    public var durationSeconds: Double { end.timeIntervalSince(start) }

    public init(
        start: Date, end: Date, peak: Double? = nil, rise: Double? = nil, detail: String? = nil, kind: String? = nil, expected: Bool? = nil
    ) {
        self.start = start
        self.end = end
        self.peak = peak
        self.rise = rise
        self.detail = detail
        self.kind = kind
        self.expected = expected
    }

    enum CodingKeys: String, CodingKey { case start, end, peak, rise, detail, kind, expected, durationSeconds = "duration_seconds" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        start = try c.decode(Date.self, forKey: .start)
        end = try c.decode(Date.self, forKey: .end)
        peak = try c.decodeIfPresent(Double.self, forKey: .peak)
        rise = try c.decodeIfPresent(Double.self, forKey: .rise)
        detail = try c.decodeIfPresent(String.self, forKey: .detail)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        expected = try c.decodeIfPresent(Bool.self, forKey: .expected)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encodeIfPresent(peak, forKey: .peak)
        try c.encodeIfPresent(rise, forKey: .rise)
        try c.encodeIfPresent(detail, forKey: .detail)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encodeIfPresent(expected, forKey: .expected)
        try c.encode(durationSeconds, forKey: .durationSeconds)
    }
}

extension FindingEvent {
    /// The kinds in the order rows and charts list them.
    static let kindOrder = ["spike", "drop", "level_shift", "sustained", "breach", "throttled"]

    /// A kind as a person reads it: `level_shift` is "level shift".
    public static func name(ofKind kind: String) -> String { kind.replacingOccurrences(of: "_", with: " ") }

    /// How many events of each kind, "2 spikes, 1 level shift", in `kindOrder` (other kinds after, as they come);
    /// empty for none.
    public static func tally(_ kinds: [String]) -> String {
        let order = kindOrder + kinds.filter { !kindOrder.contains($0) }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return order.compactMap { kind -> String? in
            let count = kinds.filter { $0 == kind }.count
            return count == 0 ? nil : "\(count) \(name(ofKind: kind))\(count == 1 ? "" : "s")"
        }.joined(separator: ", ")
    }
}

/// One point of a finding's series, written as `[x, y]`.
public struct SeriesPoint: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        x = try container.decode(Double.self)
        y = try container.decode(Double.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(x)
        try container.encode(y)
    }

    /// At most `limit` points of `points` (sorted by x): each bucket keeps its highest point, so peaks stay visible.
    public static func thinned(_ points: [SeriesPoint], to limit: Int) -> [SeriesPoint] {
        guard points.count > limit, limit > 0 else { return points }
        let size = Double(points.count) / Double(limit)
        return (0..<limit).compactMap { bucket in
            let range = Int(Double(bucket) * size)..<min(points.count, Int(Double(bucket + 1) * size))
            return points[range].max { $0.y < $1.y }
        }
    }
}
