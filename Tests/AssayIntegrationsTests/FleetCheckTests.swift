@testable import AssayIntegrations
import Testing

@Suite struct FleetCheckTests {
    /// The rate window holds at least four samples at the targets' scrape interval and four steps, and a minute.
    @Test func rateWindowCoversFourScrapesAndFourSteps() {
        #expect(FleetCheck.rateWindow(stepSeconds: 60, scrapeIntervalSeconds: 60) == 240)
        #expect(FleetCheck.rateWindow(stepSeconds: 1, scrapeIntervalSeconds: 1) == 60)
        #expect(FleetCheck.rateWindow(stepSeconds: 15, scrapeIntervalSeconds: nil) == 60)
        #expect(FleetCheck.rateWindow(stepSeconds: 30, scrapeIntervalSeconds: 120) == 480)
        #expect(FleetCheck.queries(rateWindowSeconds: 240)[0].query.contains("[240s]"))
    }

    @Test func prometheusDurations() {
        #expect(PrometheusClient.seconds("15s") == 15)
        #expect(PrometheusClient.seconds("1m") == 60)
        #expect(PrometheusClient.seconds("1m30s") == 90)
        #expect(PrometheusClient.seconds("500ms") == 0.5)
        #expect(PrometheusClient.seconds("2h") == 7200)
        #expect(PrometheusClient.seconds("") == nil && PrometheusClient.seconds("5x") == nil)
    }
}
