import Foundation

/// Where a finding's drawn series comes from: the file (or stored run) and its digest, how many readings it
/// summarises, and the window they were taken over. report.json carries one per series (`series_sources`), and each
/// chart's caption says the same.
public struct SeriesSource: Sendable, Codable, Hashable {
    /// The evidence cited, as tables cite it: `runs/latency.jsonl#L1-2000`.
    public var source: String
    public var sha256: String
    /// The readings behind the series (requests, samples, runs, load steps), when known.
    public var count: Int?
    /// What `count` counts: `requests`, `samples`, `runs`, `load steps`.
    public var countOf: String?
    public var from: Date?
    public var to: Date?

    public init(_ evidence: Evidence, count: Int? = nil, of countOf: String? = nil, from: Date? = nil, to: Date? = nil) {
        self.source = evidence.reference
        self.sha256 = evidence.sha256
        self.count = count
        self.countOf = count == nil ? nil : countOf
        self.from = from
        self.to = to
    }

    enum CodingKeys: String, CodingKey {
        case source, sha256, count, from, to
        case countOf = "count_of"
    }
}
