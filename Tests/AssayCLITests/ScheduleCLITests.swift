import AssayCore
import AssayTestSupport
import Foundation
import Testing

/// `assay schedule` with a 1-second period: it audits, stores each run, and notifies a real webhook once when a
/// planted finding appears, not again while it persists, and once more when it clears.
extension LoadTests {
    @Suite(.serialized)
    struct ScheduleCLITests {
        @Test func notifiesOnceWhenAPlantedFindingAppearsAndOnceWhenItClears() async throws {
            let directory = try CLITests.temporaryDirectory()
            let model = Data("weights v1\n".utf8)
            try model.write(to: URL(fileURLWithPath: directory + "/model.bin"))
            let webhook = try await LoopbackServer.webhookRecorder()
            defer { webhook.stop() }
            try """
                workspace:
                  service: scheduled
                  artifacts:
                    - {name: classifier, kind: model, path: model.bin, approved_sha256: \(FileDigest.sha256(of: model))}
                verdict:
                  required_layers: [environment]
                integrations:
                  webhooks: [\(webhook.url)/hook]
                schedule:
                  tick: 1s
                  jobs:
                    - {name: environment-check, kind: environment, every: 1s}
                """.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)

            let out = Pipe()
            let scheduler = try CLITests.launch(["schedule", "--ticks", "10"], in: directory, output: out)
            defer { if scheduler.isRunning { scheduler.terminate() } }

            func runsSoFar() -> Int {
                let state = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/.assay/schedule-state.json"))) as? [String: Any]
                return (state?["environment-check"] as? [String: Any])?["last_run_id"] == nil ? 0 : 1
            }
            // Two clean runs, then the planted change; two runs with it, then the fix.
            try await Task.sleep(for: .seconds(2.5))
            #expect(runsSoFar() == 1)
            #expect(webhook.posts.isEmpty, "a clean run is no news: \(webhook.posts)")
            try Data("weights v2 (unapproved)\n".utf8).write(to: URL(fileURLWithPath: directory + "/model.bin"))
            try await Task.sleep(for: .seconds(3))
            #expect(webhook.posts.count == 1, "\(webhook.posts)")
            try model.write(to: URL(fileURLWithPath: directory + "/model.bin"))
            scheduler.waitUntilExit()
            #expect(scheduler.terminationStatus == 0)
            let posts = webhook.posts
            #expect(posts.count == 2, "\(posts)")
            #expect(posts.first?["status"] as? String == "firing")
            #expect(posts.last?["status"] as? String == "resolved")
            let alert = (posts.first?["alerts"] as? [[String: Any]])?.first
            #expect((alert?["condition"] as? String)?.contains("Model Binary") == true, "\(String(describing: alert))")
            let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(printed.split(separator: "\n").filter { $0.contains("environment-check: environment") }.count >= 8, "\(printed)")

            // Every run was stored.
            let list = try CLITests.assay(["report", "--list"], in: directory)
            #expect(list.stdout.split(separator: "\n").count >= 8)
            // A second scheduler cannot start while one holds the lock.
            let first = try CLITests.launch(["schedule", "--ticks", "3"], in: directory)
            try await Task.sleep(for: .milliseconds(700))
            let second = try CLITests.assay(["schedule", "--once"], in: directory)
            #expect(second.status == 69 && second.stderr.contains("another assay schedule holds the lock"), "\(second.stderr)")
            first.waitUntilExit()
        }
    }
}
