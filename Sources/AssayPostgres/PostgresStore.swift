import AssayCore
import AssayStore
import Foundation
import Logging
import PostgresNIO

/// The store on a PostgreSQL server (postgres-nio), for a team or a fleet: the tables and named migrations of
/// `Schema`, as the SQLite store has them, applied under an advisory lock so concurrent first runs do not race; each
/// audit saved in one transaction. Requests share a pool of connections (`PostgresClient`), so concurrent
/// writers (a server taking pushes from many CI jobs) do not queue behind one connection.
public final class PostgresStore: AuditStore, Sendable {
    private let connection: PostgresClient
    private let pool: Task<Void, Never>
    private let logger: Logger
    /// Connections the pool opens at most.
    public static let maximumConnections = 16

    private init(client: PostgresClient, logger: Logger) {
        connection = client
        pool = Task { await client.run() }
        self.logger = logger
    }

    /// Connects to `postgres://user:password@host:port/database` (`?sslmode=require` for TLS) and applies
    /// pending migrations.
    public static func connect(url: String) async throws -> PostgresStore {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, let user = components.user
        else {
            throw StoreError.cannotOpen(path: url, reason: "expected postgres://user:password@host:port/database")
        }
        let database = components.path.split(separator: "/").first.map(String.init)
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresConnection.Configuration.TLS =
            sslmode == "disable" ? .disable : .require(try .init(configuration: .makeClientConfiguration()))
        var configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        let logger = Logger(label: "assay.store.postgres")
        // One connection first: an unreachable server or a refused login fails here at once (a pool would keep
        // retrying), and the migrations run on it.
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch {
            throw StoreError.cannotOpen(path: Self.redacted(url), reason: String(reflecting: error))
        }
        do {
            try await migrate(connection, logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        var poolConfiguration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password, database: database,
            tls: sslmode == "disable" ? .disable : .require(.makeClientConfiguration()))
        poolConfiguration.options.connectTimeout = .seconds(10)
        poolConfiguration.options.maximumConnections = maximumConnections
        // The pool's own messages (a lease asked for before its run loop has started) are not the user's concern.
        var background = logger
        background.logLevel = .error
        return PostgresStore(client: PostgresClient(configuration: poolConfiguration, backgroundLogger: background), logger: logger)
    }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    public func close() async {
        pool.cancel()
        await pool.value
    }

    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { db in
            try await db.query("SELECT pg_advisory_xact_lock(7301942)", logger: logger)
            try await db.query(
                "CREATE TABLE IF NOT EXISTS assay_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)", logger: logger)
            var applied: Set<String> = []
            for try await name in try await db.query("SELECT name FROM assay_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in Schema.migrations where !applied.contains(migration.name) {
                for change in migration.changes {
                    try await db.query(PostgresQuery(unsafeSQL: Schema.sql(change, dialect: .postgres)), logger: logger)
                }
                try await db.query("INSERT INTO assay_migrations (name, applied_at) VALUES (\(migration.name), \(Date()))", logger: logger)
            }
        }
    }

    public func appliedMigrations() async throws -> [String] {
        let applied = try await connection.query("SELECT name FROM assay_migrations", logger: logger).decode(String.self)
        var names: Set<String> = []
        for try await name in applied { names.insert(name) }
        return Schema.migrations.map(\.name).filter(names.contains)
    }

    /// The run, its layers, findings and evidence in one transaction of four statements (one per table), so an
    /// audit costs four round trips whatever its size.
    public func save(_ run: AuditRun) async throws {
        try await Self.mappingDuplicate(run.id) {
            try await connection.withTransaction(logger: logger) { db in try await Self.insert(run, on: db, logger: logger) }
        }
    }

    /// The audit and the metric history it adds (its environment state and points) in one transaction;
    /// `StoreError.duplicate` when the id is taken.
    public func save(_ run: AuditRun, environment: EnvironmentState, points: [MetricPoint]) async throws {
        try await Self.mappingDuplicate(run.id) {
            try await connection.withTransaction(logger: logger) { db in
                try await Self.insert(run, on: db, logger: logger)
                try await Self.insert(environment, on: db, logger: logger)
                try await Self.insert(points, on: db, logger: logger)
            }
        }
    }

    /// The run table's primary key is the only duplicate check, so every loser of a race for one id hears so.
    static func mappingDuplicate(_ id: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            // withTransaction wraps what the closure threw.
            let cause = (error as? PostgresTransactionError)?.closureError ?? (error as? PostgresTransactionError)?.commitError ?? error
            if let failure = cause as? PSQLError, failure.serverInfo?[.sqlState] == PostgresError.Code.uniqueViolation.raw,
                failure.serverInfo?[.tableName] == "run"
            {
                throw StoreError.duplicate(id: id)
            }
            throw error
        }
    }

    public func runExists(id: String) async throws -> Bool {
        for try await exists in try await connection.query("SELECT EXISTS (SELECT 1 FROM run WHERE id = \(id))", logger: logger).decode(Bool.self) {
            return exists
        }
        return false
    }

    static func insert(_ run: AuditRun, on db: PostgresConnection, logger: Logger) async throws {
        let rows = try RunRows(run)
        let r = rows.run
        try await db.query(
            """
            INSERT INTO run (id, started_at, finished_at, config_path, config_sha256, verdict, reasons, assay_version, mlflow_run_id, host)
            VALUES (\(r.id), \(r.startedAt), \(r.finishedAt), \(r.configPath), \(r.configSHA256), \(r.verdict), \(r.reasons),
              \(r.assayVersion), \(r.mlflowRunID), \(r.host))
            """, logger: logger)
        var layerIDs: [String: Int64] = [:]
        for row in try await Self.insert(
            into: "layer_result", ["\"runId\"", "layer", "verified", "reason", "started_at", "duration_seconds"],
            rows.layers.map { [.text(r.id), .text($0.layer), .bool($0.verified), .text($0.reason), .date($0.startedAt), .double($0.durationSeconds)] },
            returning: "id, layer", on: db, logger: logger)
        {
            let (id, layer) = try row.decode((Int64, String).self)
            layerIDs[layer] = id
        }
        let layerKeys = Dictionary(uniqueKeysWithValues: rows.layers.map { ($0.key, layerIDs[$0.layer] ?? 0) })
        var findingIDs: [[Int64]: Int64] = [:]
        for row in try await Self.insert(
            into: "finding",
            ["\"layer_resultId\"", "position", "report_table", "check_name", "status", "observed", "expected", "severity", "measurements",
             "attributes", "status_label", "verified_by", "recommendation", "events", "series"],
            rows.findings.map { f in
                [.int(layerKeys[f.layerKey] ?? 0), .int(Int64(f.position)), .text(f.table), .text(f.check), .text(f.status), .text(f.observed),
                 .text(f.expected), .text(f.severity), .text(f.measurements), .text(f.attributes), .text(f.statusLabel), .text(f.verifiedBy),
                 .text(f.recommendation), .text(f.events), .text(f.series)]
            },
            returning: "id, \"layer_resultId\", position", on: db, logger: logger)
        {
            let (id, layerID, position) = try row.decode((Int64, Int64, Int32).self)
            findingIDs[[layerID, Int64(position)]] = id
        }
        let findingKeys = Dictionary(uniqueKeysWithValues: rows.findings.map { f in
            (f.key, findingIDs[[layerKeys[f.layerKey] ?? 0, Int64(f.position)]] ?? 0)
        })
        try await Self.insert(
            into: "evidence", ["\"findingId\"", "position", "path", "sha256", "locator", "mlflow_run_id", "git_commit"],
            rows.evidence.map { e in
                [.int(findingKeys[e.findingKey] ?? 0), .int(Int64(e.position)), .text(e.path), .text(e.sha256), .text(e.locator),
                 .text(e.mlflowRunID), .text(e.gitCommit)]
            },
            returning: nil, on: db, logger: logger)
    }

    /// A value bound into a multi-row INSERT.
    enum Cell {
        case text(String?), int(Int64), double(Double), bool(Bool), date(Date)
    }

    /// `INSERT INTO table (columns) VALUES (…), (…) [RETURNING …]` with every value bound, in statements of at most
    /// 1,000 rows (PostgreSQL takes at most 65,535 binds); the rows the statements returned.
    @discardableResult
    static func insert(
        into table: String, _ columns: [String], _ rows: [[Cell]], returning: String?, on db: PostgresConnection, logger: Logger
    ) async throws -> [PostgresRow] {
        var returned: [PostgresRow] = []
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + 1000)]
            var binds = PostgresBindings(capacity: chunk.count * columns.count)
            var tuples: [String] = []
            for row in chunk {
                var placeholders: [String] = []
                for cell in row {
                    switch cell {
                    case .text(let value): binds.append(value)
                    case .int(let value): binds.append(value)
                    case .double(let value): binds.append(value)
                    case .bool(let value): binds.append(value)
                    case .date(let value): binds.append(value)
                    }
                    placeholders.append("$\(binds.count)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))"
                + (returning.map { " RETURNING \($0)" } ?? "")
            for try await row in try await db.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) { returned.append(row) }
            start += 1000
        }
        return returned
    }

    public func saveReproEntry(_ record: ReproRecord) async throws {
        try await connection.query(
            """
            INSERT INTO repro_entry (id, recorded_at, seed, reproducible, payload)
            VALUES (\(record.id), \(record.recordedAt), \(Int64(record.seed)), \(record.reproducible), \(record.payload))
            """, logger: logger)
    }

    public func reproEntries(limit: Int) async throws -> [ReproRecord] {
        let rows = try await connection.query(
            "SELECT id, recorded_at, seed, reproducible, payload FROM repro_entry ORDER BY recorded_at DESC, id DESC LIMIT \(limit)",
            logger: logger)
        var records: [ReproRecord] = []
        for try await (id, recordedAt, seed, reproducible, payload) in rows.decode((String, Date, Int64, Bool, Data).self) {
            records.append(ReproRecord(id: id, recordedAt: recordedAt, seed: Int(seed), reproducible: reproducible, payload: payload))
        }
        return records
    }

    public func saveOptimization(_ record: OptimizationRecord) async throws {
        try await connection.query(
            """
            INSERT INTO optimization (id, name, applied_at, accepted, delta_p95_ms, ci95_low_ms, ci95_high_ms, reason,
              baseline_path, baseline_sha256, candidate_path, candidate_sha256, mlflow_run_id, git_commit)
            VALUES (\(record.id), \(record.name), \(record.appliedAt), \(record.accepted), \(record.deltaP95Milliseconds),
              \(record.ci95LowMilliseconds), \(record.ci95HighMilliseconds), \(record.reason), \(record.baseline.path),
              \(record.baseline.sha256), \(record.candidate.path), \(record.candidate.sha256), \(record.candidate.mlflowRunID),
              \(record.candidate.gitCommit))
            """, logger: logger)
    }

    public func optimizations(limit: Int) async throws -> [OptimizationRecord] {
        let rows = try await connection.query(
            """
            SELECT id, name, applied_at, accepted, delta_p95_ms, ci95_low_ms, ci95_high_ms, reason, baseline_path, baseline_sha256,
              candidate_path, candidate_sha256, mlflow_run_id, git_commit
            FROM optimization ORDER BY applied_at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        var records: [OptimizationRecord] = []
        for try await row in rows {
            let r = try row.decode(
                (String, String, Date, Bool, Double, Double, Double, String, String, String, String, String, String?, String?).self)
            records.append(
                OptimizationRecord(
                    id: r.0, name: r.1, appliedAt: r.2, accepted: r.3, deltaP95Milliseconds: r.4, ci95LowMilliseconds: r.5,
                    ci95HighMilliseconds: r.6, reason: r.7, baseline: Evidence(path: r.8, sha256: r.9),
                    candidate: Evidence(path: r.10, sha256: r.11, mlflowRunID: r.12, gitCommit: r.13)))
        }
        return records
    }

    public func latestRun() async throws -> AuditRun? {
        let rows = try await connection.query("SELECT id FROM run ORDER BY started_at DESC, id DESC LIMIT 1", logger: logger)
        for try await id in rows.decode(String.self) { return try await run(id: id) }
        return nil
    }

    public func runs(limit: Int) async throws -> [RunSummary] {
        let rows = try await connection.query(
            "SELECT id, started_at, verdict, config_path, host FROM run ORDER BY started_at DESC, id DESC LIMIT \(limit)", logger: logger)
        var summaries: [RunSummary] = []
        for try await (id, startedAt, verdict, path, host) in rows.decode((String, Date, String, String, String?).self) {
            summaries.append(
                RunSummary(
                    id: id, startedAt: startedAt, verdict: try StoredValue.parse(Verdict.self, verdict, table: "run", rowID: id),
                    configurationPath: path, host: host))
        }
        return summaries
    }

    public func run(id: String) async throws -> AuditRun? {
        let runRows = try await connection.query(
            """
            SELECT started_at, finished_at, config_path, config_sha256, verdict, reasons, assay_version, mlflow_run_id, host
            FROM run WHERE id = \(id)
            """, logger: logger)
        var run: RunRows.Run?
        for try await h in runRows.decode((Date, Date, String, String, String, String, String, String?, String?).self) {
            run = RunRows.Run(
                id: id, startedAt: h.0, finishedAt: h.1, configPath: h.2, configSHA256: h.3, verdict: h.4, reasons: h.5, assayVersion: h.6,
                mlflowRunID: h.7, host: h.8)
        }
        guard let run else { return nil }
        var layers: [RunRows.Layer] = []
        let layerRows = try await connection.query(
            "SELECT id, layer, verified, reason, started_at, duration_seconds FROM layer_result WHERE \"runId\" = \(id)", logger: logger)
        for try await l in layerRows.decode((Int64, String, Bool, String?, Date, Double).self) {
            layers.append(RunRows.Layer(key: l.0, layer: l.1, verified: l.2, reason: l.3, startedAt: l.4, durationSeconds: l.5))
        }
        var findings: [RunRows.Finding] = []
        let findingRows = try await connection.query(
            """
            SELECT f.id, f."layer_resultId", f.position, f.report_table, f.check_name, f.status, f.observed, f.expected, f.severity,
              f.measurements, f.attributes, f.status_label, f.verified_by, f.recommendation, f.events, f.series
            FROM finding f JOIN layer_result l ON l.id = f."layer_resultId" WHERE l."runId" = \(id)
            """, logger: logger)
        for try await row in findingRows {
            let f = try row.decode(
                (Int64, Int64, Int32, String, String, String, String, String?, String, String, String, String?, String?, String?, String?, String?).self)
            findings.append(
                RunRows.Finding(
                    key: f.0, layerKey: f.1, position: Int(f.2), table: f.3, check: f.4, status: f.5, observed: f.6, expected: f.7, severity: f.8,
                    measurements: f.9, attributes: f.10, statusLabel: f.11, verifiedBy: f.12, recommendation: f.13, events: f.14, series: f.15))
        }
        var evidence: [RunRows.Evidence] = []
        let evidenceRows = try await connection.query(
            """
            SELECT e."findingId", e.position, e.path, e.sha256, e.locator, e.mlflow_run_id, e.git_commit FROM evidence e
            JOIN finding f ON f.id = e."findingId" JOIN layer_result l ON l.id = f."layer_resultId" WHERE l."runId" = \(id)
            """, logger: logger)
        for try await e in evidenceRows.decode((Int64, Int32, String, String, String?, String?, String?).self) {
            evidence.append(
                RunRows.Evidence(findingKey: e.0, position: Int(e.1), path: e.2, sha256: e.3, locator: e.4, mlflowRunID: e.5, gitCommit: e.6))
        }
        return try RunRows(run: run, layers: layers, findings: findings, evidence: evidence).audit()
    }

    public func metricNames() async throws -> [String] {
        var names: [String] = []
        for try await name in try await connection.query("SELECT DISTINCT metric FROM metric_point ORDER BY metric", logger: logger)
            .decode(String.self)
        {
            names.append(name)
        }
        return names
    }

    public func saveToken(_ token: APIToken) async throws {
        try await connection.query(
            """
            INSERT INTO api_token (sha256, name, created_at, revoked_at)
            VALUES (\(token.sha256), \(token.name), \(token.createdAt), \(token.revokedAt))
            """, logger: logger)
    }

    public func tokens() async throws -> [APIToken] {
        var tokens: [APIToken] = []
        let rows = try await connection.query("SELECT name, sha256, created_at, revoked_at FROM api_token ORDER BY created_at", logger: logger)
        for try await (name, sha256, created, revoked) in rows.decode((String, String, Date, Date?).self) {
            tokens.append(APIToken(name: name, sha256: sha256, createdAt: created, revokedAt: revoked))
        }
        return tokens
    }

    public func revokeToken(name: String, at time: Date) async throws -> Bool {
        let rows = try await connection.query(
            "UPDATE api_token SET revoked_at = \(time) WHERE name = \(name) AND revoked_at IS NULL RETURNING name", logger: logger)
        var changed = false
        for try await _ in rows.decode(String.self) { changed = true }
        return changed
    }

    public func saveMetrics(_ points: [MetricPoint]) async throws {
        try await connection.withTransaction(logger: logger) { db in try await Self.insert(points, on: db, logger: logger) }
    }

    static func insert(_ points: [MetricPoint], on db: PostgresConnection, logger: Logger) async throws {
        let rows = points.map { point -> [Cell] in
            [.text(point.metric), .double(point.value), .date(point.recordedAt), .text(point.runID), .text(point.environmentDigest),
             .text(point.gitCommit), .text(point.mlflowRunID)]
        }
        try await insert(
            into: "metric_point", ["metric", "value", "recorded_at", "run_id", "environment_digest", "git_commit", "mlflow_run_id"], rows,
            returning: nil, on: db, logger: logger)
    }

    public func saveResourceSamples(_ samples: [StoredSample]) async throws {
        try await connection.withTransaction(logger: logger) { db in
            for sample in samples {
                try await db.query(
                    "INSERT INTO resource_sample (resolution, recorded_at, payload) VALUES (\(sample.resolution), \(sample.time), \(sample.payload))",
                    logger: logger)
            }
        }
    }

    public func resourceSamples(resolution: String, since: Date) async throws -> [StoredSample] {
        let rows = try await connection.query(
            """
            SELECT recorded_at, payload FROM resource_sample WHERE resolution = \(resolution) AND recorded_at >= \(since)
            ORDER BY recorded_at, id
            """, logger: logger)
        var samples: [StoredSample] = []
        for try await (time, payload) in rows.decode((Date, Data).self) {
            samples.append(StoredSample(resolution: resolution, time: time, payload: payload))
        }
        return samples
    }

    public func pruneResourceSamples(resolution: String, before: Date) async throws {
        try await connection.query(
            "DELETE FROM resource_sample WHERE resolution = \(resolution) AND recorded_at < \(before)", logger: logger)
    }

    public func saveEnvironmentState(_ state: EnvironmentState) async throws {
        try await connection.withConnection { db in try await Self.insert(state, on: db, logger: self.logger) }
    }

    static func insert(_ state: EnvironmentState, on db: PostgresConnection, logger: Logger) async throws {
        let components = String(decoding: state.canonicalJSON, as: UTF8.self)
        try await db.query(
            "INSERT INTO environment_state (digest, components) VALUES (\(state.digest), \(components)) ON CONFLICT (digest) DO NOTHING",
            logger: logger)
    }

    public func points(metric: String, since: Date) async throws -> [MetricPoint] {
        let rows = try await connection.query(
            """
            SELECT metric, value, recorded_at, run_id, environment_digest, git_commit, mlflow_run_id FROM metric_point
            WHERE metric = \(metric) AND recorded_at >= \(since) ORDER BY recorded_at, id
            """, logger: logger)
        var points: [MetricPoint] = []
        for try await (name, value, at, run, environment, commit, mlflow) in rows.decode((String, Double, Date, String, String?, String?, String?).self) {
            points.append(
                MetricPoint(metric: name, value: value, recordedAt: at, runID: run, environmentDigest: environment, gitCommit: commit, mlflowRunID: mlflow))
        }
        return points
    }

    public func environmentState(digest: String) async throws -> EnvironmentState? {
        let rows = try await connection.query("SELECT components FROM environment_state WHERE digest = \(digest)", logger: logger)
        for try await text in rows.decode(String.self) {
            return EnvironmentState(components: try StoredValue.decode([String: String].self, text, table: "environment_state", rowID: digest))
        }
        return nil
    }
}
