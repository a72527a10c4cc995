import AssayCore
import AssayReproducibility
import Foundation
import AssayTestSupport
import Testing

@Suite struct ReproRunnerTests {
    func configuration(_ script: String, outputs: [String] = ["out.txt"], timeout: Double = 30) throws -> ReproSettings {
        let root = try TestFiles.temporaryDirectory("assay-repro-ws")
        let command = InferenceCommand(
            command: ["/bin/sh", "-c", script, "sh", "{seed}", "{output}"], seed: 42, outputs: outputs, timeoutSeconds: timeout)
        return ReproSettings(workspace: WorkspaceRoot(root: root, configurationPath: root + "/assay.yaml"), service: "svc", inference: command)
    }

    func check(_ settings: ReproSettings, runs: Int = 3, variations: [Variation]? = nil) throws -> ReproducibilityCheckRunner.Outcome {
        try ReproducibilityCheckRunner(settings: settings).run(runs: runs, variations: variations, id: "t-\(UUID().uuidString.prefix(8))")
    }

    func variationRow(_ outcome: ReproducibilityCheckRunner.Outcome, _ variation: Variation) throws -> Finding {
        try #require(outcome.findings.first { $0.check == "Variation: \(variation.title)" })
    }

    @Test func timezoneVariationFindsATimezoneDependentOutput() throws {
        // Planted: the output holds the local hour, which depends on TZ.
        let configuration = try configuration(#"date +%H > "$2/out.txt""#)
        let outcome = try check(configuration, runs: 2, variations: [.timezone, .threads])
        #expect(outcome.findings.first { $0.check == "Output Checksum: out.txt" }?.status == .pass)
        let tz = try variationRow(outcome, .timezone)
        #expect(tz.status == .breach)
        #expect(tz.statusLabel == "❌ Sensitive")
        #expect(try variationRow(outcome, .threads).status == .pass)
        let ticket = try String(contentsOfFile: try #require(outcome.ticketPath), encoding: .utf8)
        #expect(ticket.contains("out.txt (run 3, tz varied, vs run 1)"))
        #expect(ticket.contains("| 3 | time zone (TZ) |"))
    }

    @Test func threadVariationFindsAThreadCountDependentOutput() throws {
        // Planted: a "reduction" whose result depends on the number of threads.
        let configuration = try configuration(#"echo "sum=$((1000 / ${OMP_NUM_THREADS:-4}))" > "$2/out.txt""#)
        let outcome = try check(configuration, runs: 2, variations: Variation.allCases)
        #expect(try variationRow(outcome, .threads).status == .breach)
        for variation in Variation.allCases where variation != .threads {
            #expect(try variationRow(outcome, variation).status == .pass, "\(variation)")
        }
        #expect(outcome.entry.runs.count == 2 + Variation.allCases.count)
    }

    @Test func environmentOrderVariationFindsAnOrderDependentOutput() throws {
        // Planted: the output lists the environment in the order the process received it.
        let configuration = try configuration(#"env | cut -d= -f1 > "$2/out.txt""#)
        let outcome = try check(configuration, runs: 2, variations: [.environmentOrder])
        #expect(outcome.findings.first { $0.check == "Output Checksum: out.txt" }?.status == .pass)
        #expect(try variationRow(outcome, .environmentOrder).status == .breach)
    }

    @Test func homeUmaskAndCwdVariationsAreApplied() throws {
        let configuration = try configuration(#"printf '%s %s %s\n' "$HOME" "$(umask)" "$PWD" > "$2/out.txt""#)
        let outcome = try check(configuration, runs: 2, variations: [.home, .umask, .cwd, .locale])
        #expect(try variationRow(outcome, .home).status == .breach)
        #expect(try variationRow(outcome, .umask).status == .breach)
        #expect(try variationRow(outcome, .cwd).status == .breach)
        #expect(try variationRow(outcome, .locale).status == .pass)
    }

    @Test func deterministicCommandReproduces() throws {
        let configuration = try configuration(#"printf 'seed=%s\n' "$1" > "$2/out.txt""#)
        let outcome = try check(configuration)
        #expect(outcome.entry.reproducible)
        #expect(outcome.findings.map(\.status) == [.pass, .pass])
        #expect(outcome.ticketPath == nil)
        #expect(outcome.entry.runs.count == 3)
        let log = try ReproLog.read(path: configuration.workspace.resolve(".assay/reproducibility_logs.json"))
        #expect(log.entries.map(\.id) == [outcome.entry.id])
        #expect(outcome.findings[1].primaryEvidence.locator == outcome.entry.id)
    }

    @Test func nondeterministicCommandFailsWithATicketNamingTheDifference() throws {
        let configuration = try configuration(#"printf 'stable line\nvalue=%s\n' "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" > "$2/out.txt""#)
        let outcome = try check(configuration)
        #expect(!outcome.entry.reproducible)
        #expect(outcome.findings[1].status == .integrityFailure)
        let difference = try #require(outcome.entry.differences.first)
        #expect(difference.line == 2)
        #expect(difference.firstDifferingByte.map { $0 >= 18 } == true)
        let ticket = try String(contentsOfFile: try #require(outcome.ticketPath), encoding: .utf8)
        #expect(ticket.contains("out.txt (run 2 vs run 1), first differs at byte"))
        #expect(ticket.contains("PYTHONHASHSEED"))
        #expect(outcome.findings[1].evidence.count == 2)
    }

    @Test func failuresBecomeFindingsNotCrashes() throws {
        let failing = try check(try configuration("exit 3"), runs: 2)
        #expect(failing.findings[0].status == .unverified)
        #expect(failing.findings[0].observed.contains("exited with status 3"))
        #expect(failing.findings[1].observed.hasPrefix("missing after run 1, 2"))

        var missing = try configuration("true")
        missing.inference.command = ["/nonexistent/infer", "{seed}"]
        let launch = try check(missing, runs: 2)
        #expect(launch.findings[0].status == .unverified)
        #expect(launch.findings[0].observed.contains("cannot start /nonexistent/infer"))
    }

    @Test func timeoutIsReported() throws {
        let started = Date()
        let outcome = try check(try configuration("sleep 30", timeout: 0.5), runs: 2)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(outcome.findings[0].observed.contains("timed out"))
    }

    @Test func directoryOutputsAreComparedFileByFile() throws {
        let script = #"mkdir -p "$2/tree" && echo a > "$2/tree/a.txt" && date +%N > "$2/tree/b.txt""#
        let outcome = try check(try configuration(script, outputs: ["tree"]), runs: 2)
        #expect(outcome.entry.differences.first?.output == "tree/b.txt (run 2 vs run 1)")
    }

    @Test func corruptLogIsNeverOverwritten() throws {
        let configuration = try configuration(#"echo x > "$2/out.txt""#)
        let logPath = configuration.workspace.resolve(".assay/reproducibility_logs.json")
        try AtomicFile.write(Array("{\"schema\": \"something else\"".utf8), to: logPath)
        #expect(throws: ReproLogError.self) { try check(configuration, runs: 2) }
        #expect(try String(contentsOfFile: logPath, encoding: .utf8) == "{\"schema\": \"something else\"")
    }

    @Test func logIsAppendOnly() throws {
        let configuration = try configuration(#"echo x > "$2/out.txt""#)
        let first = try check(configuration, runs: 2)
        let second = try check(configuration, runs: 2)
        let log = try ReproLog.read(path: configuration.workspace.resolve(".assay/reproducibility_logs.json"))
        #expect(log.entries.map(\.id) == [first.entry.id, second.entry.id])
        #expect(log.entries[0] == first.entry)
    }
}
