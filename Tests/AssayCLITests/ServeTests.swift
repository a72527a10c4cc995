import AssayCore
import AssayTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `assay serve` as a user meets it: the example's audit on the dashboard, drawn by a real headless Chromium
/// (charts rendered, no script errors, a screenshot kept), the pictures of its report.html (screenshot kept too),
/// then a CI job pushing its audit with a token.
extension LoadTests {
    @Suite(.serialized, .enabled(if: ExternalTool.available(["chromium"]), "needs chromium (Debian) for the headless dashboard check"))
    struct ServeTests {
        /// Where screenshots go: $ASSAY_ARTIFACTS_DIR (CI sets it), else .build/test-artifacts.
        static var artifacts: String {
            ProcessInfo.processInfo.environment["ASSAY_ARTIFACTS_DIR"] ?? CLITests.packageRoot + "/.build/test-artifacts"
        }

        static func chromium(_ arguments: [String], url: String) throws -> (stdout: String, stderr: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                                 "--user-data-dir=" + (try TestFiles.temporaryDirectory("chromium-profile"))] + arguments + [url]
            let (stdout, stderr) = try ExternalTool.capture(process)
            return (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
        }

        @Test func aUserSeesTheExampleAuditItsChartsAndAPushedRun() async throws {
            // The example, audited in a copy so the README's store stays untouched.
            let directory = try CLITests.temporaryDirectory()
            let example = directory + "/example"
            try ExternalTool.run(["cp", "-R", CLITests.packageRoot + "/Examples/InferenceService", example], in: directory)
            try? FileManager.default.removeItem(atPath: example + "/.assay")
            let audit = try CLITests.assay(["audit", "--output", "report"], in: example)
            #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
            // The example's recordings are declared fixtures: every row they feed says so, none is stale.
            let markdown = try String(contentsOfFile: example + "/report/report.md", encoding: .utf8)
            #expect(markdown.contains("`runs/telemetry.jsonl#L1-60` · `sha256:6342b6fc7de2` · recorded 2026-11-29, replayed"), "\(markdown)")
            #expect(!markdown.contains("Stale"))
            // Every chart's caption names its file, sha256, count and window.
            let html = try String(contentsOfFile: example + "/report/report.html", encoding: .utf8)
            #expect(html.contains("Source: runs/telemetry.jsonl#L1-60 sha256:6342b6fc7de2, 60 samples, 2026-11-29T04:28:35Z to 2026-11-29T04:29:05Z."))
            #expect(html.contains("Source: runs/latency.jsonl#L1-2000 sha256:cd5f7ce721d5, 2000 requests, 2026-11-29T03:39:41Z."))
            #expect(html.contains("sha256:e97ec2067991, 10 load steps, 2026-11-29T07:03:51Z."))
            // Without the declaration they are 8 days old and more at audit time: stale, AT RISK.
            let yaml = try String(contentsOfFile: example + "/assay.yaml", encoding: .utf8)
            try yaml.replacingOccurrences(of: "  fixtures: true\n", with: "").write(toFile: example + "/stale.yaml", atomically: true, encoding: .utf8)
            let stale = try CLITests.assay(["audit", "--config", "stale.yaml", "--no-store", "--output", "stale-report"], in: example)
            #expect(stale.status == 2 && stale.stdout.contains("(unverified)"), "\(stale.stdout)")
            let staleReport = try String(contentsOfFile: example + "/stale-report/report.md", encoding: .utf8)
            #expect(staleReport.contains("⚠️ Stale") && staleReport.contains("stale: recorded 2026-11-29, "), "\(staleReport)")
            // The report's pictures, drawn by the browser from the self-contained report.html.
            let reportURL = URL(fileURLWithPath: example + "/report/report.html").absoluteString
            let (reportDOM, reportLog) = try Self.chromium(["--dump-dom"], url: reportURL)
            for id in ["resource-cpu-utilization", "latency-cdf-inference", "latency-cdf-total", "capacity-curve"] {
                #expect(reportDOM.contains(#"id="\#(id)""#), "report.html has no chart \(id): \(reportLog.suffix(1000))")
            }
            #expect(reportDOM.components(separatedBy: #"<polyline class="series""#).count > 9)
            #expect(reportDOM.contains(#"class="flamegraph""#) && reportDOM.contains("Flamegraph of runs/trace.json"), "the cited trace's flamegraph")
            #expect(!reportDOM.contains("<script"))
            // Status marks are badges with words, never emoji, so the page draws the same without an emoji font (this
            // machine has none: Debian's chromium brings no emoji font).
            let emoji = { (text: String) in text.unicodeScalars.filter { $0.properties.isEmojiPresentation || $0.value == 0xFE0F } }
            #expect(emoji(reportDOM).isEmpty, "emoji in report.html: \(String(String.UnicodeScalarView(emoji(reportDOM))))")
            #expect(reportDOM.contains(#"<span class="badge pass">HEALTHY</span>"#))
            try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
            let reportShot = Self.artifacts + "/report.png"
            _ = try Self.chromium(["--hide-scrollbars", "--window-size=1280,6000", "--screenshot=" + reportShot], url: reportURL)
            let reportPNG = try Data(contentsOf: URL(fileURLWithPath: reportShot))
            #expect(reportPNG.count > 50_000 && reportPNG.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))

            let secret = try CLITests.assay(["token", "create", "ci-pipeline"], in: example).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secret.hasPrefix("assay_") && secret.count == 70)

            let port = Int.random(in: 20_000..<60_000)
            let server = try CLITests.launch(["serve", "--listen", "127.0.0.1:\(port)"], in: example)
            defer { if server.isRunning { server.terminate() } }
            let base = "http://127.0.0.1:\(port)"
            var ready = false
            for _ in 0..<100 where !ready {
                if let (_, response) = try? await URLSession.shared.data(from: URL(string: base + "/healthz")!) {
                    ready = (response as? HTTPURLResponse)?.statusCode == 200
                }
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(ready, "assay serve did not start")

            let (dom, log) = try Self.chromium(["--virtual-time-budget=10000", "--dump-dom"], url: base + "/")
            #expect(dom.contains("data-charts=\"rendered\""), "charts not rendered: \(log.suffix(2000))")
            #expect(!dom.contains("data-errors"), "\(dom.prefix(600))")
            #expect(dom.contains("id=\"latency-chart\"") && dom.contains("data-state=\"drawn\""))
            // The unit heads the tick column above the plot (y 14), clear of the top tick (y 28 and below).
            #expect(dom.contains(##"y="14" text-anchor="end" fill="#57606a" class="unit">ms</text>"##), "\(dom.components(separatedBy: "latency-chart").last?.prefix(1500) ?? "")")
            #expect(dom.contains("assay-example") && dom.contains("ENVIRONMENT INTEGRITY") && dom.contains("runs/trace.json"))
            #expect(emoji(dom).isEmpty, "emoji on the dashboard: \(String(String.UnicodeScalarView(emoji(dom))))")
            let consoleErrors = log.split(separator: "\n").filter { $0.contains(":CONSOLE") && ($0.contains("Uncaught") || $0.contains("rror")) }
            #expect(consoleErrors.isEmpty, "\(consoleErrors)")
            try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
            let screenshot = Self.artifacts + "/dashboard.png"
            _ = try Self.chromium(["--virtual-time-budget=10000", "--hide-scrollbars", "--window-size=1280,1600", "--screenshot=" + screenshot], url: base + "/")
            let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
            #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
            let (flamegraph, _) = try await URLSession.shared.data(from: URL(string: base + "/runs/latest/flamegraph")!)
            #expect(String(decoding: flamegraph, as: UTF8.self).contains("<svg"))

            // A CI job with its own store pushes its audit.
            let ci = try CLITests.temporaryDirectory()
            #expect(try CLITests.assay(["init"], in: ci).status == 0)
            #expect(try CLITests.assay(["audit", "--output", "out"], in: ci).status == 2)
            try (secret + "\n").write(toFile: ci + "/token", atomically: true, encoding: .utf8)
            let refused = try CLITests.assay(["push", "--server", base], in: ci, environment: ["ASSAY_TOKEN": "assay_wrong"])
            #expect(refused.status == 69 && refused.stderr.contains("HTTP 401"), "\(refused.stderr)")
            let pushed = try CLITests.assay(["push", "--server", base, "--token-file", "token"], in: ci)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let pushedID = try #require(pushed.stdout.split(separator: " ").dropFirst().first.map(String.init))
            let (runs, _) = try await URLSession.shared.data(from: URL(string: base + "/api/v1/runs")!)
            #expect(String(decoding: runs, as: UTF8.self).contains("\"id\":\"\(pushedID)\""))
            let (fleet, _) = try await URLSession.shared.data(from: URL(string: base + "/fleet")!)
            #expect(String(decoding: fleet, as: UTF8.self).contains(pushedID))
            let (page, _) = try await URLSession.shared.data(from: URL(string: base + "/")!)
            #expect(String(decoding: page, as: UTF8.self).contains(pushedID), "the pushed audit is the newest")
            server.interrupt()
            server.waitUntilExit()
            #expect(server.terminationStatus == 0)
        }
    }
}
