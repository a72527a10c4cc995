import AssayCore
import AssayTelemetry
import Foundation

extension FleetCheck {
    /// Each instance's share of successful scrapes over the last `hours` (`avg_over_time(up[…])`), percent.
    public func uptime(hours: Double, now: Date = Date()) async throws -> [String: Double] {
        let series = try await client.query("100 * avg_over_time(up[\(Int((hours * 3600).rounded()))s])", at: now)
        return Dictionary(series.compactMap { s in s.points.first.map { (s.host, $0.value) } }, uniquingKeysWith: { a, _ in a })
    }

    /// The fleet's RESOURCE UTILIZATION rows from the Prometheus at `url` over the last `hours`: per-host P95 of CPU
    /// and memory, GPUs from dcgm-exporter and uptime from `up`, breaching hosts worst first. A query with no series
    /// is a row of its own, not silence. The audit and the server's /fleet page both show these.
    public static func rows(
        prometheus url: String, thresholds: Thresholds.Resources, scrapeInterval: Double? = nil, hours: Double = 24
    ) async throws -> [Finding] {
        let check = FleetCheck(
            client: PrometheusClient(baseURL: url), cpuLimit: thresholds.cpuPercent, memoryLimit: thresholds.memoryPercent,
            gpuLimit: thresholds.gpuPercent, gpuMemoryGrowthLimit: thresholds.gpuMemoryGrowthPercentPerHour, scrapeIntervalSeconds: scrapeInterval)
        let result = try await check.run(hours: hours, stepSeconds: 300)
        let uptime = try await check.uptime(hours: hours)
        let evidence = Evidence(
            path: url, sha256: FileDigest.sha256(of: try JSONCoding.encoder().encode(result)),
            locator: "assay telemetry fleet, last \(Formatting.duration(seconds: hours * 3600)); scrape interval \(result.scrapeInterval.description)")
        var rows = findings(result, uptime: uptime, uptimeFloor: thresholds.uptimeP95Percent, hours: hours, evidence: evidence)
        for missing in result.noSeries {
            rows.append(
                Finding(
                    table: .resourceUtilization, check: "Fleet: \(missing.prefix { $0 != ":" })", status: .unverified,
                    observed: "no series: \(missing)", severity: .medium, statusLabel: "⚠️ No data", evidence: evidence))
        }
        return rows
    }

    /// The fleet as RESOURCE UTILIZATION rows for the report: a summary per metric, then every breaching host metric,
    /// GPU and uptime, worst first (at most `limit` of them; the summary counts the rest).
    public static func findings(
        _ result: Result, uptime: [String: Double], uptimeFloor: Double, hours: Double, evidence: Evidence, limit: Int = 20
    ) -> [Finding] {
        let window = Formatting.duration(seconds: hours * 3600)
        func up(_ host: String) -> String { uptime[host].map { "; up \(Formatting.percent($0)) of \(window)" } ?? "" }
        var summaries: [Finding] = []
        var breaches: [(excess: Double, finding: Finding)] = []
        for metric in Array(Set(result.rows.map(\.metric))).sorted() {
            let rows = result.rows.filter { $0.metric == metric }
            let over = rows.filter(\.breach)
            summaries.append(
                Finding(
                    table: .resourceUtilization, check: "Fleet: \(metric)", status: over.isEmpty ? .pass : .breach,
                    observed: "\(rows.count) hosts, \(over.count) with P95 over \(window) above \(Formatting.percent(rows[0].limit, digits: 0))",
                    expected: "every host < \(Formatting.percent(rows[0].limit, digits: 0))", severity: over.isEmpty ? .info : .high,
                    measurements: [
                        "hosts": Double(rows.count), "breaching": Double(over.count), "window_seconds": hours * 3600,
                        "rate_window_seconds": Double(result.rateWindowSeconds),
                    ].merging(result.scrapeInterval.seconds.map { ["scrape_interval_seconds": $0] } ?? [:]) { a, _ in a },
                    statusLabel: over.isEmpty ? "✅ HEALTHY" : "❌ \(over.count) hosts", evidence: evidence))
            for row in over {
                breaches.append((
                    row.p95 - row.limit,
                    Finding(
                        table: .resourceUtilization, check: "Fleet: \(row.host) \(metric)", status: .breach,
                        observed: "P95 \(Formatting.percent(row.p95)) over \(window)\(up(row.host))", expected: "< \(Formatting.percent(row.limit, digits: 0))",
                        severity: .high, measurements: ["p95": row.p95, "points": Double(row.points)],
                        recommendation: "Add capacity on \(row.host) or move load off it", evidence: evidence)
                ))
            }
        }
        if !result.gpus.isEmpty {
            let faulty = result.gpus.filter { !$0.breaches.isEmpty }
            summaries.append(
                Finding(
                    table: .resourceUtilization, check: "Fleet: GPUs", status: faulty.isEmpty ? .pass : .breach,
                    observed: "\(result.gpus.count) GPUs, \(faulty.count) breaching over \(window)", expected: "no GPU breaching",
                    severity: faulty.isEmpty ? .info : .high, measurements: ["gpus": Double(result.gpus.count), "breaching": Double(faulty.count)],
                    statusLabel: faulty.isEmpty ? "✅ HEALTHY" : "❌ \(faulty.count) GPUs", evidence: evidence))
            for gpu in faulty {
                var parts = gpu.breaches
                if let growth = gpu.memoryGrowthPercentPerHour, gpu.breaches.contains("memory growth") {
                    parts[parts.firstIndex(of: "memory growth")!] = "memory +\(Formatting.number(growth, digits: 1))%/h"
                        + (gpu.hoursToExhaustion.map { ", runs out in \(Formatting.number($0, digits: 0)) h" } ?? "")
                }
                if let util = gpu.utilizationP95, let index = parts.firstIndex(of: "utilization") {
                    parts[index] = "utilization P95 \(Formatting.percent(util, digits: 0))"
                }
                // XIDs first (a faulty device), then leaks by how soon they exhaust memory, then load.
                let excess = gpu.xid ?? 0 > 0 ? 1_000 : (gpu.hoursToExhaustion.map { 500 - min(499, $0) } ?? (gpu.utilizationP95 ?? 0))
                breaches.append((
                    excess,
                    Finding(
                        table: .resourceUtilization, check: "Fleet: \(gpu.host) GPU \(gpu.gpu)", status: .breach,
                        observed: parts.joined(separator: "; "), expected: "no XID, growth and utilization within the thresholds", severity: .high,
                        measurements: [
                            "utilization_p95": gpu.utilizationP95, "memory_growth_percent_per_hour": gpu.memoryGrowthPercentPerHour,
                            "hours_to_exhaustion": gpu.hoursToExhaustion, "xid": gpu.xid,
                        ].compactMapValues { $0 },
                        recommendation: gpu.xid ?? 0 > 0 ? "Drain the GPU and check the driver log for the XID" : "Find what holds the growing memory",
                        evidence: evidence)
                ))
            }
        }
        for (host, percent) in uptime.sorted(by: { $0.key < $1.key }) where percent < uptimeFloor {
            breaches.append((
                uptimeFloor - percent,
                Finding(
                    table: .resourceUtilization, check: "Fleet: \(host) uptime", status: .breach,
                    observed: "up \(Formatting.percent(percent)) of \(window)", expected: "≥ \(Formatting.percent(uptimeFloor))", severity: .high,
                    measurements: ["uptime_percent": percent], recommendation: "Find why scrapes of \(host) fail", evidence: evidence)
            ))
        }
        let ranked = breaches.sorted { $0.excess > $1.excess }.map(\.finding)
        var rows = summaries + ranked.prefix(limit)
        if ranked.count > limit, !rows.isEmpty {
            rows[0].observed += "; \(ranked.count - limit) more breaches not listed"
        }
        return rows
    }
}
