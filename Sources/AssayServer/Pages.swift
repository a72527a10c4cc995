import AssayCore
import AssayIntegrations
import AssayReport
import AssayStore
import Foundation
import Hummingbird
import NIOCore

/// Server-rendered pages: the report's tables are HTML from the start; `/assets/dashboard.js` only draws charts.
extension AssayServer {
    func dashboard(runID: String) async throws -> Response {
        guard let entry = try await cache.entry(runID, report: true), let report = entry.report else {
            if runID == "latest" { return Self.html(Self.page(title: "Assay", verdict: nil, body: Self.emptyStore)) }
            throw HTTPError(.notFound, message: "no stored audit with id \(runID)")
        }
        let run = entry.run
        let id = Self.escape(run.id)
        let traces = Self.traceEvidence(run)
        var body = """
            <section class="banner"><strong>\(Self.escape(report.verdict.rawValue))</strong>
            audit <code>\(id)</code> on \(Self.escape(run.host ?? "an unnamed host")), \(Self.escape(Self.time(run.startedAt)))
            · downloads: <a href="/api/v1/runs/\(id)/report.md">Markdown</a> <a href="/api/v1/runs/\(id)/report.json">JSON</a>
            <a href="/api/v1/runs/\(id)/report.html">HTML</a></section>
            <section class="charts" data-run="\(id)">
            <figure><figcaption>Latency over time <select id="metric" aria-label="metric"></select></figcaption>
            <svg id="latency-chart" class="chart" viewBox="0 0 640 252" role="img"></svg>
            <p class="legend">line: the metric per run · band: rolling \(Formatting.number(settings.thresholds.baseline.windowDays, digits: 0)) day baseline (mean ± CI95) · dashed: change points</p></figure>
            <figure><figcaption>Utilization (agent samples)</figcaption>
            <svg id="utilization-chart" class="chart" viewBox="0 0 640 252" role="img"></svg></figure>
            <figure><figcaption>Uptime</figcaption>
            <svg id="uptime-chart" class="chart" viewBox="0 0 640 252" role="img"></svg></figure>
            </section>

            """
        let mismatches = run.findings.filter { $0.layer == .environment && $0.status != .pass }
        body += "<section><h2 id=\"environment-diff\">Environment differences</h2>"
        if mismatches.isEmpty {
            body += "<p>Every environment check passed: nothing differs from what was approved.</p>"
        } else {
            body += "<table><thead><tr><th>Check</th><th>Observed</th><th>Expected</th><th>Status</th></tr></thead><tbody>"
            for finding in mismatches {
                body += "<tr class=\"\(finding.status.rawValue)\"><td>\(Self.escape(finding.check))</td><td>\(Self.escape(finding.observed))</td>"
                    + "<td>\(Self.escape(finding.expected ?? "—"))</td><td>\(HTMLRenderer.status(finding.statusLabel ?? finding.status.rawValue))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "</section>\n<section><h2 id=\"flamegraphs\">Flamegraphs</h2>"
        if traces.isEmpty {
            body += "<p>This audit cites no profiler trace.</p>"
        } else {
            body += "<ul>" + traces.enumerated().map { index, evidence in
                "<li><a href=\"/runs/\(id)/flamegraph?trace=\(index)\">\(Self.escape(evidence.path))</a> <code>\(evidence.sha256.prefix(12))</code></li>"
            }.joined() + "</ul>"
        }
        body += "</section>\n<section class=\"report\">"
            + HTMLRenderer.body(DocumentBuilder(baselineWindowDays: settings.thresholds.baseline.windowDays).document(report))
            + "</section>"
        return Self.html(Self.page(title: "Assay — \(run.id)", verdict: report.verdict, body: body, script: true))
    }

    func runsPage() async throws -> Response {
        let runs = try await store.runs(limit: 200)
        var body = "<h1>Audits</h1><table><thead><tr><th>Run</th><th>Started</th><th>Host</th><th>Verdict</th><th>Configuration</th></tr></thead><tbody>"
        for run in runs {
            body += "<tr><td><a href=\"/runs/\(Self.escape(run.id))\">\(Self.escape(run.id))</a></td><td>\(Self.escape(Self.time(run.startedAt)))</td>"
                + "<td>\(Self.escape(run.host ?? "—"))</td><td class=\"verdict-\(run.verdict.rawValue.lowercased().replacingOccurrences(of: " ", with: "-"))\">"
                + "\(Self.escape(run.verdict.rawValue))</td><td><code>\(Self.escape(run.configurationPath))</code></td></tr>"
        }
        body += "</tbody></table>" + (runs.isEmpty ? Self.emptyStore : "")
        return Self.html(Self.page(title: "Assay — audits", verdict: nil, body: body))
    }

    func fleetPage() async throws -> Response {
        let list = await hosts()
        var body = "<h1>Fleet</h1>"
        if let error = list.prometheusError { body += "<p class=\"error\">\(Self.escape(error))</p>" }
        body += "<table><thead><tr><th>Host</th><th>Status</th><th>Last audit</th><th>Audits</th><th>Prometheus targets</th></tr></thead><tbody>"
        for host in list.hosts {
            let last = host.lastRunID.map { "<a href=\"/runs/\(Self.escape($0))\">\(Self.escape($0))</a>" } ?? "—"
            let targets = host.targets.map { "\(Self.escape($0.instance)) (\(Self.escape($0.job ?? "?"))): \($0.up ? "up" : "DOWN")" }.joined(separator: "<br>")
            body += "<tr><td>\(Self.escape(host.host))</td><td class=\"verdict-\(host.status.lowercased().replacingOccurrences(of: " ", with: "-"))\">"
                + "\(Self.escape(host.status))</td><td>\(last)</td><td>\(host.runs)</td><td>\(targets.isEmpty ? "—" : targets)</td></tr>"
        }
        body += "</tbody></table>"
        if list.hosts.isEmpty { body += "<p>No host has pushed an audit yet\(settings.prometheusURL == nil ? "; start with --prometheus URL to list scraped targets" : "").</p>" }
        if let url = settings.prometheusURL {
            // The same rows the audit's RESOURCE UTILIZATION gets: a summary per metric, then the breaches, worst first.
            body += "<h2>Utilization over the last 24 h</h2>"
            do {
                let rows = try await FleetCheck.rows(
                    prometheus: url, thresholds: settings.thresholds.resources, scrapeInterval: settings.prometheusScrapeInterval)
                body += "<table><thead><tr><th>Check</th><th>Observed</th><th>Threshold</th><th>Status</th></tr></thead><tbody>"
                for row in rows {
                    body += "<tr><td>\(Self.escape(row.check))</td><td>\(Self.escape(row.observed))</td><td>\(Self.escape(row.expected ?? "—"))</td>"
                        + "<td class=\"\(row.status == .pass ? "pass" : "breach")\">\(HTMLRenderer.status(row.statusLabel ?? row.status.rawValue))</td></tr>"
                }
                body += "</tbody></table>"
            } catch {
                body += "<p class=\"error\">\(Self.escape("\(error)"))</p>"
            }
        }
        return Self.html(Self.page(title: "Assay — fleet", verdict: nil, body: body))
    }

    func reproPage() async throws -> Response {
        let entries = try await reproEntries(limit: 200)
        var body = "<h1>Reproducibility history</h1><table><thead><tr><th>Recorded</th><th>Seed</th><th>Reproducible</th><th>Entry</th></tr></thead><tbody>"
        for entry in entries {
            let command = entry.entry?["command"]?.string ?? entry.entry?["name"]?.string ?? entry.id
            body += "<tr><td>\(Self.escape(Self.time(entry.recordedAt)))</td><td>\(entry.seed)</td>"
                + "<td class=\"\(entry.reproducible ? "pass" : "breach")\">\(entry.reproducible ? "yes" : "NO")</td><td><code>\(Self.escape(command))</code></td></tr>"
        }
        body += "</tbody></table>" + (entries.isEmpty ? "<p>No reproducibility check stored yet (<code>assay repro</code> stores one).</p>" : "")
        return Self.html(Self.page(title: "Assay — reproducibility", verdict: nil, body: body))
    }

    static let emptyStore = "<p>The store holds no audit yet. Run <code>assay audit</code>, or push one: <code>assay push --server URL --token …</code>.</p>"

    static func page(title: String, verdict: Verdict?, body: String, script: Bool = false) -> String {
        let navigation = """
            <nav><a href="/">Dashboard</a> <a href="/runs">Audits</a> <a href="/fleet">Fleet</a> \
            <a href="/reproducibility">Reproducibility</a> <a href="/api/v1/openapi.json">API</a></nav>

            """
        return HTMLRenderer.page(
            title: title, bodyClass: verdict.map { $0.rawValue.lowercased().replacingOccurrences(of: " ", with: "-") } ?? "plain",
            css: DashboardPage.stylesheet, head: script ? "<script src=\"/assets/dashboard.js\" defer></script>\n" : "",
            body: navigation + body + "\n")
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func escape(_ text: String) -> String { TextEscaping.xml(text) }

    static func time(_ date: Date) -> String { date.formatted(.iso8601) }
}
