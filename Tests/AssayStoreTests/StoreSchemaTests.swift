import AssayPostgres
@testable import AssayStore
import AssayTestSupport
import Foundation
import GRDB
import Testing

/// The one schema description, written out for each database, gives the tables older versions created.
@Suite struct StoreSchemaTests {
    /// Every table's columns (name, type, NOT NULL, primary key), foreign keys and indexes, as SQLite reports them.
    static func shape(ofSQLiteAt path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            var lines: [String] = []
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('grdb_migrations', 'sqlite_sequence') ORDER BY name")
            for table in tables {
                for row in try Row.fetchAll(db, sql: "PRAGMA table_info(\"\(table)\")") {
                    lines.append("\(table).\(row["name"] as String) \(row["type"] as String) notnull=\(row["notnull"] as Int) pk=\(row["pk"] as Int)")
                }
                for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\"\(table)\")") {
                    lines.append("\(table).\(row["from"] as String) → \(row["table"] as String).\(row["to"] as String) \(row["on_delete"] as String)")
                }
                for row in try Row.fetchAll(db, sql: "PRAGMA index_list(\"\(table)\")") {
                    let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?)", arguments: [row["name"] as String])
                    let name: String = row["origin"] == "c" ? row["name"] : "(\(row["origin"] as String))"
                    lines.append("\(table) index \(name) unique=\(row["unique"] as Int) on \(columns.joined(separator: ","))")
                }
            }
            return lines.sorted()
        }
    }

    @Test func freshStoreHasTheTablesOlderVersionsCreated() throws {
        let directory = try TestFiles.temporaryDirectory("assay-schema")
        let old = directory + "/old.sqlite"
        let script = try String(contentsOfFile: try TestFiles.fixture("sqlite-schema-v8.sql", in: .module), encoding: .utf8)
        try DatabaseQueue(path: old).write { try $0.execute(sql: script) }
        let before = try Self.shape(ofSQLiteAt: old)

        // A store written by the GRDB table builder migrates to the current schema and keeps working…
        let migrated = try Store(path: old)
        #expect(try migrated.appliedMigrations() == Schema.migrations.map(\.name))
        let run = StoreTests.sampleRun(id: "run-1", at: 1_800_000_000)
        try migrated.save(run)
        #expect(try migrated.run(id: "run-1") == run)
        // …and a fresh store has exactly the shape of that migrated one.
        let fresh = directory + "/fresh.sqlite"
        _ = try Store(path: fresh)
        #expect(try Self.shape(ofSQLiteAt: fresh) == Self.shape(ofSQLiteAt: old))
        // v9 changes nothing in an old store (its parent indexes were there already); v10 adds the series column.
        #expect(try Self.shape(ofSQLiteAt: old) == (before + ["finding.series TEXT notnull=0 pk=0"]).sorted())
        #expect(before.contains("finding index finding_on_layer_resultId unique=0 on layer_resultId"))
    }

    @Test func sqlIsWrittenForEachDialect() {
        let table = Schema.Table(
            name: "t", primaryKey: .autoIncrementedID,
            columns: [Schema.Column(name: "runId", type: .bigInteger, notNull: true, references: "run"), Schema.Column(name: "at", type: .timestamp, notNull: false)],
            uniqueKeys: [["runId", "at"]])
        #expect(
            Schema.sql(.createTable(table), dialect: .sqlite)
                == #"CREATE TABLE "t" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "runId" INTEGER NOT NULL REFERENCES "run" ("id") ON DELETE CASCADE, "at" DATETIME, UNIQUE ("runId", "at"))"#)
        #expect(
            Schema.sql(.createTable(table), dialect: .postgres)
                == #"CREATE TABLE "t" ("id" BIGSERIAL PRIMARY KEY, "runId" BIGINT NOT NULL REFERENCES "run" ("id") ON DELETE CASCADE, "at" TIMESTAMPTZ, UNIQUE ("runId", "at"))"#)
        #expect(
            Schema.sql(.createIndex(name: "i", table: "t", columns: ["at"], ifNotExists: true), dialect: .postgres)
                == #"CREATE INDEX IF NOT EXISTS "i" ON "t" ("at")"#)
    }

    /// PostgreSQL's tables have the same columns, nullability, parents and indexes as SQLite's.
    @Test(.enabled(if: PostgresTestDatabase.available, "needs a PostgreSQL server: set ASSAY_TEST_POSTGRES_URL (.ci/run starts one)"))
    func postgresHasTheSameTablesAsSQLite() async throws {
        let url = try PostgresTestDatabase.create()
        let store = try await PostgresStore.connect(url: url)
        await store.close()
        let directory = try TestFiles.temporaryDirectory("assay-schema")
        _ = try Store(path: directory + "/fresh.sqlite")
        let sqlite = try await DatabaseQueue(path: directory + "/fresh.sqlite").read { db in
            var columns: Set<String> = []
            var indexes: Set<String> = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('grdb_migrations', 'sqlite_sequence')") {
                for row in try Row.fetchAll(db, sql: "PRAGMA table_info(\"\(table)\")") {
                    columns.insert("\(table).\(row["name"] as String) null=\((row["notnull"] as Int) == 0 && (row["pk"] as Int) == 0)")
                }
                for row in try Row.fetchAll(db, sql: "PRAGMA index_list(\"\(table)\")") where row["origin"] == "c" {
                    indexes.insert("\(table) \(row["name"] as String)")
                }
            }
            return (columns, indexes)
        }
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = [
                "psql", url, "-At", "-c",
                """
                SELECT table_name || '.' || column_name || ' null=' || (is_nullable = 'YES') FROM information_schema.columns
                  WHERE table_schema = 'public' AND table_name <> 'assay_migrations'
                UNION ALL SELECT 'index ' || tablename || ' ' || indexname FROM pg_indexes
                  WHERE schemaname = 'public' AND indexdef NOT LIKE 'CREATE UNIQUE%'
                """,
            ]
        let lines = String(decoding: try ExternalTool.capture(psql).stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        #expect(Set(lines.filter { !$0.hasPrefix("index ") }) == sqlite.0)
        #expect(Set(lines.filter { $0.hasPrefix("index ") }.map { String($0.dropFirst(6)) }) == sqlite.1)
    }
}
