import AssayConfig
import AssayTelemetry
import AssayTestSupport
import Foundation
@testable import AssayIntegrations
import Testing

@Suite struct FleetCheckTests {
    /// The rate window holds at least four samples at the targets' scrape interval and four steps, and a minute.
    @Test func rateWindowCoversFourScrapesAndAStep() {
        #expect(FleetCheck.rateWindow(stepSeconds: 60, scrapeIntervalSeconds: 60) == 240)
        #expect(FleetCheck.rateWindow(stepSeconds: 1, scrapeIntervalSeconds: 1) == 60)
        #expect(FleetCheck.rateWindow(stepSeconds: 15, scrapeIntervalSeconds: nil) == 60)
        #expect(FleetCheck.rateWindow(stepSeconds: 30, scrapeIntervalSeconds: 120) == 480)
        #expect(FleetCheck.rateWindow(stepSeconds: 300, scrapeIntervalSeconds: 60) == 300)
        #expect(FleetCheck.queries(rateWindowSeconds: 240)[0].query.contains("[240s]"))
    }

    /// The step asked for, unless a week or a large fleet needs a coarser one: at most 2,016 evaluations per instance
    /// and 4 million for the fleet.
    @Test func stepIsCoarsenedForLongWindowsAndLargeFleets() {
        #expect(FleetCheck.step(requested: 60, hours: 24, instances: 1000) == 60)
        #expect(FleetCheck.step(requested: 60, hours: 168, instances: 1000) == 300)
        #expect(FleetCheck.step(requested: 60, hours: 24, instances: 10_000) == 216)
        #expect(FleetCheck.rateWindow(stepSeconds: 216, scrapeIntervalSeconds: 60) == 240)
        #expect(FleetCheck.step(requested: 600, hours: 1, instances: 3) == 600)
    }

    /// PromQL's "+" reaches Prometheus as a plus, not as the space a bare "+" means in a query string.
    @Test func queriesKeepTheirPlusSigns() throws {
        let url = try #require(PrometheusClient.url("http://127.0.0.1:9090", "/api/v1/query", [("query", "a + b{x=~\"y+\"}")]))
        #expect(url == "http://127.0.0.1:9090/api/v1/query?query=a%20%2B%20b%7Bx%3D~%22y%2B%22%7D" || (url.contains("%2B") && !url.contains("+")), "\(url)")
        #expect(URLComponents(string: url)?.queryItems?.first?.value == "a + b{x=~\"y+\"}")
    }

    @Test func prometheusDurations() {
        #expect(PrometheusClient.seconds("15s") == 15)
        #expect(PrometheusClient.seconds("1m") == 60)
        #expect(PrometheusClient.seconds("1m30s") == 90)
        #expect(PrometheusClient.seconds("500ms") == 0.5)
        #expect(PrometheusClient.seconds("2h") == 7200)
        #expect(PrometheusClient.seconds("") == nil && PrometheusClient.seconds("5x") == nil)
        // --scrape-interval and integrations.prometheus.scrape_interval read durations the same way.
        #expect(durationSeconds("60") == 60 && durationSeconds("1m") == 60 && durationSeconds("15s") == 15)
        #expect(durationSeconds("0") == nil && durationSeconds("nan") == nil && durationSeconds("-5") == nil)
    }

    /// An answer that compresses far (many alike hosts) is read whole: gzip that inflated more than 25-fold used to
    /// fail the fleet with "reading the answer: limit".
    @Test(.enabled(if: ExternalTool.available(["prometheus"]), "needs prometheus (Debian's prometheus)"))
    func highlyCompressibleAnswersAreRead() async throws {
        let prometheus = try await LoopbackServer.start(
            "prometheus --config.file=/dev/null --storage.tsdb.path={dir}/data --web.listen-address=127.0.0.1:{port}",
            readyPath: "/-/ready", name: "prometheus-compressible")
        defer { prometheus.stop() }
        let label = String(repeating: "a", count: 20_000)
        let answer = try await PrometheusClient(baseURL: prometheus.url).query("label_replace(vector(1), \"x\", \"\(label)\", \"\", \"\")", at: Date())
        #expect(answer.first?.labels["x"]?.count == 20_000)
    }

    /// Batches are sized from the answer: a query reads at most 2.5 million raw samples, 50 to 500 instances.
    @Test func batchesAreSizedFromTheAnswer() {
        #expect(FleetCheck.batchSize(hours: 24, scrapeIntervalSeconds: 60) == 500)
        #expect(FleetCheck.batchSize(hours: 168, scrapeIntervalSeconds: 60) == 248)
        #expect(FleetCheck.batchSize(hours: 168, scrapeIntervalSeconds: nil) == 62)
        #expect(FleetCheck.batchSize(hours: 24 * 90, scrapeIntervalSeconds: 1) == 50)
        #expect(FleetCheck.matchers((0..<2500).map { "h\($0)" }, batchSize: 1000).count == 3)
    }

    /// One pass over the idle series on either engine: the slope on Prometheus (no extrapolation at a series' edges),
    /// `rate` on VictoriaMetrics (which takes the sample before the window, and gives a one-sample window a slope of 0).
    @Test func cpuUsesTheSlopeOnPrometheusAndRateOnVictoriaMetrics() {
        let prometheus = FleetCheck.metrics(rateWindowSeconds: 240, cpuLimit: 80, memoryLimit: 85)[0].expression("")
        let victoria = FleetCheck.metrics(rateWindowSeconds: 240, cpuLimit: 80, memoryLimit: 85, victoriaMetrics: true)[0].expression("")
        #expect(prometheus == #"clamp_min(100 * (1 - avg by (instance) (deriv(node_cpu_seconds_total{mode="idle"}[240s]))), 0) <= 100"#)
        #expect(victoria == prometheus.replacingOccurrences(of: "deriv(", with: "rate("))
    }
}
