import AssayCore
import AssayStore
import Foundation
import Testing

/// The store survives its writers being killed at any moment (SIGKILL: no handler runs): every reopen finds a
/// sound file, and everything it holds is whole.
extension LoadTests {
    @Suite(.serialized)
    struct CrashSafetyTests {
        @Test func killedAgentsAndImportsNeverCorruptTheStore() async throws {
            let directory = try CLITests.temporaryDirectory()
            try "store:\n  path: .assay/assay.sqlite\n".write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
            let storePath = directory + "/.assay/assay.sqlite"
            var rng = SplitMix64(seed: 2026)
            // An agent writing every 50 ms, killed five times at random moments.
            for round in 0..<5 {
                let agent = try CLITests.launch([
                    "agent", "--listen", "127.0.0.1:\(Int.random(in: 20_000..<60_000))", "--interval", "0.05", "--flush-seconds", "0.05",
                ], in: directory)
                try await Task.sleep(for: .milliseconds(600 + rng.index(below: 400)))
                kill(agent.processIdentifier, SIGKILL)
                agent.waitUntilExit()
                let store = try Store(path: storePath)
                #expect(try store.integrityProblems().isEmpty, "round \(round)")
                let samples = try store.resourceSamples(resolution: "raw", since: .distantPast)
                #expect(!samples.isEmpty || round == 0)
                for sample in samples {
                    #expect((try? JSONSerialization.jsonObject(with: sample.payload)) != nil, "a torn sample in round \(round)")
                }
            }
            // Imports killed anywhere between start and finish: each stored run is whole (its five rows).
            let csv = CLITests.packageRoot + "/Tests/AssayServingTests/Fixtures/perf_analyzer_inception_graphdef.csv"
            for _ in 0..<12 {
                let importer = try CLITests.launch(["loadtest", "import", csv], in: directory)
                try await Task.sleep(for: .milliseconds(rng.index(below: 250)))
                kill(importer.processIdentifier, SIGKILL)
                importer.waitUntilExit()
            }
            let store = try Store(path: storePath)
            #expect(try store.integrityProblems().isEmpty)
            for summary in try store.runs(limit: 100) {
                #expect(try store.run(id: summary.id)?.findings.count == 5, "\(summary.id) is partial")
            }
        }
    }
}

/// Found by the soak: an agent and a server started together on a new store raced to migrate it, and the loser
/// stopped with "table run already exists". Eight processes opening one new store at once must all succeed.
@Suite struct ConcurrentFirstOpenTests {
    @Test func processesOpeningANewStoreTogetherAllSucceed() throws {
        for round in 0..<3 {
            let directory = try CLITests.temporaryDirectory()
            let processes = try (0..<8).map { _ -> Process in
                let process = try CLITests.launch(["token", "list"], in: directory)
                return process
            }
            for process in processes { process.waitUntilExit() }
            #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "round \(round): \(processes.map(\.terminationStatus))")
            #expect(try Store(path: directory + "/.assay/assay.sqlite").integrityProblems().isEmpty)
        }
    }
}
