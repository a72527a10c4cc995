import AssayCore
import AssayIntegrations
import AssayTestSupport
import Foundation
import Testing

@Suite struct PrometheusRulesTests {
    static let checkedIn = TestFiles.packageRoot + "/deploy/prometheus/assay-rules.yml"

    /// The shipped copy is exactly what `assay export rules` writes with the default thresholds.
    @Test func theShippedRulesAreTheDefaults() throws {
        #expect(PrometheusRules.yaml(Thresholds().resources) == (try String(contentsOfFile: Self.checkedIn, encoding: .utf8)))
    }

    /// Thresholds from assay.yaml reach the alert expressions.
    @Test func thresholdsReachTheExpressions() {
        var thresholds = Thresholds().resources
        thresholds.cpuPercent = 70
        thresholds.sustainedSeconds = 300
        thresholds.gpuMemoryGrowthPercentPerHour = 2.5
        let yaml = PrometheusRules.yaml(thresholds)
        #expect(yaml.contains("expr: instance:assay_cpu_utilization:percent > 70"))
        #expect(yaml.contains("for: 5m"))
        #expect(yaml.contains("gpu:assay_memory_growth:percent_per_hour > 2.50"))
    }

    /// Prometheus's own tool accepts the rules, and its unit tests make each alert fire on its series and stay silent
    /// on the neighbour.
    @Test(.enabled(if: ExternalTool.available(["promtool"]), "needs promtool (Debian's prometheus)"))
    func promtoolChecksAndTestsTheRules() throws {
        for arguments in [["promtool", "check", "rules", "assay-rules.yml"], ["promtool", "test", "rules", "assay-rules.test.yml"]] {
            try ExternalTool.run(arguments, in: TestFiles.packageRoot + "/deploy/prometheus")
        }
    }

    /// VictoriaMetrics' vmalert loads the same rules (its -dryRun parses every expression as MetricsQL and exits
    /// non-zero on the first it cannot), the shipped file and one exported with other thresholds.
    @Test(.enabled(if: ExternalTool.available(["vmalert"]), "needs vmalert (Debian's victoria-metrics)"))
    func vmalertLoadsTheRules() throws {
        var thresholds = Thresholds().resources
        thresholds.cpuPercent = 70
        thresholds.gpuMemoryGrowthPercentPerHour = 2.5
        let directory = try TestFiles.temporaryDirectory("assay-vmalert")
        try PrometheusRules.yaml(thresholds).write(toFile: directory + "/exported.yml", atomically: true, encoding: .utf8)
        try "groups:\n- name: broken\n  rules:\n  - alert: Broken\n    expr: rate(x[5m]\n".write(toFile: directory + "/broken.yml", atomically: true, encoding: .utf8)
        for file in [TestFiles.packageRoot + "/deploy/prometheus/assay-rules.yml", directory + "/exported.yml"] {
            try ExternalTool.run(["vmalert", "-rule=\(file)", "-dryRun", "-loggerLevel=ERROR"], in: directory)
        }
        #expect(throws: (any Error).self) { try ExternalTool.run(["vmalert", "-rule=\(directory)/broken.yml", "-dryRun", "-loggerLevel=ERROR"], in: directory) }
    }
}
