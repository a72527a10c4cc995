/// The store's tables, described once and written out as SQL for SQLite or PostgreSQL. Migrations are named and
/// append-only: a store records the names it has applied, and a new schema change is a new migration.
public enum Schema {
    /// A column type both databases can hold.
    public enum ColumnType: Sendable, Hashable {
        case text, integer, bigInteger, double, boolean, timestamp, blob
    }

    /// A column: nullable unless `notNull`, optionally unique or a cascading reference to another table's key.
    public struct Column: Sendable, Hashable {
        public var name: String
        public var type: ColumnType
        public var notNull: Bool
        public var unique = false
        /// The table whose primary key this column holds; the row goes when that row is deleted.
        public var references: String?

        static func required(_ name: String, _ type: ColumnType) -> Column { Column(name: name, type: type, notNull: true) }
        static func optional(_ name: String, _ type: ColumnType) -> Column { Column(name: name, type: type, notNull: false) }
        static func parent(_ name: String, table: String, type: ColumnType) -> Column {
            Column(name: name, type: type, notNull: true, references: table)
        }
    }

    /// A table's primary key: a natural text key, or an auto-incremented integer `id`.
    public enum PrimaryKey: Sendable, Hashable {
        case text(String)
        case autoIncrementedID
    }

    public struct Table: Sendable, Hashable {
        public var name: String
        public var primaryKey: PrimaryKey
        public var columns: [Column]
        public var uniqueKeys: [[String]] = []
    }

    public enum Change: Sendable, Hashable {
        case createTable(Table)
        /// An index; `ifNotExists` for one that stores created by older versions may already have.
        case createIndex(name: String, table: String, columns: [String], ifNotExists: Bool = false)
        case addColumn(table: String, Column)
    }

    public struct Migration: Sendable, Hashable {
        public var name: String
        public var changes: [Change]
    }

    /// The SQL dialects the store is written out in.
    public enum Dialect: Sendable {
        case sqlite, postgres
    }

    /// Every migration, oldest first.
    public static let migrations: [Migration] = [
        Migration(
            name: "v1-runs-layers-findings-evidence",
            changes: [
                .createTable(
                    Table(
                        name: "run", primaryKey: .text("id"),
                        columns: [
                            .required("started_at", .timestamp), .required("finished_at", .timestamp), .required("config_path", .text),
                            .required("config_sha256", .text), .required("verdict", .text), .required("reasons", .text),
                            .required("assay_version", .text),
                        ])),
                .createIndex(name: "run_started_at", table: "run", columns: ["started_at"]),
                .createTable(
                    Table(
                        name: "layer_result", primaryKey: .autoIncrementedID,
                        columns: [
                            .parent("runId", table: "run", type: .text), .required("layer", .text), .required("verified", .boolean),
                            .optional("reason", .text), .required("started_at", .timestamp), .required("duration_seconds", .double),
                        ],
                        uniqueKeys: [["runId", "layer"]])),
                .createTable(
                    Table(
                        name: "finding", primaryKey: .autoIncrementedID,
                        columns: [
                            .parent("layer_resultId", table: "layer_result", type: .bigInteger), .required("position", .integer),
                            .required("report_table", .text), .required("check_name", .text), .required("status", .text),
                            .required("observed", .text), .optional("expected", .text), .required("severity", .text),
                            .required("measurements", .text), .required("attributes", .text), .optional("status_label", .text),
                            .optional("verified_by", .text), .optional("recommendation", .text),
                        ])),
                .createTable(
                    Table(
                        name: "evidence", primaryKey: .autoIncrementedID,
                        columns: [
                            .parent("findingId", table: "finding", type: .bigInteger), .required("position", .integer),
                            .required("path", .text), .required("sha256", .text), .optional("locator", .text),
                            .optional("mlflow_run_id", .text), .optional("git_commit", .text),
                        ])),
                .createIndex(name: "evidence_sha256", table: "evidence", columns: ["sha256"]),
            ]),
        Migration(name: "v2-run-mlflow-run-id", changes: [.addColumn(table: "run", .optional("mlflow_run_id", .text))]),
        Migration(
            name: "v3-repro-entries",
            changes: [
                .createTable(
                    Table(
                        name: "repro_entry", primaryKey: .text("id"),
                        columns: [
                            .required("recorded_at", .timestamp), .required("seed", .bigInteger), .required("reproducible", .boolean),
                            .required("payload", .blob),
                        ])),
                .createIndex(name: "repro_entry_recorded_at", table: "repro_entry", columns: ["recorded_at"]),
            ]),
        Migration(
            name: "v4-optimizations",
            changes: [
                .createTable(
                    Table(
                        name: "optimization", primaryKey: .text("id"),
                        columns: [
                            .required("name", .text), .required("applied_at", .timestamp), .required("accepted", .boolean),
                            .required("delta_p95_ms", .double), .required("ci95_low_ms", .double), .required("ci95_high_ms", .double),
                            .required("reason", .text), .required("baseline_path", .text), .required("baseline_sha256", .text),
                            .required("candidate_path", .text), .required("candidate_sha256", .text), .optional("mlflow_run_id", .text),
                            .optional("git_commit", .text),
                        ]))
            ]),
        Migration(
            name: "v5-metric-history",
            changes: [
                .createTable(
                    Table(
                        name: "metric_point", primaryKey: .autoIncrementedID,
                        columns: [
                            .required("metric", .text), .required("value", .double), .required("recorded_at", .timestamp),
                            .required("run_id", .text), .optional("environment_digest", .text), .optional("git_commit", .text),
                            .optional("mlflow_run_id", .text),
                        ])),
                .createIndex(name: "metric_point_metric_time", table: "metric_point", columns: ["metric", "recorded_at"]),
                .createTable(Table(name: "environment_state", primaryKey: .text("digest"), columns: [.required("components", .text)])),
            ]),
        Migration(
            name: "v6-resource-samples",
            changes: [
                .createTable(
                    Table(
                        name: "resource_sample", primaryKey: .autoIncrementedID,
                        columns: [.required("resolution", .text), .required("recorded_at", .timestamp), .required("payload", .blob)])),
                .createIndex(name: "resource_sample_resolution_time", table: "resource_sample", columns: ["resolution", "recorded_at"]),
            ]),
        Migration(
            name: "v7-run-host-api-tokens",
            changes: [
                .addColumn(table: "run", .optional("host", .text)),
                .createTable(
                    Table(
                        name: "api_token", primaryKey: .text("sha256"),
                        columns: [
                            Column(name: "name", type: .text, notNull: true, unique: true), .required("created_at", .timestamp),
                            .optional("revoked_at", .timestamp),
                        ])),
            ]),
        Migration(name: "v8-finding-events", changes: [.addColumn(table: "finding", .optional("events", .text))]),
        // Stores written before the schema was described once had these indexes on SQLite only; deleting a run and
        // loading its findings read them.
        Migration(
            name: "v9-parent-indexes",
            changes: [
                .createIndex(name: "layer_result_on_runId", table: "layer_result", columns: ["runId"], ifNotExists: true),
                .createIndex(name: "finding_on_layer_resultId", table: "finding", columns: ["layer_resultId"], ifNotExists: true),
                .createIndex(name: "evidence_on_findingId", table: "evidence", columns: ["findingId"], ifNotExists: true),
            ]),
        Migration(name: "v10-finding-series", changes: [.addColumn(table: "finding", .optional("series", .text))]),
    ]

    /// The statements that apply `change` in `dialect`.
    public static func sql(_ change: Change, dialect: Dialect) -> String {
        switch change {
        case .createTable(let table):
            var parts: [String] =
                switch table.primaryKey {
                case .text(let name): ["\(quote(name)) TEXT PRIMARY KEY NOT NULL"]
                case .autoIncrementedID:
                    [dialect == .sqlite ? "\"id\" INTEGER PRIMARY KEY AUTOINCREMENT" : "\"id\" BIGSERIAL PRIMARY KEY"]
                }
            parts += table.columns.map { definition($0, dialect: dialect) }
            parts += table.uniqueKeys.map { "UNIQUE (\($0.map(quote).joined(separator: ", ")))" }
            return "CREATE TABLE \(quote(table.name)) (\(parts.joined(separator: ", ")))"
        case .createIndex(let name, let table, let columns, let ifNotExists):
            return "CREATE INDEX \(ifNotExists ? "IF NOT EXISTS " : "")\(quote(name)) ON \(quote(table)) (\(columns.map(quote).joined(separator: ", ")))"
        case .addColumn(let table, let column):
            return "ALTER TABLE \(quote(table)) ADD COLUMN \(definition(column, dialect: dialect))"
        }
    }

    static func definition(_ column: Column, dialect: Dialect) -> String {
        var text = "\(quote(column.name)) \(typeName(column.type, dialect: dialect))"
        if column.notNull { text += " NOT NULL" }
        if column.unique { text += " UNIQUE" }
        if let parent = column.references { text += " REFERENCES \(quote(parent)) (\"id\") ON DELETE CASCADE" }
        return text
    }

    static func typeName(_ type: ColumnType, dialect: Dialect) -> String {
        switch (type, dialect) {
        case (.text, _): "TEXT"
        case (.integer, _): "INTEGER"
        case (.bigInteger, .sqlite): "INTEGER"
        case (.bigInteger, .postgres): "BIGINT"
        case (.double, .sqlite): "DOUBLE"
        case (.double, .postgres): "DOUBLE PRECISION"
        case (.boolean, _): "BOOLEAN"
        case (.timestamp, .sqlite): "DATETIME"
        case (.timestamp, .postgres): "TIMESTAMPTZ"
        case (.blob, .sqlite): "BLOB"
        case (.blob, .postgres): "BYTEA"
        }
    }

    static func quote(_ identifier: String) -> String { "\"\(identifier)\"" }
}
