import AssayCore
import AssayServer
import AssayStore
import AssayTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The server's routes driven in process over a real SQLite store.
@Suite struct ServerTests {
    struct Workspace {
        var root: String
        var store: Store
        var token: String

        init() throws {
            root = try TestFiles.temporaryDirectory("assay-serve")
            try FileManager.default.createDirectory(atPath: root + "/runs", withIntermediateDirectories: true)
            store = try Store(path: root + "/.assay/assay.sqlite")
            token = TokenSecret.generate()
            try store.saveToken(APIToken(name: "ci", sha256: TokenSecret.digest(token), createdAt: Date()))
        }

        func settings(_ adjust: (inout ServerSettings) -> Void = { _ in }) -> ServerSettings {
            var settings = ServerSettings(workspaceRoot: root, service: "svc")
            adjust(&settings)
            return settings
        }
    }

    static func run(id: String, at date: Date, verdict: Verdict = .stable, trace: Evidence? = nil, host: String = "gpu-node-1") -> AuditRun {
        let evidence = Evidence(path: "logs/latency.jsonl", sha256: String(repeating: "c", count: 64), locator: "#L1-200")
        let latency = Finding(
            table: .latencyProfile, check: "Total", status: .pass, observed: "P95 41 ms", expected: "≤ 50 ms", severity: .info,
            measurements: ["p95_ms": 41, "mean_ms": 30], evidence: evidence, trace.map { [$0] } ?? [])
        let environment = Finding(
            table: .environmentIntegrity, check: "Python Package: numpy", status: .integrityFailure, observed: "numpy 1.24.3",
            expected: "numpy 1.24.2", severity: .critical, evidence: Evidence(path: "requirements.txt", sha256: String(repeating: "a", count: 64)))
        var run = AuditRun(
            id: id, startedAt: date, finishedAt: date.addingTimeInterval(2),
            configuration: Evidence(path: "assay.yaml", sha256: String(repeating: "e", count: 64)),
            layers: [
                LayerResult(layer: .environment, state: .verified, findings: [environment], startedAt: date, durationSeconds: 0.1),
                LayerResult(layer: .latency, state: .verified, findings: [latency], startedAt: date, durationSeconds: 1),
            ],
            judgement: Judgement(verdict: verdict, reasons: ["Environment integrity: numpy 1.24.3 vs 1.24.2"]))
        run.host = host
        return run
    }

    func request(
        _ settings: ServerSettings, _ store: Store, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = Application(router: AssayServer(settings: settings, store: store).router())
        try await app.test(.router) { client in try await body(client) }
    }

    static func json(_ buffer: ByteBuffer) -> JSONValue? { JSONValue.parse(buffer.readableBytesView) }

    @Test func readsRunsFindingsReportsAndTheDashboard() async throws {
        let workspace = try Workspace()
        try workspace.store.save(Self.run(id: "r1", at: Date().addingTimeInterval(-60), verdict: .atRisk))
        try await request(workspace.settings(), workspace.store) { client in
            try await client.execute(uri: "/api/v1/runs", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Self.json(response.body)?["runs"] == .array([
                    .object([
                        "id": .string("r1"), "verdict": .string("AT RISK"), "config_path": .string("assay.yaml"), "host": .string("gpu-node-1"),
                        "started_at": Self.json(response.body)?["runs"].flatMap { if case .array(let a) = $0 { a.first?["started_at"] } else { nil } } ?? .null,
                    ])
                ]))
            }
            try await client.execute(uri: "/api/v1/runs/r1/findings", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("\"observed\":\"numpy 1.24.3\"") && text.contains("\"expected\":\"numpy 1.24.2\""), "\(text)")
            }
            for (format, marker) in [("md", "# Assay audit"), ("json", "\"schema_version\""), ("html", "<!DOCTYPE html>")] {
                try await client.execute(uri: "/api/v1/runs/latest/report.\(format)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentDisposition] == "attachment; filename=\"report-r1.\(format)\"")
                    #expect(String(buffer: response.body).contains(marker), "\(format)")
                }
            }
            try await client.execute(uri: "/", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok && page.contains("<body class=\"at-risk\">"))
                #expect(page.contains("numpy 1.24.3") && page.contains("ENVIRONMENT INTEGRITY") && page.contains("/assets/dashboard.js"))
                #expect(response.body.readableBytes < 300_000)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            }
            try await client.execute(uri: "/api/v1/runs/nope", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/runs/r1/report.exe", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func metricSeriesCarryTheRollingBaselineAndTheKnownChangePoint() async throws {
        let workspace = try Workspace()
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 20 * 86_400).rounded(.down))
        var generator = SplitMix64(seed: 7)
        // 60 runs at 40 ms, then 60 at 55 ms, every 4 hours: one change point, at run 60.
        let points = (0..<120).map { index in
            MetricPoint(
                metric: "latency.total.p95_ms", value: (index < 60 ? 40 : 55) + Double(generator.next() % 1000) / 1000,
                recordedAt: start.addingTimeInterval(Double(index) * 4 * 3600), runID: "run-\(index)")
        }
        try workspace.store.saveMetrics(points)
        try await request(workspace.settings(), workspace.store) { client in
            try await client.execute(uri: "/api/v1/metrics", method: .get) { response in
                #expect(Self.json(response.body)?["metrics"] == .array([.string("latency.total.p95_ms")]))
            }
            try await client.execute(uri: "/api/v1/metrics/latency.total.p95_ms?days=30", method: .get) { response in
                let series = try #require(Self.json(response.body))
                guard case .array(let changes)? = series["change_points"], case .array(let bands)? = series["baseline"],
                    case .array(let returned)? = series["points"]
                else { Issue.record("shape: \(String(buffer: response.body).prefix(300))"); return }
                #expect(returned.count == 120)
                #expect(changes.count == 1)
                #expect(changes.first?["t"]?.string == points[60].recordedAt.formatted(.iso8601))
                // A 7-day window of 4-hourly runs holds 42 runs; the band before the step brackets 40.5 ms.
                let beforeStep = try #require(bands.first { $0["t"]?.string == points[59].recordedAt.formatted(.iso8601) })
                let low = try #require(beforeStep["low"]?.number), high = try #require(beforeStep["high"]?.number)
                #expect(low < 40.5 && 40.5 < high && high - low < 0.3, "\(low)…\(high)")
            }
            try await client.execute(uri: "/api/v1/metrics/unknown", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func writesNeedALiveTokenAndLandInTheStore() async throws {
        let workspace = try Workspace()
        let body = ByteBuffer(bytes: try JSONCoding.encoder().encode(Self.run(id: "pushed-1", at: Date())))
        let token = workspace.token
        try workspace.store.saveToken(APIToken(name: "old", sha256: TokenSecret.digest("assay_old"), createdAt: Date()))
        _ = try workspace.store.revokeToken(name: "old", at: Date())
        try await request(workspace.settings(), workspace.store) { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, body: body) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            for wrong in ["Bearer assay_nope", "Bearer assay_old", "Basic Y2k6Y2k=", "Bearer "] {
                try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.authorization: wrong], body: body) { response in
                    #expect(response.status == .unauthorized, "\(wrong)")
                }
            }
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.authorization: "Bearer \(token)"], body: body) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                #expect(response.headers[.location] == "/api/v1/runs/pushed-1")
            }
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.authorization: "Bearer \(token)"], body: body) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(String(buffer: response.body).contains("pushed-1"))
            }
            let malformed = ByteBuffer(string: #"{"id": "x", "started_at": "2026-11-29T08:00:00Z", "layers": 3}"#)
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.authorization: "Bearer \(token)"], body: malformed) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("expected an audit run as JSON"), "\(String(buffer: response.body))")
            }
            var hostile = Self.run(id: "../../etc/passwd", at: Date())
            hostile.host = "x"
            let traversal = ByteBuffer(bytes: try JSONCoding.encoder().encode(hostile))
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.authorization: "Bearer \(token)"], body: traversal) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(#""field":"id""#))
            }
            let metrics = ByteBuffer(string: #"{"points": [{"metric": "bench.hash_gib_s", "value": 2.03, "recorded_at": "2026-11-29T08:00:00Z", "run_id": "ci-17"}]}"#)
            try await client.execute(uri: "/api/v1/metrics", method: .post, headers: [.authorization: "Bearer \(token)"], body: metrics) { response in
                #expect(response.status == .created)
            }
        }
        #expect(try workspace.store.run(id: "pushed-1")?.host == "gpu-node-1")
        #expect(try workspace.store.runs(limit: 10).map(\.id) == ["pushed-1"])
        #expect(try workspace.store.metricNames() == ["bench.hash_gib_s", "latency.total.mean_ms", "latency.total.p95_ms"])
    }

    /// Audits pushed to a fresh server enter its metric history as local audits do: the metrics are listed, each
    /// point carries the pushed environment state, and the fourth run has a baseline from the three before it.
    @Test func pushedRunsRecordTheirMetricHistory() async throws {
        let workspace = try Workspace()
        let token = workspace.token
        let start = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3 * 86_400).rounded(.down))
        try await request(workspace.settings(), workspace.store) { client in
            for index in 0..<4 {
                let run = Self.run(id: "ci-\(index)", at: start.addingTimeInterval(Double(index) * 3600))
                var body = try JSONCoding.encoder().encode(run)
                if index == 3 {
                    body.removeLast()
                    body.append(contentsOf: Array(#","environment_state":{"components":{"pypi numpy":"1.24.3"}}}"#.utf8))
                }
                try await client.execute(
                    uri: "/api/v1/runs", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(bytes: body)
                ) { response in #expect(response.status == .created, "\(String(buffer: response.body))") }
            }
            try await client.execute(uri: "/api/v1/metrics", method: .get) { response in
                #expect(Self.json(response.body)?["metrics"] == .array([.string("latency.total.mean_ms"), .string("latency.total.p95_ms")]))
            }
            try await client.execute(uri: "/api/v1/metrics/latency.total.p95_ms?days=30", method: .get) { response in
                let series = try #require(Self.json(response.body))
                guard case .array(let returned)? = series["points"], case .array(let bands)? = series["baseline"] else {
                    Issue.record("shape: \(String(buffer: response.body).prefix(300))")
                    return
                }
                #expect(returned.count == 4)
                #expect(bands.contains { $0["t"]?.string == start.addingTimeInterval(3 * 3600).formatted(.iso8601) && $0["low"]?.number != nil })
            }
        }
        let points = try workspace.store.points(metric: "latency.total.p95_ms", since: start.addingTimeInterval(-1))
        #expect(points.map(\.runID) == ["ci-0", "ci-1", "ci-2", "ci-3"])
        let derived = try #require(points.first?.environmentDigest)
        #expect(try workspace.store.environmentState(digest: derived)?.components["file requirements.txt"] == "sha256:" + String(repeating: "a", count: 64))
        let pushed = try #require(points.last?.environmentDigest)
        #expect(try workspace.store.environmentState(digest: pushed)?.components == ["pypi numpy": "1.24.3"])
    }

    @Test func oversizedBodiesReadOnlyModeAndRateLimitsAreRefused() async throws {
        let workspace = try Workspace()
        let token = workspace.token
        let big = ByteBuffer(repeating: UInt8(ascii: " "), count: 8192)
        try await request(workspace.settings { $0.maxBodyBytes = 4096 }, workspace.store) { client in
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: [.authorization: "Bearer \(token)"], body: big) { response in
                #expect(response.status == .contentTooLarge)
            }
        }
        try await request(workspace.settings { $0.readOnly = true }, workspace.store) { client in
            try await client.execute(uri: "/api/v1/metrics", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: "{\"points\": []}")) {
                #expect($0.status == .forbidden)
            }
        }
        try await request(workspace.settings { $0.writesPerMinute = 2 }, workspace.store) { client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<3 {
                try await client.execute(uri: "/api/v1/metrics", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: "{\"points\": []}")) {
                    statuses.append($0.status)
                    if $0.status == .tooManyRequests { #expect(Int($0.headers[.retryAfter] ?? "") ?? 0 >= 1) }
                }
            }
            #expect(statuses == [.created, .created, .tooManyRequests])
        }
    }

    @Test func theRateLimitRefillsEvenly() async throws {
        let workspace = try Workspace()
        final class Clock: @unchecked Sendable { var now = Date(timeIntervalSince1970: 1_000_000) }
        let clock = Clock()
        let guardian = WriteGuard(store: workspace.store, readOnly: false, writesPerMinute: 6, now: { clock.now })
        for _ in 0..<6 { _ = try await guardian.admit(authorization: "Bearer \(workspace.token)") }
        await #expect(throws: WriteRefusal.rateLimited(retryAfterSeconds: 10)) { try await guardian.admit(authorization: "Bearer \(workspace.token)") }
        clock.now.addTimeInterval(10)
        #expect(try await guardian.admit(authorization: "Bearer \(workspace.token)") == "ci")
    }

    @Test func flamegraphsOnlyOfMatchingFilesInsideTheWorkspace() async throws {
        let workspace = try Workspace()
        let trace = #"{"traceEvents": [{"name": "forward", "ph": "X", "ts": 0, "dur": 900, "pid": 1, "tid": 1}, {"name": "matmul", "ph": "X", "ts": 100, "dur": 500, "pid": 1, "tid": 1}]}"#
        try Data(trace.utf8).write(to: URL(fileURLWithPath: workspace.root + "/runs/trace.json"))
        let digest = FileDigest.sha256(of: Data(trace.utf8))
        let outside = try TestFiles.temporaryFile("outside-trace.json")
        try Data(trace.utf8).write(to: URL(fileURLWithPath: outside))
        try FileManager.default.createSymbolicLink(atPath: workspace.root + "/runs/link-trace.json", withDestinationPath: outside)
        try workspace.store.save(Self.run(id: "good", at: Date(), trace: Evidence(path: "runs/trace.json", sha256: digest)))
        try workspace.store.save(Self.run(id: "escape", at: Date(), trace: Evidence(path: "../../../etc/trace.json", sha256: digest)))
        try workspace.store.save(Self.run(id: "symlink", at: Date(), trace: Evidence(path: "runs/link-trace.json", sha256: digest)))
        try workspace.store.save(Self.run(id: "stale", at: Date(), trace: Evidence(path: "runs/trace.json", sha256: String(repeating: "0", count: 64))))
        // torch.profiler often writes .json.gz.
        try Data(trace.utf8).write(to: URL(fileURLWithPath: workspace.root + "/runs/gz-trace.json"))
        try ExternalTool.run(["gzip", "runs/gz-trace.json"], in: workspace.root)
        let compressed = try Data(contentsOf: URL(fileURLWithPath: workspace.root + "/runs/gz-trace.json.gz"))
        try workspace.store.save(Self.run(id: "gzipped", at: Date(), trace: Evidence(path: "runs/gz-trace.json.gz", sha256: FileDigest.sha256(of: compressed))))
        try await request(workspace.settings(), workspace.store) { client in
            try await client.execute(uri: "/runs/good/flamegraph", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/svg+xml")
                #expect(String(buffer: response.body).contains("matmul"))
            }
            for _ in 0..<2 {
                try await client.execute(uri: "/runs/gzipped/flamegraph", method: .get) { response in
                    #expect(response.status == .ok && String(buffer: response.body).contains("matmul"))
                }
            }
            try await client.execute(uri: "/runs/escape/flamegraph", method: .get) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/runs/symlink/flamegraph", method: .get) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/runs/stale/flamegraph", method: .get) { #expect($0.status == .conflict) }
            try await client.execute(uri: "/runs/good/flamegraph?trace=3", method: .get) { #expect($0.status == .notFound) }
            for path in ["/../../etc/passwd", "/api/v1/runs/..%2F..%2Fetc%2Fpasswd", "/assets/../../../etc/passwd", "/api/v1/manifests/..%2F..%2Fetc%2Fpasswd"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(!String(buffer: response.body).contains("root:x:0:0"), "\(path)")
                    #expect([.notFound, .badRequest].contains(response.status), "\(path): \(response.status)")
                }
            }
        }
    }

    @Test func theOpenAPIDocumentDescribesEveryAPIRoute() async throws {
        let document = try #require(JSONValue.parse(Array(try OpenAPI.document().utf8)))
        guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
        let routes = AssayServer(settings: ServerSettings(workspaceRoot: "/tmp", service: "s"), store: try Store()).router().routes
            .map { $0.path.description }.filter { $0.hasPrefix("/api/v1") }
        for route in routes {
            #expect(paths[route] != nil, "\(route) undocumented")
        }
        #expect(routes.count >= 12)
    }
}

@Suite struct TokenSecretTests {
    @Test func secretsAreRandomAndComparedInFull() {
        let a = TokenSecret.generate(), b = TokenSecret.generate()
        #expect(a != b && a.hasPrefix("assay_") && a.count == 70)
        #expect(TokenSecret.digest(a).count == 64)
        #expect(TokenSecret.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!TokenSecret.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!TokenSecret.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }
}
