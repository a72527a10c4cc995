import AssayCore
import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// `assay serve` against hostile and careless clients, over real sockets, on the SQLite store and on PostgreSQL:
/// every case is answered 4xx (or handled), the server stays up, its store stays readable and intact, and its
/// memory and `/healthz` stay bounded.
extension LoadTests {
    @Suite(.serialized) struct HostileClientTests {
        /// A running `assay serve` with its own store, a token and its log; immutable once started, so the
        /// concurrent cases may share it.
        final class Served: @unchecked Sendable {
            let directory: String
            let port: Int
            let process: Process
            let token: String
            let log: String

            init(storeURL: String?, arguments: [String] = []) async throws {
                directory = try CLITests.temporaryDirectory()
                var configuration = "version: 1\n"
                if let storeURL { configuration += "store:\n  kind: postgres\n  url: \(storeURL)\n" }
                try configuration.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
                let created = try CLITests.assay(["token", "create", "ci"], in: directory)
                try #require(created.status == 0, "\(created.stderr)")
                token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                log = directory + "/serve.log"
                FileManager.default.createFile(atPath: log, contents: nil)
                var started: (Process, Int)?
                for _ in 0..<5 where started == nil {
                    let port = Int.random(in: 20_000..<60_000)
                    let process = try CLITests.assayProcess(
                        ["serve", "--listen", "127.0.0.1:\(port)", "--writes-per-minute", "100000", "--max-body-bytes", String(40 << 20)] + arguments,
                        in: directory)
                    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
                    process.standardOutput = handle
                    process.standardError = handle
                    try process.run()
                    for _ in 0..<150 where process.isRunning {
                        if (try? RawHTTP.request(port: port, "/healthz", timeoutSeconds: 2))?.status == 200 {
                            started = (process, port)
                            break
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    if started == nil, process.isRunning { process.terminate() }
                }
                let (process, port) = try #require(started, "assay serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                self.process = process
                self.port = port
            }

            deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

            func get(_ path: String, host: String? = nil, method: String = "GET") throws -> RawHTTP.Response {
                try RawHTTP.request(port: port, path, method: method, host: host)
            }

            func post(_ path: String, _ body: String, token: String? = nil) throws -> RawHTTP.Response {
                try RawHTTP.request(
                    port: port, path, method: "POST", headers: ["Authorization": "Bearer \(token ?? self.token)", "Content-Type": "application/json"],
                    body: Data(body.utf8))
            }

            /// The server's peak resident memory so far, in MB.
            var peakRSSMegabytes: Double {
                let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
                let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
                return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
            }

            var alive: Bool { process.isRunning && (try? get("/healthz").status) == 200 }
        }

        static let when = Date(timeIntervalSince1970: 1_796_601_600)  // 2026-12-07T00:00:00Z

        static func run(id: String, findings: Int = 2, observedBytes: Int = 20, layers: [Layer] = [.environment, .latency]) -> AuditRun {
            let evidence = Evidence(path: "logs/latency.jsonl", sha256: String(repeating: "c", count: 64), locator: "#L1-200")
            let text = String(repeating: "x", count: observedBytes)
            let results = layers.map { layer in
                LayerResult(
                    layer: layer, state: .verified,
                    findings: (0..<findings).map {
                        Finding(
                            table: [.latency: .latencyProfile, .reproducibility: .reproducibilityStatus][layer] ?? .environmentIntegrity,
                            check: "check \($0)", status: .pass,
                            observed: text, severity: .info, measurements: ["p95_ms": Double($0)], evidence: evidence)
                    }, startedAt: when, durationSeconds: 0.5)
            }
            var run = AuditRun(
                id: id, startedAt: when, finishedAt: when.addingTimeInterval(2),
                configuration: Evidence(path: "assay.yaml", sha256: String(repeating: "e", count: 64)), layers: results,
                judgement: Judgement(verdict: .stable, reasons: []))
            run.host = "gpu-node-1"
            return run
        }

        static func json(_ run: AuditRun) throws -> String { String(decoding: try JSONCoding.encoder().encode(run), as: UTF8.self) }

        static let securityHeaders = ["x-content-type-options", "x-frame-options", "content-security-policy"]

        /// Every correctness case, on either store; returns the ids the server acknowledged.
        static func attack(_ served: Served) async throws -> Set<String> {
            var stored: Set<String> = []
            // 1. Non-finite and malformed query parameters: 400, never a crash, even on an empty store.
            for path in [
                "/api/v1/resources?hours=nan", "/api/v1/resources?hours=inf", "/api/v1/resources?hours=-1", "/api/v1/resources?hours=1e999",
                "/api/v1/metrics/x?days=nan", "/api/v1/metrics/x?days=-inf", "/api/v1/runs?limit=abc", "/api/v1/runs?limit=99999999999999999999",
                "/api/v1/resources?resolution=5s", "/runs/latest/flamegraph?trace=nan",
            ] {
                let response = try served.get(path)
                #expect(response.status == 400, "\(path): \(response.status) \(response.text)")
                #expect(response.headers["content-type"] == "application/json", "\(path)")
                for header in securityHeaders { #expect(response.headers[header] != nil, "\(path) lacks \(header)") }
            }
            #expect(try served.get("/api/v1/resources?hours=0.001").status == 200)
            #expect(served.alive)

            // 2. Dates the store cannot read back, or that make no sense: 422 naming the field.
            let good = try json(run(id: "good-1"))
            #expect(try served.post("/api/v1/runs", good).status == 201)
            stored.insert("good-1")
            let dated: [(String, String, String)] = [
                ("10000-01-01T00:00:00Z", "\"started_at\":\"2026-12-07T00:00:00Z\"", "started_at"),
                ("30000-01-01T00:00:00Z", "\"started_at\":\"2026-12-07T00:00:00Z\"", "started_at"),
                ("0001-01-01T00:00:00Z", "\"started_at\":\"2026-12-07T00:00:00Z\"", "started_at"),
                ("1969-12-31T23:59:59Z", "\"started_at\":\"2026-12-07T00:00:00Z\"", "started_at"),
                ("2026-12-06T00:00:00Z", "\"finished_at\":\"2026-12-07T00:00:02Z\"", "finished_at"),
            ]
            for (index, (date, original, field)) in dated.enumerated() {
                let key = original.split(separator: ":")[0]
                let body = try json(run(id: "dated-\(index)")).replacingOccurrences(of: original, with: "\(key):\"\(date)\"")
                #expect(body != (try json(run(id: "dated-\(index)"))))
                let response = try served.post("/api/v1/runs", body)
                #expect(response.status == 422 && response.text.contains("\"field\":\"\(field)\""), "\(date): \(response.status) \(response.text)")
                for header in securityHeaders { #expect(response.headers[header] != nil) }
            }
            let negative = try json(run(id: "negative")).replacingOccurrences(of: "\"duration_seconds\":0.5", with: "\"duration_seconds\":-3")
            let negativeAnswer = try served.post("/api/v1/runs", negative)
            #expect(negativeAnswer.status == 422 && negativeAnswer.text.contains("duration_seconds"), "\(negativeAnswer.text)")
            var nulHost = run(id: "nul-host")
            nulHost.host = "h\u{0}<script>"
            let nulAnswer = try served.post("/api/v1/runs", try json(nulHost))
            #expect(nulAnswer.status == 422 && nulAnswer.text.contains("\"field\":\"host\""), "\(nulAnswer.text)")
            let future = "{\"points\":[{\"metric\":\"m\",\"value\":1,\"recorded_at\":\"99999-01-01T00:00:00Z\",\"run_id\":\"good-1\"}]}"
            let futureAnswer = try served.post("/api/v1/metrics", future)
            #expect(futureAnswer.status == 422 && futureAnswer.text.contains("points[0].recorded_at"), "\(futureAnswer.status) \(futureAnswer.text)")

            // 3. One layer listed twice: 422, not an empty 500.
            let twice = try served.post("/api/v1/runs", try json(run(id: "twice", layers: [.latency, .latency])))
            #expect(twice.status == 422 && twice.text.contains("listed twice"), "\(twice.status) \(twice.text)")

            // 4. Reserved and unsafe ids.
            for id in ["latest", "LATEST", "a/b"] {
                let answer = try served.post("/api/v1/runs", try json(run(id: id)))
                #expect(answer.status == 422, "\(id): \(answer.status) \(answer.text)")
            }

            // 5. Twenty simultaneous pushes of one new id: one 201, nineteen 409, no 500.
            let raced = try json(run(id: "raced"))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try served.post("/api/v1/runs", raced).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1 && statuses.filter { $0 == 409 }.count == 19, "\(statuses.sorted())")
            stored.insert("raced")

            // 6. Names that need encoding are fetched as they are listed.
            // An hour ago, so the window the readers ask for (half a day and more) holds it whatever day the test runs.
            let recorded = Date().addingTimeInterval(-3600).formatted(.iso8601)
            let point = "{\"points\":[{\"metric\":\"latency.total p95\",\"value\":41,\"recorded_at\":\"\(recorded)\",\"run_id\":\"good-1\"}]}"
            #expect(try served.post("/api/v1/metrics", point).status == 201)
            let listed = try served.get("/api/v1/metrics")
            #expect(listed.text.contains("latency.total p95"))
            let fetched = try served.get("/api/v1/metrics/latency.total%20p95?days=0.5")
            #expect(fetched.status == 200 && fetched.text.contains("\"metric\":\"latency.total p95\""), "\(fetched.status) \(fetched.text.prefix(300))")

            // 7. Every error carries the security headers; HEAD answers GET routes; unknown Hosts get 421.
            for (response, status) in [
                (try served.post("/api/v1/runs", good, token: "assay_wrong"), 401), (try served.get("/nowhere"), 404),
                (try served.post("/api/v1/runs", good), 409),
                (try RawHTTP.request(port: served.port, "/api/v1/runs", method: "POST", headers: ["Authorization": "Bearer \(served.token)", "Content-Length": String(1 << 30)]), 413),
            ] {
                #expect(response.status == status, "\(response.status) \(response.text)")
                for header in securityHeaders { #expect(response.headers[header] != nil, "\(status) lacks \(header)") }
                #expect(response.text.contains("request_id"))
            }
            let head = try served.get("/api/v1/runs", method: "HEAD")
            #expect(head.status == 200 && head.body.isEmpty, "HEAD: \(head.status)")
            #expect(try served.get("/healthz", method: "HEAD").status == 200)
            let rebound = try served.get("/api/v1/runs", host: "attacker.example:\(served.port)")
            #expect(rebound.status == 421, "DNS rebinding: \(rebound.status)")
            #expect(try served.get("/api/v1/runs", host: "localhost:\(served.port)").status == 200)

            // 8. The pages and the listings still read after all of it, as does the CLI.
            for path in ["/", "/runs", "/fleet", "/reproducibility", "/api/v1/runs", "/api/v1/hosts", "/runs/good-1", "/api/v1/runs/raced"] {
                let response = try served.get(path)
                #expect(response.status == 200, "\(path): \(response.status) \(response.text.prefix(200))")
            }
            let list = try CLITests.assay(["report", "--list"], in: served.directory)
            #expect(list.status == 0 && list.stdout.contains("good-1") && list.stdout.contains("raced"), "\(list.status) \(list.stderr)")
            let log = (try? String(contentsOfFile: served.log, encoding: .utf8)) ?? ""
            #expect(!log.contains("Fatal error"), "\(log.suffix(2000))")
            return stored
        }

        @Test func sqliteStoreSurvivesHostileClients() async throws {
            let served = try await Served(storeURL: nil)
            let stored = try await Self.attack(served)
            #expect(served.alive)

            // 9. 300 idle sockets and 20 readers asking for a new chart window each: /healthz stays fast.
            var idle: [Int32] = []
            defer { idle.forEach { close($0) } }
            for _ in 0..<300 { idle.append(try RawHTTP.connect(port: served.port)) }
            let readers = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<20 {
                        group.addTask { try RawHTTP.request(port: served.port, "/api/v1/metrics/latency.total%20p95?days=\(1 + Double(index) * 0.37)").status }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
            }
            var healthz: [Double] = []
            for _ in 0..<20 {
                let start = ContinuousClock.now
                #expect(try served.get("/healthz").status == 200)
                let elapsed = ContinuousClock.now - start
                healthz.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            }
            let readerStatuses = try await readers.value
            #expect(readerStatuses.allSatisfy { $0 == 200 }, "\(readerStatuses)")
            healthz.sort()
            #expect(healthz[healthz.count / 2] < 50, "healthz median \(healthz[healthz.count / 2]) ms with 300 idle sockets: \(healthz)")
            idle.forEach { close($0) }
            idle = []

            // 10. Six runs of about 4 MB, each viewed; then one run of 100,000 findings: memory stays bounded.
            for index in 0..<6 {
                let big = try Self.json(Self.run(id: "big-\(index)", findings: 2_000, observedBytes: 700, layers: [.environment, .reproducibility]))
                #expect(big.utf8.count > 3_500_000 && big.utf8.count < 4 << 20)
                let answer = try served.post("/api/v1/runs", big)
                #expect(answer.status == 201, "\(answer.status) \(answer.text.prefix(300))")
                for path in ["/runs/big-\(index)", "/api/v1/runs/big-\(index)/report.html", "/api/v1/runs/big-\(index)"] {
                    #expect(try served.get(path).status == 200, "\(path)")
                }
            }
            let manyRSS = served.peakRSSMegabytes
            // Latency rows each add metric series: 100,000 of them are refused (422), before anything is stored.
            let measured = try served.post("/api/v1/runs", try Self.json(Self.run(id: "measured", findings: 2_100, observedBytes: 1)))
            #expect(measured.status == 422 && measured.text.contains("at most 2000"), "\(measured.status) \(measured.text.prefix(300))")
            let large = try Self.json(Self.run(id: "large", findings: 50_000, observedBytes: 1, layers: [.environment, .reproducibility]))
            let start = ContinuousClock.now
            // A debug build on two busy cores takes tens of seconds over this one: give it five minutes.
            let answer = try RawHTTP.request(
                port: served.port, "/api/v1/runs", method: "POST", headers: ["Authorization": "Bearer \(served.token)"], body: Data(large.utf8),
                timeoutSeconds: 300)
            let ingest = ContinuousClock.now - start
            #expect(answer.status == 201, "\(answer.status) \(answer.text.prefix(300))")
            let peak = served.peakRSSMegabytes
            #expect(try served.get("/api/v1/runs").text.contains("\"id\":\"large\""))
            print("hostile clients: healthz median \(healthz[healthz.count / 2]) ms, max \(healthz.last!) ms; peak RSS after six 4 MB runs \(manyRSS) MB, after a 100,000-finding run (\(large.utf8.count) bytes, ingested in \(ingest)) \(peak) MB")
            #expect(peak < 150, "peak RSS \(peak) MB")
            #expect(served.alive)

            served.process.interrupt()
            served.process.waitUntilExit()
            let store = try Store(path: served.directory + "/.assay/assay.sqlite")
            #expect(try store.integrityProblems().isEmpty)
            let ids = Set(try store.runs(limit: 1000).map(\.id))
            #expect(ids == stored.union((0..<6).map { "big-\($0)" }).union(["large"]), "\(ids.sorted())")
        }

        @Test(.enabled(if: PostgresTestDatabase.available, "needs PostgreSQL (ASSAY_TEST_POSTGRES_URL, set by scripts/test)"))
        func postgresStoreSurvivesHostileClients() async throws {
            let served = try await Served(storeURL: try PostgresTestDatabase.create())
            let stored = try await Self.attack(served)
            #expect(served.alive)
            let list = try CLITests.assay(["report", "--list"], in: served.directory)
            let listed = Set(list.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
            #expect(stored.isSubset(of: listed) && listed.isDisjoint(with: ["latest", "twice", "nul-host", "dated-0", "negative"]), "\(list.stdout)")
            served.process.interrupt()
            served.process.waitUntilExit()
        }
    }
}
