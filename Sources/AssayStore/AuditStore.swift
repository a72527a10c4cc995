import AssayCore
import Foundation

/// What Assay keeps between runs: audits, reproducibility checks, validated optimizations, metric history and
/// environment states. `Store` keeps them in an embedded SQLite file, `PostgresStore` on a PostgreSQL server
/// shared by a team or a fleet; both apply the same named migrations to the same tables.
public protocol AuditStore: MetricHistory, TelemetryHistory {
    /// Names of the migrations applied, oldest first.
    func appliedMigrations() async throws -> [String]
    /// Saves a whole audit in one transaction.
    func save(_ run: AuditRun) async throws
    /// Saves a whole audit with the metric history it adds (its environment state and points), in one transaction.
    func save(_ run: AuditRun, environment: EnvironmentState, points: [MetricPoint]) async throws
    /// Whether an audit with this id is stored.
    func runExists(id: String) async throws -> Bool
    func saveReproEntry(_ record: ReproRecord) async throws
    func reproEntries(limit: Int) async throws -> [ReproRecord]
    func saveOptimization(_ record: OptimizationRecord) async throws
    func latestRun() async throws -> AuditRun?
    func run(id: String) async throws -> AuditRun?
    func runs(limit: Int) async throws -> [RunSummary]
    /// Records metric points, all or none.
    func saveMetrics(_ points: [MetricPoint]) async throws
    /// Stores an environment state under its digest (once).
    func saveEnvironmentState(_ state: EnvironmentState) async throws
    /// Host samples kept by `assay agent`, at a resolution ("raw", "1m").
    func saveResourceSamples(_ samples: [StoredSample]) async throws
    /// Drops samples at `resolution` older than `before` (retention).
    func pruneResourceSamples(resolution: String, before: Date) async throws
    /// Names of the metrics with stored points, sorted.
    func metricNames() async throws -> [String]
    /// Adds a token; its name must be new.
    func saveToken(_ token: APIToken) async throws
    /// Every token, revoked ones included, oldest first.
    func tokens() async throws -> [APIToken]
    /// Marks the named token revoked; false when no live token has that name.
    func revokeToken(name: String, at time: Date) async throws -> Bool
    /// Ends the connection, if the store has one; call before letting go of it.
    func close() async
    /// Saves an audit whose findings come from `findings`, layer by layer (`skeleton`'s layers carry none), with
    /// its metric history, all or none; `StoreError.duplicate` when the id is taken. A store that can insert as
    /// it reads keeps one finding in memory at a time.
    func save(_ skeleton: AuditRun, findings: any FindingSource, environment: EnvironmentState, points: [MetricPoint]) async throws
}

/// Findings read one at a time, for each layer of an audit (an index into its `layers`).
public protocol FindingSource: Sendable {
    func forEachFinding(layer: Int, _ body: (Finding) throws -> Void) throws
}

extension AuditStore {
    /// Gathers the findings into the run and saves it whole.
    public func save(_ skeleton: AuditRun, findings: any FindingSource, environment: EnvironmentState, points: [MetricPoint]) async throws {
        var run = skeleton
        for index in run.layers.indices { try findings.forEachFinding(layer: index) { run.layers[index].findings.append($0) } }
        try await save(run, environment: environment, points: points)
    }
}


extension Store: AuditStore {
    /// The SQLite file needs no closing: GRDB closes it with the queue.
    public func close() async {}
}

/// Turns stored text back into the domain model, naming the row when it cannot.
package enum StoredValue {
    package static func decode<T: Decodable>(_ type: T.Type, _ text: String, table: String, rowID: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
            throw StoreError.corruptRow(table: table, id: rowID, reason: "\(error)")
        }
    }

    package static func parse<T: RawRepresentable>(_ type: T.Type, _ raw: String, table: String, rowID: String) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: raw) else {
            throw StoreError.corruptRow(table: table, id: rowID, reason: "unknown value '\(raw)'")
        }
        return value
    }

    package static func encode<T: Encodable>(_ value: T, with encoder: JSONEncoder = encoder()) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Sorted keys: the same value is stored as the same text. One encoder serves a whole audit's rows.
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// A finding's events as stored (ISO-8601 times), NULL when it has none.
    package static func encodeEvents(_ events: [FindingEvent]) throws -> String? {
        events.isEmpty ? nil : String(decoding: try JSONCoding.encoder().encode(events), as: UTF8.self)
    }

    /// A finding's series as stored, NULL when it has none.
    package static func encodeSeries(_ series: [String: [SeriesPoint]]) throws -> String? {
        series.isEmpty ? nil : String(decoding: try JSONCoding.encoder().encode(series), as: UTF8.self)
    }

    package static func decodeSeries(_ text: String?, rowID: String) throws -> [String: [SeriesPoint]] {
        guard let text else { return [:] }
        do { return try JSONCoding.decoder().decode([String: [SeriesPoint]].self, from: Data(text.utf8)) } catch {
            throw StoreError.corruptRow(table: "finding", id: rowID, reason: "series: \(error)")
        }
    }

    package static func decodeEvents(_ text: String?, rowID: String) throws -> [FindingEvent] {
        guard let text else { return [] }
        do { return try JSONCoding.decoder().decode([FindingEvent].self, from: Data(text.utf8)) } catch {
            throw StoreError.corruptRow(table: "finding", id: rowID, reason: "events: \(error)")
        }
    }
}
