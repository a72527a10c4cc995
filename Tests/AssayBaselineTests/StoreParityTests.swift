import AssayBaseline
import AssayCore
import AssayPostgres
import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// The same history on PostgreSQL gives the same baseline, change point and likely cause as on SQLite.
@Suite(.enabled(if: PostgresTestDatabase.available, "needs a PostgreSQL server: set ASSAY_TEST_POSTGRES_URL (.ci/run starts one)"))
struct StoreParityTests {
    @Test func postgresAndSQLiteGiveTheSameAnswers() async throws {
        let sqlite = try Store()
        let postgres = try await PostgresStore.connect(url: try PostgresTestDatabase.create())
        do {
            try await compare(sqlite: sqlite, postgres: postgres)
        } catch {
            await postgres.close()
            throw error
        }
        await postgres.close()
    }

    func compare(sqlite: Store, postgres: PostgresStore) async throws {
        let before = EnvironmentState(components: ["pypi torch": "2.3.0"])
        let after = EnvironmentState(components: ["pypi torch": "2.3.1"])
        let values = BaselineAnalyzerTests.noisy(30, mean: 100, seed: 11) + BaselineAnalyzerTests.noisy(15, mean: 108, seed: 12)
        let points = values.enumerated().map { index, value in
            MetricPoint(
                metric: "latency.total.p95_ms", value: value, recordedAt: BaselineAnalyzerTests.start.addingTimeInterval(Double(index) * 600),
                runID: "run-\(index)", environmentDigest: index >= 30 ? after.digest : before.digest)
        }
        for store in [sqlite, postgres] as [any AuditStore] {
            try await store.saveEnvironmentState(before)
            try await store.saveEnvironmentState(after)
            try await store.saveMetrics(points)
        }
        let current = [CurrentMetric(name: "latency.total.p95_ms", value: 108.4, evidence: BaselineAnalyzerTests.evidence)]
        let now = BaselineAnalyzerTests.start.addingTimeInterval(45 * 600)
        let analyzer = BaselineAnalyzer(thresholds: Thresholds())
        let onSQLite = try await analyzer.findings(current: current, environment: after, history: sqlite, now: now)
        let onPostgres = try await analyzer.findings(current: current, environment: after, history: postgres, now: now)
        #expect(onSQLite == onPostgres)
        #expect(onSQLite.contains { $0.attributes["likely_cause"] == "pypi torch 2.3.0 → 2.3.1, in the same run" })

        // An audit saved with its history, all or none: a second save of the same id changes nothing on either.
        let run = AuditRun(
            id: "audit-with-history", startedAt: now, finishedAt: now,
            configuration: Evidence(path: "assay.yaml", sha256: String(repeating: "e", count: 64)), layers: [],
            judgement: Judgement(verdict: .stable, reasons: []))
        let point = MetricPoint(metric: "latency.total.p95_ms", value: 99, recordedAt: now, runID: run.id, environmentDigest: after.digest)
        for store in [sqlite, postgres] as [any AuditStore] {
            #expect(try await !store.runExists(id: run.id))
            try await store.save(run, environment: after, points: [point])
            #expect(try await store.runExists(id: run.id))
            await #expect(throws: (any Error).self) {
                try await store.save(run, environment: after, points: [point, point])
            }
            #expect(try await store.points(metric: "latency.total.p95_ms", since: now).map(\.runID) == [run.id])
        }
    }
}
