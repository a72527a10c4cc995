import AssayTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `assay watch` on the example service under load: its slow switch turned on escalates after the sustain
/// window (plus at most one evaluation), not before; turned off, the alert resolves; the webhook hears both.
extension LoadTests {
@Suite(.serialized, .enabled(if: ExternalTool.available(["python3"]), "needs python3"))
struct WatchTests {
    /// Keeps `workers` clients posting predictions until stopped.
    final class Load: Sendable {
        let running = Atomic<Bool>(true)
        let sent = Atomic<Int>(0)

        func run(port: Int, workers: Int) async {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var i = 0
                        while self.running.load(ordering: .relaxed) {
                            let body = #"{"id":"w\#(worker)-\#(i)","features":[\#(i % 3),1,2,0,-1,2,1,0]}"#
                            _ = try? await ExampleServerTests.post(port, Data(body.utf8))
                            self.sent.add(1, ordering: .relaxed)
                            i += 1
                        }
                    }
                }
            }
        }
    }

    @Test func slowSwitchEscalatesAfterTheSustainWindowAndClears() async throws {
        let directory = try CLITests.temporaryDirectory()
        let slowFile = directory + "/slow"
        let server = try await ExampleServerTests.start(["--slow-stage", "inference", "--slow-ms", "8", "--slow-switch", slowFile])
        defer { server.stop() }
        let webhook = try await LoopbackServer.webhookRecorder()
        defer { webhook.stop() }
        try """
            version: 1
            workspace:
              service: example
            integrations:
              webhooks: [\(webhook.url)/hook]
            thresholds:
              # Closed-loop load: throughput falls with any slowdown and with the watcher's own CPU; latency rules only.
              regression: {escalate_after_seconds: 3, p95_over_baseline_ms: 5, throughput_drop_rps: 100000}
            """.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)

        let load = Load()
        let loadTask = Task { await load.run(port: server.port, workers: 3) }
        defer { load.running.store(false, ordering: .relaxed) }
        // A known-good baseline: the first second and a half of normal load.
        try await Task.sleep(for: .milliseconds(1500))
        try FileManager.default.copyItem(atPath: server.latencyLog, toPath: directory + "/baseline.jsonl")

        let watch = Task.detached {
            try CLITests.assay(
                ["watch", "--log", server.latencyLog, "--baseline-log", "baseline.jsonl", "--window", "2", "--interval", "1",
                 "--evaluations", "15", "--format", "json", "--state", "state.json"], in: directory)
        }
        let started = Date()
        try await Task.sleep(for: .seconds(3))
        #expect(FileManager.default.createFile(atPath: slowFile, contents: nil))
        let slowOn = Date()
        try await Task.sleep(for: .seconds(6))
        try FileManager.default.removeItem(atPath: slowFile)
        let slowOff = Date()
        let result = try await watch.value
        load.running.store(false, ordering: .relaxed)
        await loadTask.value
        #expect(load.sent.load(ordering: .relaxed) > 200)

        let lines = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 15, "\(result.stderr)")
        func time(_ line: [String: Any]) -> Date? { (line["at"] as? String).flatMap { try? Date($0, strategy: .iso8601) } }
        func firstEvent(_ kind: String) -> Date? {
            lines.first { (($0["events"] as? [[String: Any]]) ?? []).contains { $0["rule"] as? String == "p95_over_baseline" && $0["kind"] as? String == kind } }
                .flatMap(time)
        }
        let pending = try #require(firstEvent("pending"), "\(result.stdout)")
        let firing = try #require(firstEvent("firing"), "\(result.stdout)")
        let resolved = try #require(firstEvent("resolved"), "\(result.stdout)")
        #expect(pending > started && pending.timeIntervalSince(slowOn) > -1.05, "pending before the switch")
        // ISO 8601 stamps in the output are whole seconds: allow one second of rounding each way.
        #expect(firing.timeIntervalSince(pending) >= 2, "fired before the sustain window")
        #expect(firing.timeIntervalSince(pending) <= 3 + 1 + 1.5, "fired later than the sustain window plus one evaluation")
        #expect(resolved > slowOff.addingTimeInterval(-1))
        // Grouped: one POST when the latency rules fired together, one when they resolved; no repeats.
        let p95Changes = webhook.posts.flatMap { ($0["alerts"] as? [[String: Any]]) ?? [] }
            .filter { $0["rule"] as? String == "p95_over_baseline" }.map { $0["status"] as? String }
        #expect(p95Changes == ["firing", "resolved"], "\(webhook.posts)")
        #expect(webhook.posts.count <= 4)
        #expect(result.status == 0, "\(result.stdout)")
    }
}
}
