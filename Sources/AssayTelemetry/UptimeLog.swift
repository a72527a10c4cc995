import AssayCore
import Foundation

/// One probe of an endpoint.
public struct UptimeProbe: Sendable, Hashable {
    public var time: Date
    public var target: String
    public var up: Bool
    public var latencyMilliseconds: Double?
    public var detail: String

    public init(time: Date, target: String, up: Bool, latencyMilliseconds: Double?, detail: String = "") {
        self.time = time
        self.target = target
        self.up = up
        self.latencyMilliseconds = latencyMilliseconds
        self.detail = detail
    }

    /// `2026-11-29T07:41:00Z predict-endpoint UP 1.84 HTTP 200`: time, target (no spaces), UP or DOWN, latency in
    /// ms or `-`, the rest as detail.
    public var line: String {
        "\(time.formatted(.iso8601)) \(target) \(up ? "UP" : "DOWN") \(latencyMilliseconds.map { String(format: "%.2f", $0) } ?? "-")"
            + (detail.isEmpty ? "" : " " + detail) + "\n"
    }
}

/// `uptime_monitor.log`: one probe per line as `UptimeProbe.line` writes it (`assay uptime probe`); blank and `#`
/// lines are skipped, anything else malformed is an error naming the file and line.
public enum UptimeLog {
    public static func read(path: String, displayPath: String? = nil) throws -> [UptimeProbe] {
        let name = displayPath ?? path
        guard let text = FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw TelemetryLogError(path: name, line: 0, expected: "a readable uptime log")
        }
        var probes: [UptimeProbe] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
            guard fields.count >= 4, let time = try? Date(String(fields[0]), strategy: .iso8601),
                fields[2] == "UP" || fields[2] == "DOWN", fields[3] == "-" || Double(fields[3]) != nil
            else {
                throw TelemetryLogError(path: name, line: offset + 1, expected: "TIME TARGET UP|DOWN LATENCY_MS|- [DETAIL]")
            }
            probes.append(
                UptimeProbe(
                    time: time, target: String(fields[1]), up: fields[2] == "UP", latencyMilliseconds: Double(fields[3]),
                    detail: fields.count > 4 ? String(fields[4]) : ""))
        }
        return probes
    }
}

/// Availability of one target: overall, and per window of `windowSeconds`; `p95` is the availability 95% of the
/// windows reach (their 5th percentile, type 7), as the report's "Uptime (p95)".
public struct UptimeSummary: Sendable, Hashable, Codable {
    public var target: String
    public var probes: Int
    public var availabilityPercent: Double
    public var p95Percent: Double
    public var windows: Int

    public static func summaries(_ probes: [UptimeProbe], windowSeconds: Double = 300) -> [UptimeSummary] {
        Dictionary(grouping: probes, by: \.target).map { target, list in
            let sorted = list.sorted { $0.time < $1.time }
            let start = sorted[0].time
            let windows = Dictionary(grouping: sorted) { Int($0.time.timeIntervalSince(start) / windowSeconds) }
            let availabilities = windows.values.map { window in Double(window.filter(\.up).count) / Double(window.count) * 100 }.sorted()
            let p5 = Quantile.type7(sorted: availabilities, 0.05) ?? 0
            return UptimeSummary(
                target: target, probes: list.count, availabilityPercent: Double(list.filter(\.up).count) / Double(list.count) * 100,
                p95Percent: p5, windows: availabilities.count)
        }.sorted { $0.target < $1.target }
    }

    /// The RESOURCE UTILIZATION row: "Uptime (p95)" against `floorPercent`.
    public func finding(floorPercent: Double, evidence: Evidence) -> Finding {
        let pass = p95Percent >= floorPercent
        var cite = evidence
        cite.locator = "\(target), \(probes) probes"
        return Finding(
            table: .resourceUtilization, check: "Uptime (p95): \(target)", status: pass ? .pass : .breach,
            observed: Formatting.percent(p95Percent), expected: "≥ \(Formatting.percent(floorPercent, digits: 0))",
            severity: pass ? .info : .high,
            measurements: ["p95": p95Percent, "availability_percent": availabilityPercent, "windows": Double(windows)],
            attributes: ["detail": "\(Formatting.percent(availabilityPercent, digits: 2)) of \(probes) probes up over \(windows) windows"],
            statusLabel: pass ? "✅ PASSING" : "❌ BREACH", evidence: cite)
    }
}
