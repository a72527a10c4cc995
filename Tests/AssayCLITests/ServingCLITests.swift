import AssayCore
import AssayStore
import AssayTestSupport
import Foundation
import Testing

/// Inference-server captures and load-test results through the command line: the audit's LATENCY PROFILE cites
/// them, their figures enter the metric history, and a perf_analyzer CSV becomes a stored run.
@Suite struct ServingCLITests {
    static let fixtures = CLITests.packageRoot + "/Tests/AssayServingTests/Fixtures"

    @Test func anAuditReadsServerCapturesAndLoadTests() throws {
        let directory = try CLITests.temporaryDirectory()
        for name in ["triton_metrics.txt", "vllm_metrics.txt", "perf_analyzer_inception_graphdef.csv", "triton_stats_batching.json"] {
            try FileManager.default.copyItem(atPath: Self.fixtures + "/" + name, toPath: directory + "/" + name)
        }
        try """
            workspace:
              service: served
              latency:
                servers:
                  - {kind: triton, scrapes: [triton_metrics.txt], model: densenet_onnx}
                  - {kind: vllm, scrapes: [vllm_metrics.txt]}
                  - {kind: triton, scrapes: [triton_stats_batching.json], model: batching}
                load_tests: [perf_analyzer_inception_graphdef.csv]
            verdict:
              required_layers: [latency]
            """.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let audit = try CLITests.assay(["audit", "--output", "out"], in: directory)
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        let report = try String(contentsOfFile: directory + "/out/report.md", encoding: .utf8)
        #expect(report.contains("triton_metrics.txt") && report.contains("vllm_metrics.txt") && report.contains("perf_analyzer_inception_graphdef.csv"))
        // Triton's total mean is Δduration / Δrequests (1 327 965 µs / 3); vLLM's percentiles carry their bucket error.
        #expect(report.contains("| Triton total | 443 | 0.003 (summary) |"), "\(report)")
        #expect(report.contains("| vLLM ttft | 313 | 488 (±238, histogram) |"))
        #expect(report.contains("| Load test | 22.9 | 29.8 | 34.8 |"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/out/report.json"))) as? [String: Any]
        #expect(json?["verdict"] as? String == "STABLE")
        // The figures enter the metric history under their source's name, for the baseline.
        let names = try Store(path: directory + "/.assay/assay.sqlite").metricNames()
        for name in ["latency.triton_total.mean_ms", "latency.vllm_ttft.p95_ms", "latency.load_test.p95_ms", "latency.load_test.throughput_rps"] {
            #expect(names.contains(name), "\(name) not in \(names)")
        }

        // A broken capture leaves the layer unverified, naming file and line: AT RISK.
        try "nv_inference_count{model=\"a\" 1\n".write(toFile: directory + "/triton_metrics.txt", atomically: true, encoding: .utf8)
        let broken = try CLITests.assay(["audit", "--no-store", "--output", "out2"], in: directory)
        #expect(broken.status == 2 && broken.stdout.contains("triton_metrics.txt:1: expected a sample"), "\(broken.stdout)")
    }

    @Test func aPerfAnalyzerCSVBecomesAStoredRunAndACapacityMeasurement() throws {
        let directory = try CLITests.temporaryDirectory()
        #expect(try CLITests.assay(["init"], in: directory).status == 0)
        let imported = try CLITests.assay(
            ["loadtest", "import", Self.fixtures + "/perf_analyzer_inception_graphdef.csv", "--capacity", "capacity.json", "--cores", "2"], in: directory)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("perf_analyzer, 4 load level(s)"))
        let id = try #require(imported.stdout.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
        let report = try CLITests.assay(["report", "--run", id, "--format", "markdown", "--output", "r"], in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("| Load level: concurrency 4 | 47.5 | 59.2 | 64.9 |"), "\(report.stdout)")
        let capacity = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/capacity.json"))) as? [String: Any]
        #expect((capacity?["steps"] as? [Any])?.count == 4)
        let bad = try CLITests.assay(["loadtest", "import", "assay.yaml"], in: directory)
        #expect(bad.status == 65 && bad.stderr.contains("assay.yaml:1: expected perf_analyzer CSV, wrk output or Locust stats CSV"), "\(bad.stderr)")
    }

    @Test func scrapeKeepsTheCapturesItRead() async throws {
        let served = try CLITests.temporaryDirectory()
        try FileManager.default.copyItem(atPath: Self.fixtures + "/triton_metrics.txt", toPath: served + "/metrics")
        let server = try await LoopbackServer.start("python3 -m http.server {port} --bind 127.0.0.1 --directory \(served)", name: "static-metrics")
        defer { server.stop() }
        let directory = try CLITests.temporaryDirectory()
        let scrape = try CLITests.assay(
            ["latency", "scrape", "--kind", "triton", "--url", server.url + "/metrics", "--model", "densenet_onnx", "--seconds", "0.2", "--output", "captures"],
            in: directory)
        #expect(scrape.status == 0, "\(scrape.stderr)")
        #expect(scrape.stdout.contains("Total") && scrape.stdout.contains("no requests over 0 s") || scrape.stdout.contains("0 requests"), "\(scrape.stdout)")
        #expect(FileManager.default.contents(atPath: directory + "/captures/triton-after.txt") == FileManager.default.contents(atPath: served + "/metrics"))
        // Triton's statistics endpoint, JSON, through the same command.
        try FileManager.default.copyItem(atPath: Self.fixtures + "/triton_stats_batching.json", toPath: served + "/stats")
        let stats = try CLITests.assay(
            ["latency", "scrape", "--kind", "triton", "--url", server.url + "/stats", "--model", "batching", "--seconds", "0.2"], in: directory)
        #expect(stats.status == 0 && stats.stdout.contains("Queue") && stats.stdout.contains("Total"), "\(stats.stdout)\(stats.stderr)")
        let down = try CLITests.assay(["latency", "scrape", "--kind", "triton", "--url", "http://127.0.0.1:9/metrics", "--seconds", "0.1", "--timeout", "1"], in: directory)
        #expect(down.status == 69 && down.stderr.contains("cannot scrape http://127.0.0.1:9/metrics"), "\(down.stderr)")
    }
}

/// Bad input to the server, token, push and schedule commands: usage 64, missing 66, malformed 65.
@Suite struct ServerCommandInputTests {
    @Test func badInputIsRefusedClearly() throws {
        let directory = try CLITests.temporaryDirectory()
        let listen = try CLITests.assay(["serve", "--listen", "nowhere"], in: directory)
        #expect(listen.status == 64 && listen.stderr.contains("--listen: expected HOST:PORT"), "\(listen.stderr)")
        let noToken = try CLITests.assay(["push", "--server", "http://127.0.0.1:9"], in: directory, environment: ["ASSAY_TOKEN": ""])
        #expect(noToken.status == 64 && noToken.stderr.contains("no token"), "\(noToken.stderr)")
        let missingTokenFile = try CLITests.assay(["push", "--server", "http://127.0.0.1:9", "--token-file", "absent"], in: directory)
        #expect(missingTokenFile.status == 66, "\(missingTokenFile.stderr)")
        #expect(try CLITests.assay(["token", "create", "ci"], in: directory).status == 0)
        let twice = try CLITests.assay(["token", "create", "ci"], in: directory)
        #expect(twice.status == 64 && twice.stderr.contains("exists already"))
        #expect(try CLITests.assay(["token", "revoke", "ci"], in: directory).status == 0)
        #expect(try CLITests.assay(["token", "revoke", "ci"], in: directory).status == 66)
        #expect(try CLITests.assay(["token", "list"], in: directory).stdout.contains("ci  created"))
        try "schedule:\n  jobs:\n    - {name: a, kind: audit}\n".write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let schedule = try CLITests.assay(["schedule", "--once"], in: directory)
        #expect(schedule.status == 65 && schedule.stderr.contains("assay.yaml:3"), "\(schedule.stderr)")
        try "schedule:\n  jobs:\n    - {name: a, kind: audit, every: soon}\n".write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let every = try CLITests.assay(["schedule", "--once"], in: directory)
        #expect(every.status == 65 && every.stderr.contains("a duration such as 90s"), "\(every.stderr)")
    }
}

/// `assay watch --server-url`: each evaluation scrapes a server exposing Triton's counters (a script standing in
/// for Triton, which needs a GPU host; the parser is tested on a real capture) and judges the window since the
/// previous scrape. When every request's duration rises from 20 to 80 ms the rule fires.
extension LoadTests {
    @Suite(.serialized)
    struct ServerWatchTests {
        @Test func aSlowerServerFiresTheRegressionRule() async throws {
            let directory = try CLITests.temporaryDirectory()
            let script = """
                import http.server, sys
                state = {"scrapes": 0, "requests": 0, "duration_us": 0}
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        state["scrapes"] += 1
                        per_request = 20000 if state["scrapes"] <= 3 else 80000
                        state["requests"] += 10
                        state["duration_us"] += 10 * per_request
                        body = (
                            "# TYPE nv_inference_request_success counter\\n"
                            f'nv_inference_request_success{{model="m",version="1"}} {state["requests"]}\\n'
                            "# TYPE nv_inference_request_duration_us counter\\n"
                            f'nv_inference_request_duration_us{{model="m",version="1"}} {state["duration_us"]}\\n'
                        ).encode()
                        self.send_response(200); self.send_header("Content-Type", "text/plain"); self.end_headers(); self.wfile.write(body)
                    def log_message(self, *args): pass
                http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
                """
            try script.write(toFile: directory + "/triton_like.py", atomically: true, encoding: .utf8)
            let server = try await LoopbackServer.start("python3 \(directory)/triton_like.py {port}", readyPath: "/", name: "triton-like")
            defer { server.stop() }
            let baseline = (0..<50).map { #"{"request_id":"b\#($0)","total_ms":20,"preprocess_ms":1,"inference_ms":18,"postprocess_ms":1}"# }
            try (baseline.joined(separator: "\n") + "\n").write(toFile: directory + "/baseline.jsonl", atomically: true, encoding: .utf8)
            try """
                thresholds:
                  regression: {escalate_after_seconds: 0.1, p95_over_baseline_ms: 5, throughput_drop_rps: 100000}
                """.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
            // The LoopbackServer's readiness probe already scraped once.
            let watch = try CLITests.assay(
                ["watch", "--server-url", server.url + "/metrics", "--server-kind", "triton", "--server-model", "m", "--baseline-log", "baseline.jsonl",
                 "--interval", "0.3", "--evaluations", "6", "--format", "json", "--state", "state.json"], in: directory)
            let lines = watch.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(lines.count == 6, "\(watch.stderr)")
            #expect(lines.dropFirst().first?["mean_ms"] as? Double == 20, "\(lines)")
            #expect(lines.last?["mean_ms"] as? Double == 80)
            let states = lines.compactMap { $0["states"] as? [String: String] }.flatMap(\.values)
            #expect(states.contains("firing"), "\(lines)")
            #expect(watch.status == 1, "exit 1 while an alert is firing")
        }
    }
}
