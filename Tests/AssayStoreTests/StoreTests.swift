import AssayCore
import AssayStore
import Foundation
import AssayTestSupport
import GRDB
import Testing

@Suite struct StoreTests {
    static func sampleRun(id: String, at seconds: Double, verdict: Verdict = .needsFix) -> AuditRun {
        let date = Date(timeIntervalSince1970: seconds)
        let evidence = Evidence(
            path: "logs/latency.jsonl", sha256: String(repeating: "c", count: 64), locator: "#L1-200", mlflowRunID: "abc123",
            gitCommit: "deadbeef")
        let finding = Finding(
            table: .latencyProfile, check: "Inference", status: .breach, observed: "P95 420 ms", expected: "≤ 415 ms",
            severity: .high, measurements: ["p95_ms": 420.25, "mean_ms": 280], attributes: ["trend": "+2%"],
            statusLabel: "❌ Regressed", verifiedBy: "Assay", recommendation: "profile the forward pass",
            evidence: evidence, [Evidence(path: "trace.json", sha256: String(repeating: "d", count: 64))])
        var drawn = finding
        drawn.series = ["cdf_ms": [SeriesPoint(0.25, 0), SeriesPoint(420.25, 0.95)], "previous_cdf_ms": [SeriesPoint(0.5, 1)]]
        return AuditRun(
            id: id, startedAt: date, finishedAt: date.addingTimeInterval(2),
            configuration: Evidence(path: "assay.yaml", sha256: String(repeating: "e", count: 64)),
            layers: [
                LayerResult(layer: .latency, state: .verified, findings: [drawn], startedAt: date, durationSeconds: 1.5),
                .notVerified(.resources, reason: "no telemetry configured", at: date),
            ],
            judgement: Judgement(verdict: verdict, reasons: ["Latency profile: Inference — P95 420 ms (threshold breach)"]))
    }

    func temporaryPath() throws -> String {
        try TestFiles.temporaryDirectory("assay-store") + "/assay.sqlite"
    }

    /// A store that an older server let a year-10000 date into (written as five digits it cannot read back): the
    /// listing leaves that run out and the run itself reads as absent, where each used to crash the process.
    @Test func rowsWithUnreadableDatesAreLeftOutNotFatal() throws {
        let path = try temporaryPath()
        let store = try Store(path: path)
        try store.save(Self.sampleRun(id: "good", at: 1_800_000_000))
        try store.save(Self.sampleRun(id: "poisoned", at: 1_800_000_100))
        try store.saveMetrics([MetricPoint(metric: "m", value: 1, recordedAt: Date(timeIntervalSince1970: 1_800_000_000), runID: "good")])
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE run SET started_at = '10000-01-01 00:00:00.000', finished_at = '30000-01-01 00:00:00.000' WHERE id = 'poisoned'")
            try db.execute(sql: "INSERT INTO metric_point (metric, value, recorded_at, run_id) VALUES ('m', 2, '99999-01-01 00:00:00.000', 'good')")
        }
        #expect(try store.runs(limit: 10).map(\.id) == ["good"])
        #expect(try store.run(id: "poisoned") == nil)
        #expect(try store.points(metric: "m", since: Date(timeIntervalSince1970: 0)).map(\.value) == [1])
        #expect(try store.integrityProblems().isEmpty)
    }

    @Test func savedRunLoadsBackIdentical() throws {
        let store = try Store(path: temporaryPath())
        var run = Self.sampleRun(id: "run-1", at: 1_800_000_000)
        run.mlflowRunID = "15543162b04f47358a763c6741e85dea"
        try store.save(run)
        #expect(try store.run(id: "run-1") == run)
        #expect(try store.run(id: "missing") == nil)
    }

    @Test func latestRunIsTheNewest() throws {
        let path = try temporaryPath()
        do {
            let store = try Store(path: path)
            try store.save(Self.sampleRun(id: "old", at: 1_800_000_000, verdict: .stable))
            try store.save(Self.sampleRun(id: "new", at: 1_800_000_100, verdict: .atRisk))
        }
        let reopened = try Store(path: path)
        #expect(try reopened.latestRun()?.id == "new")
        #expect(try reopened.runs().map(\.id) == ["new", "old"])
        #expect(try reopened.runs().map(\.verdict) == [.atRisk, .stable])
    }

    @Test func migrationsAreRecorded() throws {
        let store = try Store()
        #expect(try store.appliedMigrations() == ["v1-runs-layers-findings-evidence", "v2-run-mlflow-run-id", "v3-repro-entries", "v4-optimizations", "v5-metric-history", "v6-resource-samples", "v7-run-host-api-tokens", "v8-finding-events", "v9-parent-indexes", "v10-finding-series"])
    }

    /// Tokens, hosts and metric names behave the same in every store.
    static func serverContract(_ store: any AuditStore) async throws {
        try await store.saveToken(APIToken(name: "ci", sha256: String(repeating: "1", count: 64), createdAt: Date(timeIntervalSince1970: 1_800_000_000)))
        try await store.saveToken(APIToken(name: "agent", sha256: String(repeating: "2", count: 64), createdAt: Date(timeIntervalSince1970: 1_800_000_100)))
        await #expect(throws: (any Error).self) {
            try await store.saveToken(APIToken(name: "ci", sha256: String(repeating: "3", count: 64), createdAt: Date()))
        }
        #expect(try await store.revokeToken(name: "ci", at: Date(timeIntervalSince1970: 1_800_000_200)))
        #expect(try await !store.revokeToken(name: "ci", at: Date()))
        #expect(try await !store.revokeToken(name: "nobody", at: Date()))
        let tokens = try await store.tokens()
        #expect(tokens.map(\.name) == ["ci", "agent"])
        #expect(tokens.map(\.revokedAt) == [Date(timeIntervalSince1970: 1_800_000_200), nil])
        var run = sampleRun(id: "hosted", at: 1_800_000_000)
        run.host = "gpu-node-7"
        try await store.save(run)
        #expect(try await store.run(id: "hosted")?.host == "gpu-node-7")
        #expect(try await store.runs(limit: 5).first?.host == "gpu-node-7")
        try await store.saveMetrics([
            MetricPoint(metric: "b.metric", value: 1, recordedAt: Date(), runID: "hosted"),
            MetricPoint(metric: "a.metric", value: 2, recordedAt: Date(), runID: "hosted"),
            MetricPoint(metric: "b.metric", value: 3, recordedAt: Date(), runID: "hosted"),
        ])
        #expect(try await store.metricNames() == ["a.metric", "b.metric"])
    }

    @Test func tokensHostsAndMetricNames() async throws {
        try await Self.serverContract(try Store(path: temporaryPath()))
    }

    @Test func duplicateRunIdLeavesTheStoreUnchanged() throws {
        let store = try Store()
        let run = Self.sampleRun(id: "same", at: 1_800_000_000)
        try store.save(run)
        #expect(throws: (any Error).self) { try store.save(Self.sampleRun(id: "same", at: 1_800_000_500, verdict: .stable)) }
        #expect(try store.run(id: "same") == run)
        #expect(try store.runs().count == 1)
    }

    @Test func reproEntriesAreStoredNewestFirst() throws {
        let store = try Store()
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        try store.saveReproEntry(ReproRecord(id: "a", recordedAt: date, seed: 42, reproducible: true, payload: Data("{}".utf8)))
        try store.saveReproEntry(
            ReproRecord(id: "b", recordedAt: date.addingTimeInterval(60), seed: 42, reproducible: false, payload: Data("{\"x\":1}".utf8)))
        let entries = try store.reproEntries()
        #expect(entries.map(\.id) == ["b", "a"])
        #expect(entries[0].payload == Data("{\"x\":1}".utf8))
        #expect(!entries[0].reproducible)
    }

    @Test func notADatabaseIsAClearError() throws {
        let path = try temporaryPath()
        try AtomicFile.write(Array(String(repeating: "not sqlite ", count: 200).utf8), to: path)
        #expect(throws: StoreError.self) { try Store(path: path) }
    }
}
