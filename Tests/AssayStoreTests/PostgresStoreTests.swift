import AssayCore
import AssayPostgres
import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// The PostgreSQL store against a real server: the same migrations and the same answers as SQLite.
@Suite(.enabled(if: PostgresTestDatabase.available, "needs a PostgreSQL server: set ASSAY_TEST_POSTGRES_URL (.ci/run starts one)"))
struct PostgresStoreTests {
    /// A store on a fresh database, closed afterwards whatever happens (an unclosed connection traps).
    static func withStore(_ body: (PostgresStore) async throws -> Void) async throws {
        let store = try await PostgresStore.connect(url: try PostgresTestDatabase.create())
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    @Test func sameMigrationsAsSQLiteAndIdempotent() async throws {
        let url = try PostgresTestDatabase.create()
        let store = try await PostgresStore.connect(url: url)
        let sqlite = try Store()
        let applied = try? await store.appliedMigrations()
        await store.close()
        #expect(applied == (try sqlite.appliedMigrations()))
        let again = try await PostgresStore.connect(url: url)
        let reapplied = try? await again.appliedMigrations()
        await again.close()
        #expect(reapplied?.count == Schema.migrations.count)
    }

    @Test func runsRoundTripAndListNewestFirst() async throws {
        try await Self.withStore { store in
        var run = StoreTests.sampleRun(id: "run-1", at: 1_800_000_000)
        run.mlflowRunID = "15543162b04f47358a763c6741e85dea"
        try await store.save(run)
        try await store.save(StoreTests.sampleRun(id: "run-2", at: 1_800_000_100, verdict: .atRisk))
        #expect(try await store.run(id: "run-1") == run)
        #expect(try await store.run(id: "missing") == nil)
        #expect(try await store.latestRun()?.id == "run-2")
        #expect(try await store.runs(limit: 10).map(\.verdict) == [.atRisk, .needsFix])
        // A duplicate id fails and leaves the store as it was (one transaction per audit).
        await #expect(throws: (any Error).self) { try await store.save(StoreTests.sampleRun(id: "run-1", at: 1_800_000_200)) }
        #expect(try await store.runs(limit: 10).count == 2)
        }
    }

    @Test func historyOptimizationsAndReproEntries() async throws {
        try await Self.withStore { store in
        let state = EnvironmentState(components: ["pypi numpy": "1.24.3"])
        try await store.saveEnvironmentState(state)
        try await store.saveEnvironmentState(state)
        #expect(try await store.environmentState(digest: state.digest) == state)
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.saveMetrics([
            MetricPoint(metric: "latency.total.p95_ms", value: 12.5, recordedAt: t, runID: "a", environmentDigest: state.digest),
            MetricPoint(metric: "latency.total.p95_ms", value: 13.5, recordedAt: t.addingTimeInterval(60), runID: "b"),
        ])
        #expect(try await store.points(metric: "latency.total.p95_ms", since: t.addingTimeInterval(1)).map(\.value) == [13.5])
        let record = OptimizationRecord(
            id: "opt-1", name: "Async", appliedAt: t, accepted: true, deltaP95Milliseconds: -3, ci95LowMilliseconds: -4,
            ci95HighMilliseconds: -2, reason: "ok", baseline: Evidence(path: "b.jsonl", sha256: String(repeating: "e", count: 64)),
            candidate: Evidence(path: "c.jsonl", sha256: String(repeating: "f", count: 64), mlflowRunID: "run9", gitCommit: "abc"))
        try await store.saveOptimization(record)
        #expect(try await store.optimizations(limit: 5) == [record])
        try await store.saveReproEntry(ReproRecord(id: "r1", recordedAt: t, seed: 42, reproducible: true, payload: Data("{}".utf8)))
        #expect(try await store.reproEntries(limit: 5).map(\.payload) == [Data("{}".utf8)])
        }
    }

    @Test func tokensHostsAndMetricNames() async throws {
        try await Self.withStore { try await StoreTests.serverContract($0) }
    }

    @Test func wrongURLIsAClearError() async throws {
        await #expect(throws: StoreError.self) { try await PostgresStore.connect(url: "mysql://x@localhost/db") }
        await #expect(throws: StoreError.self) { try await PostgresStore.connect(url: "postgres://nobody:secret@127.0.0.1:9/none") }
    }
}
