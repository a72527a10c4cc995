import AssayCore
import AssayStore
import AssayTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The slim `assay-agent` binary: the same agent as `assay agent`, sampling into SQLite and serving /metrics.
@Suite(.serialized) struct SlimAgentTests {
    static func run(_ arguments: [String], in directory: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLITests.binary("assay-agent"))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func samplesIntoSQLiteServesMetricsAndStopsCleanly() async throws {
        let directory = try TestFiles.temporaryDirectory("assay-slim-agent")
        let port = Int.random(in: 20_000..<60_000)
        let agent = try Self.run(["--listen", "127.0.0.1:\(port)", "--interval", "0.2"], in: directory)
        defer { if agent.isRunning { agent.terminate() } }
        var metrics = ""
        for _ in 0..<100 where !metrics.contains("node_cpu_seconds_total") {
            if let (body, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) {
                metrics = String(decoding: body, as: UTF8.self)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(metrics.contains("node_cpu_seconds_total") && metrics.contains("assay_"))
        try await Task.sleep(for: .seconds(1))
        agent.terminate()
        agent.waitUntilExit()
        #expect(agent.terminationStatus == 0)
        let store = try Store(path: directory + "/.assay/assay.sqlite")
        #expect(try store.resourceSamples(resolution: "raw", since: Date().addingTimeInterval(-60)).count >= 3)
    }

    /// A PostgreSQL store is refused with what to run instead, as malformed input (65), not silently ignored.
    @Test func aPostgresStoreIsRefusedWithWhatToRunInstead() throws {
        let directory = try TestFiles.temporaryDirectory("assay-slim-agent-pg")
        try "version: 1\nstore:\n  kind: postgres\n  url: postgres://assay@127.0.0.1:1/assay\n".write(
            toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try CLITests.binary("assay-agent"))
        process.arguments = ["--listen", "127.0.0.1:\(Int.random(in: 20_000..<60_000))"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let (_, stderr) = try ExternalTool.capture(process)
        #expect(process.terminationStatus == 65)
        #expect(String(decoding: stderr, as: UTF8.self).contains("run `assay agent` for PostgreSQL"))
    }
}
