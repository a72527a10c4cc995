import AssayCore
import AssayIntegrations
import AssayTelemetry
import AssayTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `assay telemetry fleet` against a real Prometheus whose TSDB holds two hours of three hosts scraped every 60 s,
/// backfilled with promtool from OpenMetrics text: the hot host is named at that interval (a one-minute rate window
/// held one sample and returned nothing), and a query with no series is named, not passed over.
@Suite(.serialized, .enabled(if: ExternalTool.available(["prometheus", "promtool"]), "needs prometheus and promtool (Debian's prometheus)"))
struct FleetTests {
    @Test func hotHostAtSixtySecondScrapesIsNamedAndAMissingSeriesIsReported() async throws {
        let directory = try CLITests.temporaryDirectory()
        let end = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 300
        var text = "# TYPE node_cpu_seconds counter\n"
        for (index, host) in ["node-1", "node-2", "node-3", "node-4"].enumerated() {
            // node-2 is busy 90% of the time, the others 10%. Each host is scraped at its own offset within the minute,
            // give or take a quarter second, as real scrapes are: no evaluation lines up with the samples. node-4
            // reboots twice, its counters starting again from 0: the windows across a reset (8 of about 120, more
            // than 5%) are dropped, not read as busy.
            let idlePerMinute = host == "node-2" ? 6.0 : 54.0
            for minute in 0...120 {
                let time = end - Double(120 - minute) * 60 + Double(17 * index + 5) + Double(minute % 3 - 1) * 0.25
                let uptime = Double(host == "node-4" ? minute >= 80 ? minute - 80 : minute >= 40 ? minute - 40 : minute + 500 : minute)
                text += "node_cpu_seconds_total{cpu=\"0\",instance=\"\(host)\",job=\"node\",mode=\"idle\"} \(uptime * idlePerMinute) \(time)\n"
                text += "node_cpu_seconds_total{cpu=\"0\",instance=\"\(host)\",job=\"node\",mode=\"user\"} \(uptime * (60 - idlePerMinute)) \(time)\n"
            }
        }
        // node-5 was scraped once: no window holds two of its samples, so it has no CPU value, and it is named.
        text += "node_cpu_seconds_total{cpu=\"0\",instance=\"node-5\",job=\"node\",mode=\"idle\"} 100 \(end - 3600)\n"
        text += "# EOF\n"
        try text.write(toFile: directory + "/fleet.om", atomically: true, encoding: .utf8)
        let prometheus = try await LoopbackServer.start(
            "promtool tsdb create-blocks-from openmetrics \(directory)/fleet.om {dir}/data >/dev/null && "
                + "prometheus --config.file=/dev/null --storage.tsdb.path={dir}/data --web.listen-address=127.0.0.1:{port}",
            readyPath: "/-/ready", name: "prometheus-fleet")
        defer { prometheus.stop() }
        let fleet = try CLITests.assay(["telemetry", "fleet", "--prometheus", prometheus.url, "--hours", "3", "--step", "60"], in: directory)
        let cpu = fleet.stdout.split(separator: "\n").filter { $0.contains("CPU Utilization") }
        #expect(cpu.count == 4, "\(fleet.stdout)\(fleet.stderr)")
        #expect(cpu.filter { $0.contains("BREACH") }.map { $0.split(separator: " ").first } == ["node-2"], "\(cpu)")
        #expect(cpu.first { $0.hasPrefix("node-2") }?.contains("P95 90.0%") == true, "\(cpu)")
        #expect(cpu.first { $0.hasPrefix("node-4") }?.contains("P95 10.0%") == true, "\(cpu)")
        // With no MemTotal series, each row counts its idle CPU samples: 121 in the window.
        #expect(cpu.first { $0.hasPrefix("node-1") }?.contains("121 points") == true, "\(cpu)")
        // Backfilled blocks list no targets: the interval is measured from the samples, and said.
        #expect(fleet.stdout.contains("scrape interval 60 s (no targets listed; the median gap between"), "\(fleet.stdout)")
        #expect(fleet.stdout.contains("CPU rate window 240 s"), "\(fleet.stdout)")
        let set = try CLITests.assay(["telemetry", "fleet", "--prometheus", prometheus.url, "--hours", "3", "--step", "60", "--scrape-interval", "2m"], in: directory)
        #expect(set.stdout.contains("scrape interval 120 s (set by --scrape-interval") && set.stdout.contains("CPU rate window 480 s"), "\(set.stdout)")
        let wrong = try CLITests.assay(["telemetry", "fleet", "--prometheus", prometheus.url, "--scrape-interval", "soon"], in: directory)
        #expect(wrong.status == 64 && wrong.stderr.contains("--scrape-interval: expected a duration such as 15s, 1m or 60, found 'soon'"), "\(wrong.stderr)")
        // No memory series were backfilled: the memory query is named and the fleet is not verified.
        #expect(fleet.status == 2)
        #expect(fleet.stderr.contains("not verified: no series for Memory Usage (%): 100 * (1 - node_memory_MemAvailable_bytes"), "\(fleet.stderr)")
        #expect(fleet.stderr.contains("CPU Utilization (%): no value for 1 of 5 instances with its series (node-5)"), "\(fleet.stderr)")
        // No GPUs in this fleet: said, and not a failure of its own.
        #expect(fleet.stderr.contains("note: no GPU series (DCGM_FI_DEV_GPU_UTIL from dcgm-exporter)"), "\(fleet.stderr)")
    }

    /// GPU fleets from dcgm-exporter's series (its documented names and labels), two hosts of two GPUs for two hours:
    /// a busy GPU, a leaking one, one with an XID error and one whose memory grew while warming up and then levelled
    /// off. Exactly the first three are named, each for its reason.
    @Test func gpuFleetNamesTheBusyTheLeakingAndTheFaultyGPU() async throws {
        let directory = try CLITests.temporaryDirectory()
        let end = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 300
        var lines: [String] = []
        for minute in 0...120 {
            let time = Int(end - Double(120 - minute) * 60)
            for host in ["gpu-a", "gpu-b"] {
                let node = "instance=\"\(host):9100\",job=\"node\""
                // Half idle; the counter starts where a host's uptime would have taken it, as real ones do.
                lines.append("node_cpu_seconds_total{cpu=\"0\",\(node),mode=\"idle\"} \(1_000_000 + Double(minute) * 30) \(time)")
                lines.append("node_cpu_seconds_total{cpu=\"0\",\(node),mode=\"user\"} \(1_000_000 + Double(minute) * 30) \(time)")
                lines.append("node_memory_MemTotal_bytes{\(node)} 16000000000 \(time)")
                lines.append("node_memory_MemAvailable_bytes{\(node)} 8000000000 \(time)")
            }
            // (host, gpu, utilization, memory used MiB, XID)
            let gpus: [(String, Int, Double, Double, Int)] = [
                ("gpu-a", 0, 95, 40_000, 0),
                ("gpu-a", 1, 30, 20_000 + 2_000 * Double(minute) / 60, 0),
                ("gpu-b", 0, 50, 30_000, minute >= 60 ? 79 : 0),
                ("gpu-b", 1, 40, 20_000 + 4_000 * min(1, Double(minute) / 30), 0),
            ]
            for (host, index, util, used, xid) in gpus {
                let labels = "gpu=\"\(index)\",UUID=\"GPU-\(host)-\(index)\",device=\"nvidia\(index)\",modelName=\"NVIDIA H200\",Hostname=\"\(host)\",instance=\"\(host):9400\",job=\"dcgm\""
                lines.append("DCGM_FI_DEV_GPU_UTIL{\(labels)} \(util) \(time)")
                lines.append("DCGM_FI_DEV_FB_USED{\(labels)} \(used) \(time)")
                lines.append("DCGM_FI_DEV_FB_FREE{\(labels)} \(143_000 - used) \(time)")
                lines.append("DCGM_FI_DEV_XID_ERRORS{\(labels)} \(xid) \(time)")
            }
        }
        let sorted = lines.enumerated().sorted { ($0.element.split(separator: " ")[0], $0.offset) < ($1.element.split(separator: " ")[0], $1.offset) }
        try (sorted.map(\.element).joined(separator: "\n") + "\n# EOF\n").write(toFile: directory + "/gpus.om", atomically: true, encoding: .utf8)
        let prometheus = try await LoopbackServer.start(
            "promtool tsdb create-blocks-from openmetrics \(directory)/gpus.om {dir}/data >/dev/null && "
                + "prometheus --config.file=/dev/null --storage.tsdb.path={dir}/data --web.listen-address=127.0.0.1:{port}",
            readyPath: "/-/ready", name: "prometheus-gpus")
        defer { prometheus.stop() }
        let fleet = try CLITests.assay(["telemetry", "fleet", "--prometheus", prometheus.url, "--hours", "2", "--step", "60", "--format", "json"], in: directory)
        #expect(fleet.status == 1, "\(fleet.stdout)\(fleet.stderr)")
        struct Answer: Decodable {
            struct GPU: Decodable {
                var host: String, gpu: String, breaches: [String]
                var memory_growth_percent_per_hour: Double?, hours_to_exhaustion: Double?, utilization_p95: Double?
            }
            var gpus: [GPU]
        }
        let answer = try JSONDecoder().decode(Answer.self, from: Data(fleet.stdout.utf8))
        #expect(answer.gpus.map { "\($0.host)/\($0.gpu): \($0.breaches.joined(separator: ","))" }
            == ["gpu-a/0: utilization", "gpu-a/1: memory growth", "gpu-b/0: XID 79", "gpu-b/1: "], "\(fleet.stdout)")
        let leak = try #require(answer.gpus.first { $0.host == "gpu-a" && $0.gpu == "1" })
        // 2,000 MiB an hour on 24,000 MiB in use at the end: 8.3%/h; 119,000 MiB free lasts about 60 hours.
        #expect(abs((leak.memory_growth_percent_per_hour ?? 0) - 8.33) < 0.2, "\(leak)")
        #expect(abs((leak.hours_to_exhaustion ?? 0) - 59.5) < 1, "\(leak)")
        let text = try CLITests.assay(["telemetry", "fleet", "--prometheus", prometheus.url, "--hours", "2", "--step", "60"], in: directory)
        #expect(text.stdout.contains("gpu-a GPU 1") && text.stdout.contains("runs out in 60 h") && text.stdout.contains("BREACH (memory growth)"), "\(text.stdout)")

        // The audit of a workspace that names this Prometheus reports the fleet: summaries, then the breaches worst first.
        try "version: 1\nworkspace:\n  service: gpu-fleet\nintegrations:\n  prometheus: {url: \"\(prometheus.url)\"}\n"
            .write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let audit = try CLITests.assay(["audit", "--no-store", "--output", "report"], in: directory)
        #expect([1, 2].contains(audit.status), "\(audit.stdout)\(audit.stderr)")
        let report = try String(contentsOfFile: directory + "/report/report.md", encoding: .utf8)
        let fleetRows = report.split(separator: "\n").filter { $0.hasPrefix("| Fleet: ") }.map { String($0.split(separator: "|")[0]).trimmingCharacters(in: .whitespaces) }
        #expect(fleetRows == [
            "Fleet: CPU Utilization (%)", "Fleet: Memory Usage (%)", "Fleet: GPUs", "Fleet: gpu-b GPU 0", "Fleet: gpu-a GPU 1", "Fleet: gpu-a GPU 0",
        ], "\(report)")
        #expect(report.contains("memory +8.3%/h, runs out in 60 h") && report.contains("XID 79") && report.contains("4 GPUs, 3 breaching over 24 h"))

        // The server's fleet page shows the same rows.
        let page = try await Self.fleetPage(prometheus: prometheus.url, in: directory)
        #expect(page.contains("Utilization over the last 24 h") && page.contains("Fleet: gpu-a GPU 1") && page.contains("XID 79"), "\(page.suffix(2000))")
    }

    /// `/fleet` of an `assay serve --prometheus URL` started in `directory`, once it answers; the server is stopped.
    static func fleetPage(prometheus url: String, in directory: String) async throws -> String {
        let port = Int.random(in: 20_000..<60_000)
        let server = try CLITests.launch(["serve", "--listen", "127.0.0.1:\(port)", "--prometheus", url], in: directory)
        defer {
            if server.isRunning { server.interrupt() }
            server.waitUntilExit()
        }
        for _ in 0..<100 {
            if let (body, response) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/fleet")!),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return String(decoding: body, as: UTF8.self)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return ""
    }

    /// POSTs `text` (Prometheus exposition format, millisecond timestamps) to an import endpoint.
    static func post(_ text: String, to url: String) async throws {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(text.utf8)
        let (body, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        #expect((200..<300).contains(status), "\(url): HTTP \(status) \(String(decoding: body, as: UTF8.self))")
    }

    /// Stores that list no scrape targets: VictoriaMetrics (Debian's victoria-metrics, fed through its import API)
    /// and a Prometheus fed only by remote write (vmagent forwarding the same text to
    /// --web.enable-remote-write-receiver). Twelve hosts scraped every 60 s, each at its own offset, two of them busy:
    /// the fleet command names the same two on both with the interval measured from the samples (a one-minute rate
    /// window would leave no CPU series), and so do the audit's fleet rows on both and /fleet.
    @Test(.enabled(if: ExternalTool.available(["victoria-metrics", "vmagent", "prometheus"]), "needs Debian's victoria-metrics and prometheus"))
    func storesWithoutTargetsNameTheSameHotHosts() async throws {
        let directory = try CLITests.temporaryDirectory()
        let end = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 300
        var samples: [(time: Double, line: String)] = []
        // 50 minutes, in time order: a remote-write receiver refuses samples older than an hour before its newest.
        for minute in 0...50 {
            for host in 0..<12 {
                let time = end - Double(50 - minute) * 60 + Double(host * 7 % 60) + Double(minute % 3 - 1) * 0.25
                let labels = "instance=\"node-\(host):9100\",job=\"node\""
                let idle = [3, 9].contains(host) ? 6.0 : 54.0
                let ms = Int(time * 1000)
                samples.append((time, "node_cpu_seconds_total{cpu=\"0\",\(labels),mode=\"idle\"} \(5000 + Double(minute) * idle) \(ms)"))
                samples.append((time, "node_cpu_seconds_total{cpu=\"0\",\(labels),mode=\"user\"} \(5000 + Double(minute) * (60 - idle)) \(ms)"))
                samples.append((time, "node_memory_MemTotal_bytes{\(labels)} 8000000000 \(ms)"))
                samples.append((time, "node_memory_MemAvailable_bytes{\(labels)} 3000000000 \(ms)"))
            }
        }
        let text = samples.sorted { $0.time < $1.time }.map(\.line).joined(separator: "\n") + "\n"
        let victoria = try await LoopbackServer.start(
            "victoria-metrics -storageDataPath={dir}/data -httpListenAddr=127.0.0.1:{port} -retentionPeriod=100y -loggerLevel=ERROR",
            readyPath: "/health", name: "victoria-metrics")
        defer { victoria.stop() }
        try await Self.post(text, to: victoria.url + "/api/v1/import/prometheus")
        _ = try await URLSession.shared.data(from: URL(string: victoria.url + "/internal/force_flush")!)
        let prometheus = try await LoopbackServer.start(
            "prometheus --config.file=/dev/null --web.enable-remote-write-receiver --storage.tsdb.path={dir}/data --web.listen-address=127.0.0.1:{port}",
            readyPath: "/-/ready", name: "prometheus-remote-write")
        defer { prometheus.stop() }
        let agent = try await LoopbackServer.start(
            "vmagent -remoteWrite.url=\(prometheus.url)/api/v1/write -remoteWrite.tmpDataPath={dir}/queue -remoteWrite.queues=1 "
                + "-httpListenAddr=127.0.0.1:{port} -loggerLevel=ERROR",
            readyPath: "/health", name: "vmagent")
        defer { agent.stop() }
        // One request per minute of samples, in time order: vmagent parses a large body in parallel, and the
        // receiver refuses a whole block with one sample older than its series' newest.
        let lines = text.split(separator: "\n")
        for offset in stride(from: 0, to: lines.count, by: 48) {
            try await Self.post(lines[offset..<min(lines.count, offset + 48)].joined(separator: "\n") + "\n", to: agent.url + "/api/v1/import/prometheus")
        }
        // Remote write is asynchronous: wait until Prometheus holds every sample.
        let client = PrometheusClient(baseURL: prometheus.url)
        var stored = 0.0
        for _ in 0..<100 where stored < 12 * 51 {
            stored = try await client.query("sum(count_over_time(node_memory_MemTotal_bytes[2h]))", at: Date()).first?.points.first?.value ?? 0
            if stored < 12 * 51 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(stored == 12 * 51, "remote write delivered \(stored) of \(12 * 51) samples")

        for store in [victoria, prometheus] {
            let fleet = try CLITests.assay(["telemetry", "fleet", "--prometheus", store.url, "--hours", "1", "--step", "60"], in: directory)
            let cpu = fleet.stdout.split(separator: "\n").filter { $0.contains("CPU Utilization") }
            #expect(fleet.status == 1 && cpu.count == 12, "\(store.url): \(fleet.stdout)\(fleet.stderr)")
            #expect(cpu.filter { $0.contains("BREACH") }.map { $0.split(separator: " ").first } == ["node-3:9100", "node-9:9100"], "\(fleet.stdout)")
            // The quiet hosts read their 10%, on both engines: a window holding one sample (at the edges of the data)
            // has no slope, which VictoriaMetrics returns as 0 (100% busy) where Prometheus returns none.
            let quiet = cpu.filter { !$0.contains("BREACH") }.compactMap { line in
                line.components(separatedBy: "P95 ").last?.components(separatedBy: "%").first.flatMap(Double.init)
            }
            #expect(quiet.count == 10 && quiet.allSatisfy { abs($0 - 10) < 1 }, "\(store.url): \(cpu)")
            #expect(fleet.stdout.contains("scrape interval 60 s (no targets listed; the median gap between"), "\(store.url): \(fleet.stdout)")

            try "version: 1\nworkspace:\n  service: fleet\nintegrations:\n  prometheus: {url: \"\(store.url)\"}\n"
                .write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
            let audit = try CLITests.assay(["audit", "--no-store", "--output", "report"], in: directory)
            let report = try String(contentsOfFile: directory + "/report/report.md", encoding: .utf8)
            let breaches = report.split(separator: "\n").filter { $0.hasPrefix("| Fleet: node-") }.map { $0.split(separator: "|")[0].trimmingCharacters(in: .whitespaces) }
            #expect([1, 2].contains(audit.status) && breaches == ["Fleet: node-3:9100 CPU Utilization (%)", "Fleet: node-9:9100 CPU Utilization (%)"], "\(store.url): \(report)")
        }

        // The server's fleet page, on VictoriaMetrics.
        let page = try await Self.fleetPage(prometheus: victoria.url, in: directory)
        #expect(page.contains("Fleet: node-3:9100 CPU Utilization") && page.contains("Fleet: node-9:9100 CPU Utilization"), "\(page.suffix(2000))")
        #expect(!page.contains("Fleet: node-4:9100"))
    }

    /// The shipped Grafana dashboard is what `assay export grafana` writes with the defaults; it has a Prometheus
    /// datasource variable, and every panel's query runs on a real Prometheus and finds the series it is about:
    /// node_exporter's, the agent's and dcgm-exporter's (their documented names and labels), backfilled with promtool.
    @Test func grafanaDashboardQueriesFindTheirSeries() async throws {
        let directory = try CLITests.temporaryDirectory()
        let shipped = CLITests.packageRoot + "/deploy/grafana/assay-dashboard.json"
        let exported = try CLITests.assay(["export", "grafana", "-o", "dashboard.json"], in: directory)
        #expect(exported.status == 0 && exported.stdout.contains("Wrote dashboard.json"), "\(exported.stderr)")
        #expect(try String(contentsOfFile: directory + "/dashboard.json", encoding: .utf8) == String(contentsOfFile: shipped, encoding: .utf8))
        // A configuration it cannot read is named, with its line, and nothing is written.
        let broken = try CLITests.temporaryDirectory()
        try "version: 1\nthresholds:\n  resources:\n    cpu_percent: lots\n".write(toFile: broken + "/assay.yaml", atomically: true, encoding: .utf8)
        let refused = try CLITests.assay(["export", "grafana", "-o", "dashboard.json"], in: broken)
        #expect(refused.status == 65 && refused.stderr.contains("assay.yaml:4"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: broken + "/dashboard.json"))
        struct Dashboard: Decodable {
            struct Source: Decodable { var type: String?; var uid: String? }
            struct Variable: Decodable { var name: String; var type: String; var query: String }
            struct Templating: Decodable { var list: [Variable] }
            struct Target: Decodable { var expr: String; var datasource: Source }
            struct Panel: Decodable { var title: String; var targets: [Target]; var datasource: Source }
            var panels: [Panel]
            var templating: Templating
        }
        let dashboard = try JSONDecoder().decode(Dashboard.self, from: Data(contentsOf: URL(fileURLWithPath: shipped)))
        #expect(dashboard.templating.list.contains { $0.name == "datasource" && $0.type == "datasource" && $0.query == "prometheus" })
        #expect(dashboard.panels.allSatisfy { $0.datasource.uid == "${datasource}" && $0.targets.allSatisfy { $0.datasource.uid == "${datasource}" } })

        // Two hours at a 60 s scrape interval of one host and its GPU: node_exporter, the agent, dcgm-exporter, up.
        let end = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 300
        let host = #"instance="gpu-node-1:9100",job="node""#
        let gpu = #"gpu="0",UUID="GPU-5c2d6a8e-0000-4c1e-9a3f-2b7d1e0c9a11",device="nvidia0",modelName="NVIDIA H200",Hostname="gpu-node-1",instance="gpu-node-1:9400",job="dcgm""#
        var text = ""
        for minute in 0...120 {
            let time = Int(end - Double(120 - minute) * 60)
            text += "node_cpu_seconds_total{cpu=\"0\",\(host),mode=\"idle\"} \(Double(minute) * 30) \(time)\n"
            text += "node_memory_MemTotal_bytes{\(host)} 16000000000 \(time)\n"
            text += "node_memory_MemAvailable_bytes{\(host)} 6000000000 \(time)\n"
            text += "assay_disk_utilization_percent{\(host)} 12 \(time)\n"
            text += "assay_alert_state{\(host)} 0 \(time)\n"
            text += "up{\(host)} 1 \(time)\n"
            text += "up{instance=\"gpu-node-1:9400\",job=\"dcgm\"} 1 \(time)\n"
            text += "DCGM_FI_DEV_GPU_UTIL{\(gpu)} 71 \(time)\n"
            text += "DCGM_FI_DEV_FB_USED{\(gpu)} \(40000 + minute * 10) \(time)\n"
            text += "DCGM_FI_DEV_FB_FREE{\(gpu)} \(100000 - minute * 10) \(time)\n"
            text += "DCGM_FI_DEV_GPU_TEMP{\(gpu)} 55 \(time)\n"
            text += "DCGM_FI_DEV_XID_ERRORS{\(gpu)} 0 \(time)\n"
        }
        try (text.split(separator: "\n").sorted { $0.split(separator: " ")[0] < $1.split(separator: " ")[0] }.joined(separator: "\n") + "\n# EOF\n")
            .write(toFile: directory + "/series.om", atomically: true, encoding: .utf8)
        let prometheus = try await LoopbackServer.start(
            "promtool tsdb create-blocks-from openmetrics \(directory)/series.om {dir}/data >/dev/null && "
                + "prometheus --config.file=/dev/null --storage.tsdb.path={dir}/data --web.listen-address=127.0.0.1:{port}",
            readyPath: "/-/ready", name: "prometheus-grafana")
        defer { prometheus.stop() }
        // And VictoriaMetrics, the same series through its import API (millisecond timestamps).
        var stores = [prometheus]
        if ExternalTool.available(["victoria-metrics"]) {
            let victoria = try await LoopbackServer.start(
                "victoria-metrics -storageDataPath={dir}/data -httpListenAddr=127.0.0.1:{port} -retentionPeriod=100y -loggerLevel=ERROR",
                readyPath: "/health", name: "victoria-metrics-grafana")
            let imported = text.split(separator: "\n").map { line in
                let parts = line.split(separator: " ")
                return parts.dropLast().joined(separator: " ") + " \(Int(parts.last!)! * 1000)"
            }.joined(separator: "\n") + "\n"
            try await Self.post(imported, to: victoria.url + "/api/v1/import/prometheus")
            _ = try await URLSession.shared.data(from: URL(string: victoria.url + "/internal/force_flush")!)
            stores.append(victoria)
        }
        defer { for store in stores.dropFirst() { store.stop() } }
        for store in stores {
            for (panel, target) in dashboard.panels.flatMap({ panel in panel.targets.map { (panel, $0) } }) {
                let query = target.expr.replacingOccurrences(of: "$instance", with: ".*").replacingOccurrences(of: "$__rate_interval", with: "5m")
                var components = URLComponents(string: store.url + "/api/v1/query")!
                components.queryItems = [URLQueryItem(name: "query", value: query), URLQueryItem(name: "time", value: String(Int(end)))]
                // A literal "+" in a query string is a space to the server.
                components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
                let (body, _) = try await URLSession.shared.data(from: components.url!)
                let answer = String(decoding: body, as: UTF8.self)
                #expect(answer.contains(#""status":"success""#) && answer.contains(#""metric":{"#), "\(store.url) \(panel.title): \(query) → \(answer.prefix(300))")
            }
        }
    }
}
