import AssayCore
import AssayStore
import AssayTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `assay agent` sampling this machine, scraped by a real Prometheus (Debian's): what Prometheus stored is what
/// the agent stored, and SIGTERM stops the agent cleanly with its samples written.
extension LoadTests {
@Suite(.serialized, .enabled(if: ExternalTool.available(["prometheus"])))
struct AgentTests {
    struct PromSeries: Decodable {
        struct Result: Decodable { var values: [[JSONValue]] }
        struct Payload: Decodable { var result: [Result] }
        var data: Payload
    }

    @Test func prometheusScrapesWhatTheAgentStores() async throws {
        let directory = try CLITests.temporaryDirectory()
        let port = Int.random(in: 20_000..<60_000)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: try CLITests.binary())
        agent.arguments = ["agent", "--listen", "127.0.0.1:\(port)", "--interval", "0.5"]
        agent.currentDirectoryURL = URL(fileURLWithPath: directory)
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        defer { if agent.isRunning { agent.terminate() } }
        var ready = false
        for _ in 0..<100 where !ready {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!) {
                ready = (response as? HTTPURLResponse)?.statusCode == 200
            }
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "agent did not start")

        let config = try ExternalTool.scratchDirectory("assay-prometheus-config")
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: assay
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]
            """.write(toFile: config + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = try await LoopbackServer.start(
            "prometheus --config.file=\(config)/prometheus.yml --storage.tsdb.path={dir} --web.listen-address=127.0.0.1:{port}",
            readyPath: "/-/ready", name: "prometheus")
        defer { prometheus.stop() }
        let start = Date()
        // Wait until Prometheus has scraped a few times (its first scrape can take a few seconds after start).
        var scrapes = 0
        for _ in 0..<30 where scrapes < 4 {
            try await Task.sleep(for: .seconds(1))
            let (body, _) = try await URLSession.shared.data(
                from: URL(string: "\(prometheus.url)/api/v1/query?query=count_over_time(assay_memory_utilization_percent[1m])")!)
            let text = String(decoding: body, as: UTF8.self)
            scrapes = text.split(separator: "\"").compactMap { Int($0) }.last ?? 0
        }
        let end = Date()

        let query = "\(prometheus.url)/api/v1/query_range?query=assay_memory_utilization_percent&start=\(start.timeIntervalSince1970)&end=\(end.timeIntervalSince1970)&step=1"
        let (data, _) = try await URLSession.shared.data(from: URL(string: query)!)
        let series = try JSONDecoder().decode(PromSeries.self, from: data)
        let scraped = series.data.result.first?.values.compactMap { $0.last?.string.flatMap(Double.init) } ?? []
        #expect(scraped.count >= 3, "\(String(decoding: data, as: UTF8.self))")
        let (total, _) = try await URLSession.shared.data(
            from: URL(string: "\(prometheus.url)/api/v1/query?query=node_memory_MemTotal_bytes")!)
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let kib = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) }
        #expect(String(decoding: total, as: UTF8.self).contains("\"\(Int((kib ?? 0) * 1024))\""))

        // The fleet view reads the same Prometheus back, per instance.
        let fleet = try CLITests.assay(["telemetry", "fleet", "--prometheus", prometheus.url, "--hours", "0.1", "--step", "1"], in: directory)
        #expect([0, 1].contains(fleet.status), "\(fleet.stderr)")
        #expect(fleet.stdout.contains("127.0.0.1:\(port)") && fleet.stdout.contains("Memory Usage (%)"), "\(fleet.stdout)")

        agent.interrupt()
        agent.waitUntilExit()
        #expect(agent.terminationStatus == 0)
        let stored = try Store(path: directory + "/.assay/assay.sqlite").resourceSamples(resolution: "raw", since: start.addingTimeInterval(-60))
        #expect(stored.count >= 8)
        let values = stored.compactMap { (try? JSONSerialization.jsonObject(with: $0.payload) as? [String: Any])?["memory_percent"] as? Double }
        // Every value Prometheus scraped is one the agent stored (the gauge holds the latest stored sample).
        for value in scraped {
            #expect(values.contains { abs($0 - value) < 1e-9 }, "scraped \(value) not among the \(values.count) stored")
        }
    }
}

    /// `assay telemetry scrape` against Debian's real node_exporter: a telemetry log the audit can read.
    @Suite(.enabled(if: ExternalTool.available(["prometheus-node-exporter"])))
    struct NodeExporterTests {
        @Test func scrapesARealNodeExporter() async throws {
            let exporter = try await LoopbackServer.start(
                "prometheus-node-exporter --web.listen-address=127.0.0.1:{port}", readyPath: "/metrics", name: "node-exporter")
            defer { exporter.stop() }
            let directory = try CLITests.temporaryDirectory()
            let result = try CLITests.assay(
                ["telemetry", "scrape", "--url", exporter.url + "/metrics", "--duration", "2", "--interval", "1", "--output", "t.jsonl"],
                in: directory)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try String(contentsOfFile: directory + "/t.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { $0.contains("\"cpu_percent\"") && $0.contains("\"memory_percent\"") })
            let analyze = try CLITests.assay(["telemetry", "analyze", "t.jsonl"], in: directory)
            #expect([0, 1].contains(analyze.status), "\(analyze.stderr)")
        }
    }
}

