import AssayCore
import AssayStore
import AssayTestSupport
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
            // An agent sampling every 50 ms (and, by default, writing each sample as it is taken), killed five times at
            // random moments: it loses at most the interval in progress (plus scheduling slack on a loaded machine).
            for round in 0..<5 {
                let launched = Date()
                let agent = try CLITests.launch([
                    "agent", "--listen", "127.0.0.1:\(Int.random(in: 20_000..<60_000))", "--interval", "0.05",
                ], in: directory)
                // Once it has stored its first sample (a sanitizer build starts slowly), at a random moment.
                for _ in 0..<200 {
                    let stored = try Store(path: storePath).resourceSamples(resolution: "raw", since: launched)
                    if !stored.isEmpty { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Task.sleep(for: .milliseconds(200 + rng.index(below: 600)))
                let killed = Date()
                kill(agent.processIdentifier, SIGKILL)
                agent.waitUntilExit()
                let store = try Store(path: storePath)
                #expect(try store.integrityProblems().isEmpty, "round \(round)")
                let samples = try store.resourceSamples(resolution: "raw", since: .distantPast)
                for sample in samples {
                    #expect((try? JSONSerialization.jsonObject(with: sample.payload)) != nil, "a torn sample in round \(round)")
                }
                let newest = try #require(samples.map(\.time).filter { $0 > launched }.max(), "round \(round) stored nothing")
                #expect(killed.timeIntervalSince(newest) < 0.05 + 0.4, "round \(round) lost \(killed.timeIntervalSince(newest)) s")
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

extension LoadTests.CrashSafetyTests {
    /// `assay audit` killed anywhere in its run, the report writing included: each report file is whole and cites a
    /// run the store holds, and no temporary file outlives the next audit.
    @Test func auditKilledMidwayLeavesThePreviousReportWhole() async throws {
        let directory = try CLITests.temporaryDirectory()
        let workspace = directory + "/example"
        try ExternalTool.run(["cp", "-R", CLITests.packageRoot + "/Examples/InferenceService", workspace], in: directory)
        for leftover in [".assay", "assay-report"] { try? FileManager.default.removeItem(atPath: workspace + "/" + leftover) }
        // The example service runs from `{assay_dir}`, the directory of the assay binary under test.
        let yaml = try String(contentsOfFile: workspace + "/assay.yaml", encoding: .utf8)
            .replacingOccurrences(of: "runs: 3", with: "runs: 2")
            // Without the previous run's comparison (seconds of bootstrap in a debug build) the audit takes under a
            // second, so a dozen kills stay cheap.
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("previous_logs") && !$0.contains("previous_traces") }
            .joined(separator: "\n")
        try yaml.write(toFile: workspace + "/assay.yaml", atomically: true, encoding: .utf8)
        let reports = workspace + "/assay-report"

        func audit() throws -> (process: Process, seconds: Double) {
            let started = Date()
            let process = try CLITests.launch(["audit"], in: workspace)
            process.waitUntilExit()
            return (process, Date().timeIntervalSince(started))
        }
        func runIDs() throws -> [String] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reports + "/report.json")))
            let markdown = try String(contentsOfFile: reports + "/report.md", encoding: .utf8)
            let html = try String(contentsOfFile: reports + "/report.html", encoding: .utf8)
            #expect(markdown.contains("**Final Verdict:**") && html.hasSuffix("</html>\n"))
            let jsonID = try #require(((json as? [String: Any])?["run"] as? [String: Any])?["id"] as? String)
            let markdownID = try #require(markdown.firstMatch(of: /Run `([^`]+)`/)?.1)
            return [jsonID, String(markdownID)]
        }

        let first = try audit()
        #expect([0, 1, 2, 3].contains(first.process.terminationStatus))
        _ = try runIDs()
        var rng = SplitMix64(seed: 7)
        for round in 0..<12 {
            // From the middle of the run to just past its usual end, where the reports are written.
            let delay = first.seconds * (0.5 + 0.6 * Double(rng.index(below: 1_000)) / 1_000)
            let process = try CLITests.launch(["audit"], in: workspace)
            try await Task.sleep(for: .milliseconds(Int(delay * 1_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Whole files, each citing a run the store holds (the run is stored before its report is written).
            let ids = try runIDs()
            let store = try Store(path: workspace + "/.assay/assay.sqlite")
            #expect(try store.integrityProblems().isEmpty)
            #expect(try ids.allSatisfy { try store.run(id: $0) != nil }, "round \(round): a report of a run the store lacks")
        }
        _ = try audit()
        _ = try runIDs()
        let stray = try FileManager.default.contentsOfDirectory(atPath: reports).filter { $0.hasPrefix(".") }
        #expect(stray.isEmpty, "\(stray)")
    }
}

/// Found by the soak: an agent and a server started together on a new store raced to migrate it, and the loser
/// stopped with "table run already exists". Eight processes opening one new store at once must all succeed.
@Suite struct ConcurrentFirstOpenTests {
    @Test func processesOpeningANewStoreTogetherAllSucceed() throws {
        for round in 0..<3 {
            let directory = try CLITests.temporaryDirectory()
            let errors = (0..<8).map { _ in Pipe() }
            let processes = try errors.map { error in
                let process = try CLITests.assayProcess(["token", "list"], in: directory)
                process.standardOutput = FileHandle.nullDevice
                process.standardError = error
                try process.run()
                return process
            }
            for process in processes { process.waitUntilExit() }
            let messages = errors.map { String(decoding: $0.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            #expect(
                processes.allSatisfy { $0.terminationStatus == 0 },
                "round \(round): \(processes.map(\.terminationStatus)) \(messages.filter { !$0.isEmpty })")
            #expect(try Store(path: directory + "/.assay/assay.sqlite").integrityProblems().isEmpty)
        }
    }
}
