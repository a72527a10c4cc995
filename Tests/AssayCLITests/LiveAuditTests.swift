import AssayCore
import AssayTestSupport
import Foundation
import Testing

@testable import AssayIntegrations

/// `assay audit --live` when the service misbehaves: a clear error, exit 69, and no process left behind.
@Suite struct LiveAuditTests {
    static func workspace(command: String, window: Int = 5) throws -> String {
        let directory = try CLITests.temporaryDirectory()
        try """
            version: 1
            workspace:
              live:
                command: ["/bin/sh", "-c", \(command)]
                ready_path: /
                window_seconds: \(window)
                warmup_seconds: 0
                startup_timeout_seconds: 10
              capacity:
                measurement: capacity.json
                current_rps: 5
            """.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    /// Processes whose command line names this marker.
    static func survivors(_ marker: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid in
            guard Int(pid) != nil, let line = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return nil }
            let text = line.replacingOccurrences(of: "\0", with: " ")
            return text.contains(marker) && !text.contains("assay audit") ? "\(pid): \(text)" : nil
        }
    }

    @Test func aServiceThatExitsAtOnceIsExit69() throws {
        let directory = try Self.workspace(command: #""echo starting; exit 3""#)
        let result = try CLITests.assay(["audit", "--live", "--no-capacity", "--no-store"], in: directory)
        #expect(result.status == 69, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("the service exited with status 3") && result.stderr.contains("starting"), "\(result.stderr)")
    }

    @Test func aServiceThatAnswersNothingUsefulIsStoppedWithItsChildren() throws {
        // Ready on GET / but every POST fails (http.server answers 501), and a child of its own that must go too.
        let marker = "assay-live-test-\(UInt32.random(in: 0..<UInt32.max))"
        let directory = try Self.workspace(
            command: #""(sleep 600; echo \#(marker)) & exec python3 -m http.server {port} --bind 127.0.0.1 --directory .""#)
        let result = try CLITests.assay(["audit", "--live", "--no-capacity", "--no-store"], in: directory)
        #expect(result.status == 69, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("no request in the live window was answered"), "\(result.stderr)")
        usleep(300_000)
        #expect(Self.survivors(marker).isEmpty, "left behind: \(Self.survivors(marker))")
        #expect(FileManager.default.fileExists(atPath: directory + "/.assay/live"), "the evidence directory is kept")
    }

    /// A healthy service (Python's http.server with Server-Timing), audited live three times: the first run has no
    /// comparison, the second compares with the first, the third drives another rate and is compared with nothing.
    /// The window's record puts the service process, Assay's own CPU and the failed requests into the report.
    @Test func aHealthyServiceIsAuditedAndOnlyALiveRunAtTheSameRateIsItsComparison() throws {
        let script = """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_POST(self):
                    self.rfile.read(int(self.headers["Content-Length"]))
                    self.send_response(200)
                    self.send_header("Server-Timing", "preprocess;dur=0.4, inference;dur=3.1, postprocess;dur=0.2")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                def do_GET(self):
                    self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
                def log_message(self, *args): pass
            http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """
        let directory = try Self.workspace(command: #""exec python3 service.py {port}""#)
        try script.write(toFile: directory + "/service.py", atomically: true, encoding: .utf8)
        func audit() throws -> (CLITests.Result, [String: Any]) {
            let result = try CLITests.assay(["audit", "--live", "--no-capacity", "--format", "json"], in: directory)
            let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
            return (result, report)
        }
        func rows(_ report: [String: Any], _ layer: String) -> [String: [String: Any]] {
            let layers = report["layers"] as? [[String: Any]] ?? []
            let findings = layers.first { $0["layer"] as? String == layer }?["findings"] as? [[String: Any]] ?? []
            return Dictionary(findings.map { ($0["check"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        }
        let (first, report) = try audit()
        #expect(first.stderr.contains("no previous live run"), "\(first.stderr)")
        let resources = rows(report, "resources")
        #expect(resources["Service process CPU (% of one core)"] != nil && resources["Assay's own CPU (% of one core)"] != nil, "\(resources.keys)")
        #expect(rows(report, "latency")["Failed requests (live window)"]?["status"] as? String == "pass")
        let (second, _) = try audit()
        #expect(second.stderr.contains("previous live run: .assay/live/"), "\(second.stderr)")
        let yaml = try String(contentsOfFile: directory + "/assay.yaml", encoding: .utf8)
        try yaml.replacingOccurrences(of: "current_rps: 5", with: "current_rps: 6").write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let (third, _) = try audit()
        #expect(third.stderr.contains("drove 5.0 req/s, this one 6.0: not compared"), "\(third.stderr)")
        #expect(Self.survivors("service.py").isEmpty)
    }

    @Test func aBadLiveSectionIsExit65AndNoLiveSectionIsAUsageError() throws {
        for (section, message) in [
            ("  live:\n    command: []\n", "command"), ("  live:\n    command: [x]\n    window_seconds: -1\n", "window_seconds"),
            ("  live:\n    command: [x]\n    window_seconds: 2\n", "at least 5 seconds"), ("  live:\n    command: [x]\n    colour: red\n", "colour"),
            ("  live:\n    command: [x]\n    keep_runs: 0\n", "keep_runs"),
        ] {
            let directory = try CLITests.temporaryDirectory()
            try ("version: 1\nworkspace:\n" + section).write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
            let result = try CLITests.assay(["audit", "--live", "--no-store"], in: directory)
            #expect(result.status == 65 && result.stderr.contains("assay.yaml:") && result.stderr.contains(message), "\(section): \(result.stderr)")
        }
        let directory = try CLITests.temporaryDirectory()
        try "version: 1\n".write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let result = try CLITests.assay(["audit", "--live", "--no-store"], in: directory)
        #expect(result.status == 64 && result.stderr.contains("workspace.live"), "\(result.stderr)")
    }

    @Test func serverTimingIsParsedAsTheW3CWritesIt() {
        let stages = LiveLoad.serverTiming(#"preprocess;dur=0.41, inference;desc="ORT";dur=5.2,cache;desc=hit, postprocess;dur="0.05", total;dur=5.7"#)
        #expect(stages.map(\.name) == ["preprocess", "inference", "postprocess", "total"])
        #expect(stages.map(\.milliseconds) == [0.41, 5.2, 0.05, 5.7])
        #expect(LiveLoad.serverTiming("garbage;;, ;dur=1, x;dur=nan").isEmpty)
        let request = LiveLoad.Request(
            id: "live-0", offsetSeconds: 0, startedAt: Date(timeIntervalSince1970: 1_796_601_600), clientMilliseconds: 9,
            serverStages: [("preprocess", 1), ("inference", 5), ("postprocess", 0.5), ("total", 6.5)], status: 200)
        var failed = request
        failed.status = 503
        let log = LiveLoad.latencyLog([request, failed], stages: ["preprocess", "inference", "postprocess"])
        #expect(log == #"{"request_id":"live-0","started_at":"2026-12-07T00:00:00.000Z","preprocess_ms":1.0000,"inference_ms":5.0000,"postprocess_ms":0.5000,"network_ms":2.5000,"total_ms":9.0000}"# + "\n")
    }
}
