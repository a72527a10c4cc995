import AssayCore
import AssayTestSupport
import Foundation
import Testing

/// `assay telemetry fleet` against a real Prometheus whose TSDB holds two hours of three hosts scraped every 60 s,
/// backfilled with promtool from OpenMetrics text: the hot host is named at that interval (a one-minute rate window
/// held one sample and returned nothing), and a query with no series is named, not passed over.
@Suite(.serialized, .enabled(if: ExternalTool.available(["prometheus", "promtool"]), "needs prometheus and promtool (Debian's prometheus)"))
struct FleetTests {
    @Test func hotHostAtSixtySecondScrapesIsNamedAndAMissingSeriesIsReported() async throws {
        let directory = try CLITests.temporaryDirectory()
        let end = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 300
        var text = "# TYPE node_cpu_seconds counter\n"
        for host in ["node-1", "node-2", "node-3"] {
            // node-2 is busy 90% of the time, the others 10%.
            let idlePerMinute = host == "node-2" ? 6.0 : 54.0
            for minute in 0...120 {
                let time = end - Double(120 - minute) * 60
                text += "node_cpu_seconds_total{cpu=\"0\",instance=\"\(host)\",job=\"node\",mode=\"idle\"} \(Double(minute) * idlePerMinute) \(Int(time))\n"
            }
        }
        text += "# EOF\n"
        try text.write(toFile: directory + "/fleet.om", atomically: true, encoding: .utf8)
        let prometheus = try await LoopbackServer.start(
            "promtool tsdb create-blocks-from openmetrics \(directory)/fleet.om {dir}/data >/dev/null && "
                + "prometheus --config.file=/dev/null --storage.tsdb.path={dir}/data --web.listen-address=127.0.0.1:{port}",
            readyPath: "/-/ready", name: "prometheus-fleet")
        defer { prometheus.stop() }
        let fleet = try CLITests.assay(["telemetry", "fleet", "--prometheus", prometheus.url, "--hours", "3", "--step", "60"], in: directory)
        let cpu = fleet.stdout.split(separator: "\n").filter { $0.contains("CPU Utilization") }
        #expect(cpu.count == 3, "\(fleet.stdout)\(fleet.stderr)")
        #expect(cpu.filter { $0.contains("BREACH") }.map { $0.split(separator: " ").first } == ["node-2"])
        #expect(cpu.first { $0.hasPrefix("node-2") }?.contains("P95 90") == true, "\(cpu)")
        // No memory series were backfilled: the memory query is named and the fleet is not verified.
        #expect(fleet.status == 2)
        #expect(fleet.stderr.contains("not verified: no series for Memory Usage (%): 100 * (1 - node_memory_MemAvailable_bytes"), "\(fleet.stderr)")
    }
}
