import AssayCore
import Foundation
import GRDB
import Synchronization

/// Errors from the results store.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case corruptRow(table: String, id: String, reason: String)
    /// An audit with this id is already stored (the insert lost to, or came after, another with the same id).
    case duplicate(id: String)

    public var description: String {
        switch self {
        case .duplicate(let id): "an audit with id \(id) is already stored"
        case .cannotOpen(let path, let reason): "\(path): cannot open the store: \(reason)"
        case .corruptRow(let table, let id, let reason): "store table \(table), row \(id): \(reason)"
        }
    }
}

/// A stored audit, as listed by `assay report --list`.
public struct RunSummary: Sendable, Hashable, Codable {
    public var id: String
    public var startedAt: Date
    public var verdict: Verdict
    public var configurationPath: String
    public var host: String?

    public init(id: String, startedAt: Date, verdict: Verdict, configurationPath: String, host: String? = nil) {
        self.id = id
        self.startedAt = startedAt
        self.verdict = verdict
        self.configurationPath = configurationPath
        self.host = host
    }

    enum CodingKeys: String, CodingKey {
        case id, verdict, host
        case startedAt = "started_at"
        case configurationPath = "config_path"
    }
}

/// A bearer token for the server's write endpoints, kept only as the SHA-256 of its secret.
public struct APIToken: Sendable, Hashable, Codable {
    public var name: String
    public var sha256: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(name: String, sha256: String, createdAt: Date, revokedAt: Date? = nil) {
        self.name = name
        self.sha256 = sha256
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case name, sha256
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}

/// One reproducibility check as stored: indexed fields plus the entry's JSON.
public struct ReproRecord: Sendable, Hashable {
    public var id: String
    public var recordedAt: Date
    public var seed: Int
    public var reproducible: Bool
    public var payload: Data

    public init(id: String, recordedAt: Date, seed: Int, reproducible: Bool, payload: Data) {
        self.id = id
        self.recordedAt = recordedAt
        self.seed = seed
        self.reproducible = reproducible
        self.payload = payload
    }
}

/// Audit results in SQLite (GRDB), with schema migrations. Each audit is saved in one transaction,
/// so a crash leaves either the whole run or none of it.
public final class Store: Sendable {
    /// A WAL-mode pool for files (readers never wait for the agent's writes), a queue in memory.
    private let database: any DatabaseWriter

    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    public init(path: String) throws {
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var configuration = GRDB.Configuration()
            configuration.foreignKeysEnabled = true
            configuration.busyMode = .timeout(5)
            // Processes opening a new store together (an agent and a server) would race to create and migrate it:
            // one opens and migrates at a time, under an exclusive lock on a file beside the store, and the others
            // then find the migrations applied. Trying again covers what the busy timeout does not (SQLite answers
            // some lock conflicts while a file turns to WAL mode without waiting) and a writer holding it busy.
            let lock = open(path + "-migration.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            if lock >= 0 { flock(lock, LOCK_EX) }
            defer {
                if lock >= 0 {
                    flock(lock, LOCK_UN)
                    Glibc.close(lock)
                }
            }
            var attempt = 0
            while true {
                do {
                    let pool = try DatabasePool(path: path, configuration: configuration)
                    try Store.migrator.migrate(pool)
                    database = pool
                    break
                } catch let error as DatabaseError
                    where attempt < 20 && [.SQLITE_ERROR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_CONSTRAINT].contains(error.resultCode)
                {
                    attempt += 1
                    usleep(50_000)
                }
            }
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: error.message ?? error.description)
        }
    }

    /// An in-memory store, for tests and dry runs.
    public init() throws {
        database = try DatabaseQueue()
        try Store.migrator.migrate(database)
    }

    /// The shared schema's migrations, applied and recorded by GRDB.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in Schema.migrations {
            migrator.registerMigration(migration.name) { db in
                for change in migration.changes { try db.execute(sql: Schema.sql(change, dialect: .sqlite)) }
            }
        }
        return migrator
    }

    /// Names of the migrations applied, oldest first.
    public func appliedMigrations() throws -> [String] {
        try database.read { try Store.migrator.appliedMigrations($0) }
    }

    /// Saves a whole audit in one transaction; `StoreError.duplicate` when its id is taken.
    public func save(_ run: AuditRun) throws {
        try Self.mappingDuplicate(run.id) { try database.write { db in try Self.insert(run, db) } }
    }

    /// Saves a whole audit with the metric history it adds (its environment state and points), all or none;
    /// `StoreError.duplicate` when its id is taken.
    public func save(_ run: AuditRun, environment: EnvironmentState, points: [MetricPoint]) throws {
        try Self.mappingDuplicate(run.id) {
            try database.write { db in
                try Self.insert(run, db)
                try Self.insert(environment, db)
                try Self.insert(points, db)
            }
        }
    }

    /// The run table's primary key refusing a second row with one id is the only duplicate check: two writers
    /// racing for an id cannot both pass it.
    static func mappingDuplicate(_ id: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.duplicate(id: id)
        }
    }

    /// Whether an audit with this id is stored.
    public func runExists(id: String) throws -> Bool {
        try database.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?)", arguments: [id]) ?? false }
    }

    /// Inserts the run and its layers, then each finding as `findings` reads it: one finding in memory at a time.
    public func save(_ skeleton: AuditRun, findings: any FindingSource, environment: EnvironmentState, points: [MetricPoint]) throws {
        try Self.mappingDuplicate(skeleton.id) {
            try database.write { db in
                let head = try RunRows.head(skeleton)
                let layerIDs = try Self.insert(head.run, head.layers, db)
                let encoder = StoredValue.encoder()
                var key: Int64 = 0
                for index in skeleton.layers.indices {
                    var position = 0
                    try findings.forEachFinding(layer: index) { finding in
                        let rows = try RunRows.rows(of: finding, key: key, layerKey: Int64(index), position: position, encoder: encoder)
                        try Self.insert([rows.finding], rows.evidence, layerIDs: layerIDs, db)
                        key += 1
                        position += 1
                    }
                }
                try Self.insert(environment, db)
                try Self.insert(points, db)
            }
        }
    }

    static func insert(_ run: AuditRun, _ db: Database) throws {
        let rows = try RunRows(run)
        let layerIDs = try insert(rows.run, rows.layers, db)
        try insert(rows.findings, rows.evidence, layerIDs: layerIDs, db)
    }

    /// The run row and its layer rows; the store's id of each layer by its key.
    static func insert(_ r: RunRows.Run, _ layers: [RunRows.Layer], _ db: Database) throws -> [Int64: Int64] {
        try db.execute(
            sql: """
                INSERT INTO run (id, started_at, finished_at, config_path, config_sha256, verdict, reasons, assay_version, mlflow_run_id, host)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [r.id, r.startedAt.stored, r.finishedAt.stored, r.configPath, r.configSHA256, r.verdict, r.reasons, r.assayVersion, r.mlflowRunID, r.host])
        var layerIDs: [Int64: Int64] = [:]
        for layer in layers {
            try db.execute(
                sql: "INSERT INTO layer_result (runId, layer, verified, reason, started_at, duration_seconds) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [r.id, layer.layer, layer.verified, layer.reason, layer.startedAt.stored, layer.durationSeconds])
            layerIDs[layer.key] = db.lastInsertedRowID
        }
        return layerIDs
    }

    /// Finding rows and their evidence rows, under the layers `layerIDs` maps.
    static func insert(_ findings: [RunRows.Finding], _ evidence: [RunRows.Evidence], layerIDs: [Int64: Int64], _ db: Database) throws {
        // Prepared once per connection and reused: a run of 100,000 findings would otherwise parse the SQL each row.
        var findingIDs: [Int64: Int64] = [:]
        let insertFinding = try db.cachedStatement(
            sql: """
                INSERT INTO finding (layer_resultId, position, report_table, check_name, status, observed,
                  expected, severity, measurements, attributes, status_label, verified_by, recommendation, events, series)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let insertEvidence = try db.cachedStatement(
            sql: "INSERT INTO evidence (findingId, position, path, sha256, locator, mlflow_run_id, git_commit) VALUES (?, ?, ?, ?, ?, ?, ?)")
        for f in findings {
            try insertFinding.execute(
                arguments: [
                    layerIDs[f.layerKey], f.position, f.table, f.check, f.status, f.observed, f.expected, f.severity, f.measurements,
                    f.attributes, f.statusLabel, f.verifiedBy, f.recommendation, f.events, f.series,
                ])
            findingIDs[f.key] = db.lastInsertedRowID
        }
        for e in evidence {
            try insertEvidence.execute(arguments: [findingIDs[e.findingKey], e.position, e.path, e.sha256, e.locator, e.mlflowRunID, e.gitCommit])
        }
    }

    /// Saves one reproducibility check (its JSON as in `reproducibility_logs.json`).
    public func saveReproEntry(_ record: ReproRecord) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO repro_entry (id, recorded_at, seed, reproducible, payload) VALUES (?, ?, ?, ?, ?)",
                arguments: [record.id, record.recordedAt.stored, record.seed, record.reproducible, record.payload])
        }
    }

    /// Stored reproducibility checks, newest first.
    public func reproEntries(limit: Int = 50) throws -> [ReproRecord] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM repro_entry ORDER BY recorded_at DESC, rowid DESC LIMIT ?", arguments: [limit]
            ).map { row in
                ReproRecord(
                    id: row["id"], recordedAt: row["recorded_at"], seed: row["seed"], reproducible: row["reproducible"],
                    payload: row["payload"])
            }
        }
    }

    /// Records a validated (accepted or rejected) optimization.
    public func saveOptimization(_ record: OptimizationRecord) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO optimization (id, name, applied_at, accepted, delta_p95_ms, ci95_low_ms, ci95_high_ms, reason,
                      baseline_path, baseline_sha256, candidate_path, candidate_sha256, mlflow_run_id, git_commit)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id, record.name, record.appliedAt.stored, record.accepted, record.deltaP95Milliseconds,
                    record.ci95LowMilliseconds, record.ci95HighMilliseconds, record.reason, record.baseline.path,
                    record.baseline.sha256, record.candidate.path, record.candidate.sha256, record.candidate.mlflowRunID,
                    record.candidate.gitCommit,
                ])
        }
    }

    /// Validated optimizations, newest first.
    public func metricNames() throws -> [String] {
        try database.read { try String.fetchAll($0, sql: "SELECT DISTINCT metric FROM metric_point ORDER BY metric") }
    }

    public func saveToken(_ token: APIToken) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO api_token (sha256, name, created_at, revoked_at) VALUES (?, ?, ?, ?)",
                arguments: [token.sha256, token.name, token.createdAt.stored, token.revokedAt?.stored])
        }
    }

    public func tokens() throws -> [APIToken] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY created_at, rowid").map {
                APIToken(name: $0["name"], sha256: $0["sha256"], createdAt: $0["created_at"], revokedAt: $0["revoked_at"])
            }
        }
    }

    public func revokeToken(name: String, at time: Date) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "UPDATE api_token SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [time.stored, name])
            return db.changesCount > 0
        }
    }

    public func optimizations(limit: Int = 100) throws -> [OptimizationRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM optimization ORDER BY applied_at DESC, rowid DESC LIMIT ?", arguments: [limit])
                .map { row in
                    OptimizationRecord(
                        id: row["id"], name: row["name"], appliedAt: row["applied_at"], accepted: row["accepted"],
                        deltaP95Milliseconds: row["delta_p95_ms"], ci95LowMilliseconds: row["ci95_low_ms"],
                        ci95HighMilliseconds: row["ci95_high_ms"], reason: row["reason"],
                        baseline: Evidence(path: row["baseline_path"], sha256: row["baseline_sha256"]),
                        candidate: Evidence(
                            path: row["candidate_path"], sha256: row["candidate_sha256"], mlflowRunID: row["mlflow_run_id"],
                            gitCommit: row["git_commit"]))
                }
        }
    }

    /// Records metric points, all or none.
    public func saveMetrics(_ points: [MetricPoint]) throws {
        try database.write { db in try Self.insert(points, db) }
    }

    static func insert(_ points: [MetricPoint], _ db: Database) throws {
        for point in points {
            try db.execute(
                sql: """
                    INSERT INTO metric_point (metric, value, recorded_at, run_id, environment_digest, git_commit, mlflow_run_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    point.metric, point.value, point.recordedAt.stored, point.runID, point.environmentDigest, point.gitCommit,
                    point.mlflowRunID,
                ])
        }
    }

    /// Stores an environment state under its digest (once: the same digest is the same state).
    public func saveEnvironmentState(_ state: EnvironmentState) throws {
        try database.write { db in try Self.insert(state, db) }
    }

    static func insert(_ state: EnvironmentState, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO environment_state (digest, components) VALUES (?, ?)",
            arguments: [state.digest, String(decoding: state.canonicalJSON, as: UTF8.self)])
    }

    public func saveResourceSamples(_ samples: [StoredSample]) throws {
        try database.write { db in
            for sample in samples {
                try db.execute(
                    sql: "INSERT INTO resource_sample (resolution, recorded_at, payload) VALUES (?, ?, ?)",
                    arguments: [sample.resolution, sample.time.stored, sample.payload])
            }
        }
    }

    public func resourceSamples(resolution: String, since: Date) throws -> [StoredSample] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT recorded_at, payload FROM resource_sample WHERE resolution = ? AND recorded_at >= ? ORDER BY recorded_at, id",
                arguments: [resolution, since.stored]
            ).map { StoredSample(resolution: resolution, time: $0["recorded_at"], payload: $0["payload"]) }
        }
    }

    /// Problems SQLite finds in the file (`PRAGMA integrity_check`) and rows whose parent is gone
    /// (`PRAGMA foreign_key_check`); empty when the store is sound.
    public func integrityProblems() throws -> [String] {
        try database.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let orphans = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { "orphan row in \($0[0] as String? ?? "?")" }
            return integrity + orphans
        }
    }

    public func pruneResourceSamples(resolution: String, before: Date) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM resource_sample WHERE resolution = ? AND recorded_at < ?", arguments: [resolution, before.stored])
        }
    }

    /// The most recent audit, if any.
    public func latestRun() throws -> AuditRun? {
        try database.read { db in
            guard let id = try String.fetchOne(db, sql: "SELECT id FROM run ORDER BY started_at DESC, rowid DESC LIMIT 1")
            else { return nil }
            return try Store.load(id: id, db)
        }
    }

    /// The audit with this id, if stored.
    public func run(id: String) throws -> AuditRun? {
        try database.read { try Store.load(id: id, $0) }
    }

    /// Stored audits, newest first.
    public func runs(limit: Int = 50) throws -> [RunSummary] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, started_at, verdict, config_path, host FROM run ORDER BY started_at DESC, rowid DESC LIMIT ?",
                arguments: [limit]
            ).compactMap { row in
                let id: String = row["id"]
                let verdictText: String = row["verdict"]
                // A row this version cannot read (a date written before dates were checked) is left out with a
                // warning; it never takes the listing, the dashboard or the server down with it.
                guard let verdict = Verdict(rawValue: verdictText), let startedAt = Date.fromDatabaseValue(row["started_at"]) else {
                    StoreWarnings.skipped(table: "run", id: id, reason: "unreadable verdict or started_at")
                    return nil
                }
                return RunSummary(id: id, startedAt: startedAt, verdict: verdict, configurationPath: row["config_path"], host: row["host"])
            }
        }
    }

    static func load(id: String, _ db: Database) throws -> AuditRun? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]) else { return nil }
        guard let startedAt = Date.fromDatabaseValue(row["started_at"]), let finishedAt = Date.fromDatabaseValue(row["finished_at"]) else {
            StoreWarnings.skipped(table: "run", id: id, reason: "unreadable started_at or finished_at")
            return nil
        }
        let run = RunRows.Run(
            id: id, startedAt: startedAt, finishedAt: finishedAt, configPath: row["config_path"],
            configSHA256: row["config_sha256"], verdict: row["verdict"], reasons: row["reasons"], assayVersion: row["assay_version"],
            mlflowRunID: row["mlflow_run_id"], host: row["host"])
        let layers = try Row.fetchAll(db, sql: "SELECT * FROM layer_result WHERE runId = ?", arguments: [id]).map { l in
            guard let startedAt = Date.fromDatabaseValue(l["started_at"]) else {
                throw StoreError.corruptRow(table: "layer_result", id: id, reason: "unreadable started_at")
            }
            return RunRows.Layer(
                key: l["id"], layer: l["layer"], verified: l["verified"], reason: l["reason"], startedAt: startedAt,
                durationSeconds: l["duration_seconds"])
        }
        let findings = try Row.fetchAll(
            db, sql: "SELECT f.* FROM finding f JOIN layer_result l ON l.id = f.layer_resultId WHERE l.runId = ?", arguments: [id]
        ).map { f in
            RunRows.Finding(
                key: f["id"], layerKey: f["layer_resultId"], position: f["position"], table: f["report_table"], check: f["check_name"],
                status: f["status"], observed: f["observed"], expected: f["expected"], severity: f["severity"], measurements: f["measurements"],
                attributes: f["attributes"], statusLabel: f["status_label"], verifiedBy: f["verified_by"], recommendation: f["recommendation"],
                events: f["events"], series: f["series"])
        }
        let evidence = try Row.fetchAll(
            db,
            sql: """
                SELECT e.* FROM evidence e JOIN finding f ON f.id = e.findingId JOIN layer_result l ON l.id = f.layer_resultId
                WHERE l.runId = ?
                """,
            arguments: [id]
        ).map { e in
            RunRows.Evidence(
                findingKey: e["findingId"], position: e["position"], path: e["path"], sha256: e["sha256"], locator: e["locator"],
                mlflowRunID: e["mlflow_run_id"], gitCommit: e["git_commit"])
        }
        return try RunRows(run: run, layers: layers, findings: findings, evidence: evidence).audit()
    }
}

extension Store: MetricHistory {
    public func points(metric: String, since: Date) throws -> [MetricPoint] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM metric_point WHERE metric = ? AND recorded_at >= ? ORDER BY recorded_at, id",
                arguments: [metric, since.stored]
            ).compactMap { row in
                guard let recordedAt = Date.fromDatabaseValue(row["recorded_at"]) else {
                    StoreWarnings.skipped(table: "metric_point", id: "\(row["id"] as Int64? ?? 0)", reason: "unreadable recorded_at")
                    return nil
                }
                return MetricPoint(
                    metric: row["metric"], value: row["value"], recordedAt: recordedAt, runID: row["run_id"],
                    environmentDigest: row["environment_digest"], gitCommit: row["git_commit"], mlflowRunID: row["mlflow_run_id"])
            }
        }
    }

    public func environmentState(digest: String) throws -> EnvironmentState? {
        try database.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT components FROM environment_state WHERE digest = ?", arguments: [digest])
            else { return nil }
            do {
                return EnvironmentState(components: try JSONDecoder().decode([String: String].self, from: Data(text.utf8)))
            } catch {
                throw StoreError.corruptRow(table: "environment_state", id: digest, reason: "components are not a JSON object of strings")
            }
        }
    }
}

extension StoreError: AssayError {
    public var exitCode: Int32 { ExitStatus.invalidInput }
}

/// Rows left out of an answer because they cannot be read, said on standard error (the server's log) once each.
enum StoreWarnings {
    private static let said = Mutex<Set<String>>([])

    static func skipped(table: String, id: String, reason: String) {
        let key = table + " " + id
        guard said.withLock({ $0.insert(key).inserted }) else { return }
        FileHandle.standardError.write(Data("assay: warning: store table \(table), row \(id) left out: \(reason)\n".utf8))
    }
}
