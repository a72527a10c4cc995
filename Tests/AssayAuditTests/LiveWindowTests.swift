import AssayAudit
import AssayConfig
import AssayCore
import AssayTestSupport
import Foundation
import Testing

/// The live window's record becomes rows in the resources, latency and capacity layers: the service process, Assay's
/// own CPU against its 5% budget, the service's own histograms from two real `/metrics` scrapes, and each capacity
/// projection beside the window that measured it.
@Suite struct LiveWindowTests {
    /// A workspace whose live window record cites the two real scrapes of the example service.
    func workspace(_ change: (inout LiveWindowRecord) -> Void = { _ in }) throws -> Configuration {
        let root = try TestFiles.temporaryDirectory("assay-live-window")
        try AtomicFile.write(Array("version: 1\n".utf8), to: root + "/assay.yaml")
        for name in ["before", "after"] {
            let text = try String(contentsOfFile: try TestFiles.fixture("onnx-service-metrics-\(name).txt", in: .module), encoding: .utf8)
            try AtomicFile.write(Array(text.utf8), to: root + "/metrics-\(name).txt")
        }
        let samples = (0..<5).map { #"{"ts":"2026-12-07T13:00:0\#($0)Z","cpu_seconds":\#(Double($0) * 0.4),"rss_mib":100}"# }
        try AtomicFile.write(Array((samples.joined(separator: "\n") + "\n").utf8), to: root + "/service-process.jsonl")
        var record = LiveWindowRecord(windowSeconds: 60, rateRPS: 40, seed: 1, requests: 2400, answered: 2400, failed: 0, assayCPUPercent: 3.2)
        record.service = .init(
            pid: 42, samples: "service-process.jsonl", sampleCount: 5, cpuMeanPercent: 40, cpuP95Percent: 44, rssFirstMiB: 100, rssMaxMiB: 104,
            rssLastMiB: 101)
        record.metricsBefore = "metrics-before.txt"
        record.metricsAfter = "metrics-after.txt"
        record.capacityChecks = [
            .init(
                increasePercent: 5, rateRPS: 42, seconds: 20, requests: 840, failed: 0, measuredCPUPercent: 40, measuredP95Ms: 20,
                projectedCPUPercent: 42, projectedP95Ms: 21),
            .init(
                increasePercent: 20, rateRPS: 48, seconds: 20, requests: 960, failed: 0, measuredCPUPercent: 48, measuredP95Ms: 20,
                projectedCPUPercent: 46, projectedP95Ms: 40),
        ]
        change(&record)
        try AtomicFile.write(try JSONCoding.encoder().encode(record), to: root + "/live-window.json")
        var configuration = try ConfigLoader.load(path: root + "/assay.yaml")
        configuration.liveWindow = "live-window.json"
        return configuration
    }

    @Test func theServiceProcessAndAssaysOwnCPUAreResourceRows() throws {
        let rows = try LiveWindowFindings.resources(try workspace())
        #expect(rows.map(\.check) == ["Service process CPU (% of one core)", "Service process memory (RSS MiB)", "Assay's own CPU (% of one core)"])
        #expect(rows[0].measurements["p95"] == 44 && rows[0].status == .pass)
        #expect(rows[0].primaryEvidence.path == "service-process.jsonl")
        #expect(rows[1].observed.contains("100.0 → 101.0 (max 104.0, +1.0 over the window)"))
        #expect(rows[2].status == .pass && rows[2].expected == "≤ 5")
        let busy = try LiveWindowFindings.resources(
            try workspace {
                $0.assayCPUPercent = 6.1
                $0.service?.cpuP95Percent = 93
            })
        #expect(busy[0].status == .watch)
        #expect(busy[2].status == .watch && busy[2].recommendation?.contains("--url") == true)
    }

    /// Each stage histogram is the after-scrape less the before-scrape: 2,400 observations, the mean from the sums
    /// (computed here from the fixture's own numbers), the P95 inside its bucket's bounds.
    @Test func theServicesHistogramsAreTheWindowsDifferenceAndCountTheAnswers() throws {
        let rows = try LiveWindowFindings.latency(try workspace())
        #expect(rows.map(\.check) == [
            "Failed requests (live window)", "assay_example_request_seconds (service /metrics)", "inference (service /metrics)",
            "postprocess (service /metrics)", "preprocess (service /metrics)",
        ])
        #expect(rows[0].status == .pass)
        let inference = rows[2]
        #expect(inference.measurements["count"] == 2400)
        let mean = (30.12842961399656 - 2.183090855985938) / 2400 * 1000
        #expect(abs((inference.measurements["mean_ms"] ?? 0) - mean) < 1e-9)
        let p95 = try #require(inference.measurements["p95_ms"])
        let error = try #require(inference.measurements["p95_error_ms"])
        #expect(p95 > mean && error > 0 && error < p95)
        #expect(rows.dropFirst().allSatisfy { $0.status == .pass })
        #expect(inference.primaryEvidence.path == "metrics-after.txt")

        let short = try LiveWindowFindings.latency(
            try workspace {
                $0.answered = 2300
                $0.failed = 100
            })
        #expect(short[0].status == .breach && short[0].statusLabel == "❌ 100 of 2400 failed")
        #expect(short.dropFirst().allSatisfy { $0.status == .watch && $0.statusLabel == "⚠️ counted 2400 of 2300" })
    }

    /// A /metrics that did not answer is a row that says so, and one without latency histograms is named too.
    @Test func unreadOrEmptyMetricsAreRows() throws {
        let unread = try LiveWindowFindings.latency(
            try workspace {
                $0.metricsBefore = nil
                $0.metricsAfter = nil
                $0.metricsUnread = "before the window: http://127.0.0.1:8311/metrics answered HTTP 404"
            })
        #expect(unread.map(\.check) == ["Failed requests (live window)", "Service histograms (service /metrics)"])
        #expect(unread[1].status == .watch && unread[1].observed.contains("HTTP 404") && unread[1].statusLabel == "⚠️ Not read")
        let configuration = try workspace()
        try AtomicFile.write(Array("# TYPE up gauge\nup 1\n".utf8), to: configuration.root + "/metrics-after.txt")
        try AtomicFile.write(Array("# TYPE up gauge\nup 1\n".utf8), to: configuration.root + "/metrics-before.txt")
        let empty = try LiveWindowFindings.latency(configuration)
        #expect(empty.map(\.check) == ["Failed requests (live window)", "Service histograms (service /metrics)"])
        #expect(empty[1].statusLabel == "ℹ️ None exposed" && empty[1].primaryEvidence.path == "metrics-after.txt")
    }

    @Test func eachCapacityProjectionStandsBesideItsMeasuredWindow() throws {
        let rows = try LiveWindowFindings.capacity(try workspace())
        #expect(rows.map(\.check) == ["+5% traffic, measured", "+20% traffic, measured"])
        #expect(rows[0].status == .pass && abs((rows[0].measurements["cpu_error_percent"] ?? 0) - 5) < 1e-9)
        #expect(rows[0].observed.contains("error +5.0%"))
        // P95 projected 40 ms against 20 measured: +100%, not a projection to plan on.
        #expect(rows[1].status == .watch && rows[1].measurements["p95_error_percent"] == 100)
        #expect(rows[1].observed.contains("error -4.2%"))
    }

    @Test func aFileAuditHasNoLiveRowsAndABrokenRecordIsNamed() throws {
        var configuration = try workspace()
        configuration.liveWindow = nil
        #expect(try LiveWindowFindings.resources(configuration).isEmpty)
        configuration.liveWindow = "live-window.json"
        try AtomicFile.write(Array("{\"requests\": 1}".utf8), to: configuration.root + "/live-window.json")
        #expect(throws: InputError.self) { try LiveWindowFindings.capacity(configuration) }
    }
}
