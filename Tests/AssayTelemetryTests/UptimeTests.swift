import AssayCore
import AssayTelemetry
import Foundation
import AssayTestSupport
import Testing

@Suite struct UptimeTests {
    static func write(_ text: String) throws -> String {
        let path = try TestFiles.temporaryFile("assay-uptime.log")
        try AtomicFile.write(Array(text.utf8), to: path)
        return path
    }

    @Test func logLinesRoundTripAndErrorsNameTheLine() throws {
        let probe = UptimeProbe(time: Date(timeIntervalSince1970: 1_800_000_000), target: "predict", up: true, latencyMilliseconds: 1.5, detail: "HTTP 200")
        #expect(probe.line == "2027-01-15T08:00:00Z predict UP 1.50 HTTP 200\n")
        let path = try Self.write("# probes\n" + probe.line + "2027-01-15T08:00:30Z predict DOWN - connect failed: refused\n\n")
        let probes = try UptimeLog.read(path: path, displayPath: "uptime_monitor.log")
        #expect(probes.count == 2 && probes[0] == probe && !probes[1].up && probes[1].latencyMilliseconds == nil)
        #expect(probes[1].detail == "connect failed: refused")
        let bad = try Self.write(probe.line + "yesterday predict UP 3\n")
        #expect(throws: TelemetryLogError(path: "u.log", line: 2, expected: "TIME TARGET UP|DOWN LATENCY_MS|- [DETAIL]")) {
            try UptimeLog.read(path: bad, displayPath: "u.log")
        }
    }

    /// Ten 5-minute windows of probes every 30 s, one of them half down: overall 95%, and the p95 uptime (the
    /// availability 95% of windows reach, type 7) is 50 + 0.45 × 50 = 72.5%.
    @Test func p95UptimeOverWindows() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var probes: [UptimeProbe] = []
        for index in 0..<100 {
            let window = index / 10
            let down = window == 3 && index % 2 == 0
            probes.append(UptimeProbe(time: start.addingTimeInterval(Double(index) * 30), target: "api", up: !down, latencyMilliseconds: down ? nil : 2))
        }
        let summary = try #require(UptimeSummary.summaries(probes).first)
        #expect(summary.windows == 10 && summary.probes == 100)
        #expect(abs(summary.availabilityPercent - 95) < 1e-9)
        #expect(abs(summary.p95Percent - 72.5) < 1e-9)
        let finding = summary.finding(floorPercent: 99, evidence: Evidence(path: "uptime_monitor.log", sha256: String(repeating: "0", count: 64)))
        #expect(finding.status == .breach && finding.check == "Uptime (p95): api")
    }
}
