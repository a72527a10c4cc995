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
@Suite(.serialized, .enabled(if: ExternalTool.available(["prometheus"]), "needs prometheus (Debian) to scrape the agent"))
struct AgentTests {
    struct PromSeries: Decodable {
        struct Result: Decodable { var values: [[JSONValue]] }
        struct Payload: Decodable { var result: [Result] }
        var data: Payload
    }

    @Test func prometheusScrapesWhatTheAgentStores() async throws {
        let directory = try CLITests.temporaryDirectory()
        let port = Int.random(in: 20_000..<60_000)
        let agent = try CLITests.launch(["agent", "--listen", "127.0.0.1:\(port)", "--interval", "0.5"], in: directory)
        defer { if agent.isRunning { agent.terminate() } }
        var ready = false
        for _ in 0..<100 where !ready {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!) {
                ready = (response as? HTTPURLResponse)?.statusCode == 200
            }
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "agent did not start")

        let config = try TestFiles.temporaryDirectory("assay-prometheus-config")
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

    /// Two CPU burners (at nice 19, so the tests running alongside keep the CPU) trip the agent's sustained rule
    /// after its `for`; stopped, the load falls under the clear threshold and the alert clears.
    @Suite(.serialized)
    struct SustainedLoadTests {
        func alertState(port: Int) async -> Int? {
            guard let (body, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) else { return nil }
            let line = String(decoding: body, as: UTF8.self).split(separator: "\n")
                .first { $0.hasPrefix("assay_alert_state") && $0.contains("SustainedCPULoad") }
            return line?.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) }
        }

        @Test func aCPUBurnerTripsTheRuleAfterItsForAndClears() async throws {
            let directory = try CLITests.temporaryDirectory()
            try """
                thresholds:
                  resources:
                    sustained_load_percent: 70
                    sustained_clear_percent: 50
                    sustained_seconds: 3
                """.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
            let port = Int.random(in: 20_000..<60_000)
            let agent = try CLITests.launch(["agent", "--listen", "127.0.0.1:\(port)", "--interval", "0.5", "--no-store"], in: directory)
            defer { if agent.isRunning { agent.terminate() } }
            var state: Int?
            for _ in 0..<100 where state == nil {
                state = await alertState(port: port)
                if state == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(state != nil, "agent did not serve its alert state")

            let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
            let burners = try (0..<cores).map { _ in
                let burner = Process()
                burner.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
                burner.arguments = ["-n", "19", "sh", "-c", "while :; do :; done"]
                try burner.run()
                return burner
            }
            // SIGKILL: children inherit the test process's blocked-signal mask, so SIGTERM would stay pending.
            defer { for burner in burners where burner.isRunning { kill(burner.processIdentifier, SIGKILL) } }
            let started = Date()
            var firingAfter: Double?
            var sawPending = false
            while firingAfter == nil, Date().timeIntervalSince(started) < 60 {
                try await Task.sleep(for: .milliseconds(250))
                let now = await alertState(port: port)
                if now == 1 { sawPending = true }
                if now == 2 { firingAfter = Date().timeIntervalSince(started) }
            }
            let firing = try #require(firingAfter, "the rule never fired under \(cores) burners")
            #expect(sawPending, "firing without passing through pending")
            #expect(firing >= 3, "fired after \(firing) s, before its 3 s for")

            for burner in burners { kill(burner.processIdentifier, SIGKILL) }
            for burner in burners { burner.waitUntilExit() }
            let stopped = Date()
            var cleared = false
            while !cleared, Date().timeIntervalSince(stopped) < 120 {
                try await Task.sleep(for: .milliseconds(250))
                cleared = await alertState(port: port) == 0
            }
            #expect(cleared, "the alert did not clear in 120 s after the burners stopped")
        }
    }

    /// `assay telemetry scrape` against Debian's real node_exporter: a telemetry log the audit can read.
    @Suite(.enabled(if: ExternalTool.available(["prometheus-node-exporter"]), "needs prometheus-node-exporter (Debian)"))
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

