import AssayCore
import AssayTestSupport
import Foundation
import Testing

/// Runs the built `assay` binary as a user would, checking exit codes and messages.
@Suite struct CLITests {
    static let packageRoot = TestFiles.packageRoot

    /// The `assay` executable built next to this test bundle.
    static func binary(_ name: String = "assay") throws -> String {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = packageRoot + "/.build/debug/" + name
        guard FileManager.default.isExecutableFile(atPath: fallback) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: fallback])
        }
        return fallback
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func assay(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> Result {
        let process = try assayProcess(arguments, in: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let (stdout, stderr) = try ExternalTool.capture(process)
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts the built `assay` with `arguments` in `directory`, output discarded unless `output` takes it.
    static func launch(_ arguments: [String], in directory: String, output: Pipe? = nil) throws -> Process {
        let process = try assayProcess(arguments, in: directory)
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The built `assay` with `arguments`, to run in `directory`; not started.
    static func assayProcess(_ arguments: [String], in directory: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        return process
    }

    /// Set by Tests/Sanitizers/run.sh: the build is instrumented, so judgements of speed do not hold.
    static var sanitized: Bool { ProcessInfo.processInfo.environment["ASSAY_SANITIZER"] != nil }

    static func temporaryDirectory() throws -> String {
        let path = try TestFiles.temporaryDirectory("assay-cli")
        return path
    }

    /// `telemetry record` streams each sample to the log as it is taken: stopped by SIGTERM once 4 samples of a
    /// 30 s recording are in the file, it leaves a valid log of them (a fifth may land before the signal does), says
    /// so, and exits 0.
    // Synchronous, so the polling holds its thread: an async test can wait seconds for a cooperative thread while
    // the other CLI tests block theirs on their processes.
    @Test func telemetryRecordStoppedBySIGTERMKeepsItsSamples() throws {
        let directory = try Self.temporaryDirectory()
        let output = Pipe()
        let process = try Self.launch(["telemetry", "record", "--duration", "30", "--interval", "1", "-o", "host.jsonl"], in: directory, output: output)
        func lines() -> Int { ((try? String(contentsOfFile: directory + "/host.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").count }
        for _ in 0..<600 where lines() < 4 { usleep(50_000) }
        process.terminate()
        process.waitUntilExit()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let samples = lines()
        #expect(process.terminationStatus == 0 && process.terminationReason == .exit, "\(said)")
        #expect([4, 5].contains(samples) && said.contains("Wrote host.jsonl: \(samples) samples"), "\(said)")
        #expect(said.contains("note: stopped by SIGTERM after ") && said.contains(" of the 30 s asked; the log holds every sample taken"), "\(said)")
        let analyzed = try Self.assay(["telemetry", "analyze", "host.jsonl"], in: directory)
        #expect([0, 1].contains(analyzed.status) && analyzed.stdout.contains("Resources (\(samples) samples)"), "\(analyzed.stdout)\(analyzed.stderr)")
    }

    @Test func initThenAuditWritesAllThreeReportsAndExitsAtRisk() throws {
        let directory = try Self.temporaryDirectory()
        #expect(try Self.assay(["init"], in: directory).status == 0)
        #expect(try Self.assay(["init"], in: directory).status == 64)
        let audit = try Self.assay(["audit", "--output", "out"], in: directory, environment: ["NO_COLOR": "1"])
        #expect(audit.status == 2)
        #expect(audit.stdout.contains("Verdict: AT RISK"))
        #expect(audit.stdout.contains("Environment integrity: Environment Manifest: staging — missing: envs/staging/env_manifest.yaml (unverified)"))
        #expect(!audit.stdout.contains("\u{1B}["))
        for name in ["report.md", "report.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/out/" + name))
        }
        let list = try Self.assay(["report", "--list"], in: directory)
        #expect(list.status == 0)
        #expect(list.stdout.contains("AT RISK"))
        let again = try Self.assay(["report", "--format", "json", "--output", "again"], in: directory)
        #expect(again.status == 2)
        let object = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(object?["verdict"] as? String == "AT RISK")
        #expect(object?["schema_version"] as? String == "1.3")
    }

    @Test func badConfigurationExits65WithFileLineAndKey() throws {
        let directory = try Self.temporaryDirectory()
        try "thresholds:\n  resources:\n    cpu_percent: 180\n".write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let result = try Self.assay(["audit"], in: directory)
        #expect(result.status == 65)
        #expect(result.stderr.contains("assay.yaml:3:18: thresholds.resources.cpu_percent: impossible value 180"))
    }

    @Test func missingConfigurationExits66() throws {
        let result = try Self.assay(["audit", "--config", "nope.yaml"], in: try Self.temporaryDirectory())
        #expect(result.status == 66)
        #expect(result.stderr.contains("nope.yaml"))
    }

    /// Without --config, assay.yaml is looked for here and then upward; when there is none, the error says where
    /// it looked and points to --config.
    @Test func configurationIsFoundUpwardOrTheSearchIsNamed() throws {
        let directory = try Self.temporaryDirectory()
        let empty = try Self.assay(["report", "--list"], in: directory)
        #expect(empty.status == 66)
        #expect(empty.stderr.contains("not found in \(URL(fileURLWithPath: directory).standardizedFileURL.path) or any parent directory; pass --config"), "\(empty.stderr)")
        #expect(try Self.assay(["init"], in: directory).status == 0)
        try FileManager.default.createDirectory(atPath: directory + "/deploy/staging", withIntermediateDirectories: true)
        let nested = try Self.assay(["config", "validate"], in: directory + "/deploy/staging")
        #expect(nested.status == 0, "\(nested.stderr)")
    }

    @Test func usageErrorExits64() throws {
        let result = try Self.assay(["audit", "--format", "yaml"], in: try Self.temporaryDirectory())
        #expect(result.status == 64)
    }

    @Test func reportWithEmptyStoreExits66() throws {
        let directory = try Self.temporaryDirectory()
        #expect(try Self.assay(["init"], in: directory).status == 0)
        let result = try Self.assay(["report"], in: directory)
        #expect(result.status == 66)
        #expect(result.stderr.contains("run assay audit first"))
    }

    @Test func schemaIsPrinted() throws {
        let result = try Self.assay(["report", "--schema"], in: try Self.temporaryDirectory())
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"$schema\""))
    }

    @Test(arguments: [
        [String](), ["audit"], ["report"], ["init"], ["config", "validate"], ["env", "snapshot"], ["env", "verify"],
        ["env", "diff"], ["env", "lock"], ["baseline", "changes"], ["export", "rules"], ["export", "grafana"], ["env", "hash"], ["env", "image"], ["repro", "run"], ["repro", "verify"],
        ["telemetry", "record"], ["telemetry", "analyze"], ["telemetry", "gpu"], ["latency", "analyze"],
        ["latency", "compare"], ["trace", "analyze"], ["optimize", "validate"], ["env", "dvc"], ["trace", "flamegraph"],
        ["trace", "diff"], ["watch"], ["capacity", "measure"], ["capacity", "plan"], ["agent"], ["uptime", "probe"],
        ["uptime", "analyze"], ["telemetry", "fleet"], ["telemetry", "scrape"], ["serve"], ["token", "create"], ["token", "list"],
        ["token", "revoke"], ["push"], ["schedule"], ["loadtest", "import"], ["latency", "scrape"],
    ])
    func everyCommandHasHelp(_ command: [String]) throws {
        let result = try Self.assay(command + ["--help"], in: try Self.temporaryDirectory())
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE:"))
    }

    /// The commands added for traces, DVC, uptime, capacity and the agent: a missing file is exit 66, a
    /// malformed one 65 with the file and line, a bad option 64.
    @Test func newCommandsRejectBadInputClearly() throws {
        let directory = try Self.temporaryDirectory()
        let missing = try Self.assay(["trace", "flamegraph", "nope.json", "--svg", "f.svg"], in: directory)
        #expect(missing.status == 66 && missing.stderr.contains("nope.json"))
        #expect(try Self.assay(["trace", "flamegraph", "t.json"], in: directory).status == 64)  // no output named
        try "{\"traceEvents\": [{\"ph\" \"X\"}]}".write(toFile: directory + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try Self.assay(["trace", "diff", "bad.json", "bad.json"], in: directory)
        #expect(bad.status == 65 && bad.stderr.contains("bad.json: byte"))
        #expect(try Self.assay(["env", "dvc", "none.dvc"], in: directory).status == 66)
        try "outs:\n- path: data.xml\n".write(toFile: directory + "/x.dvc", atomically: true, encoding: .utf8)
        let dvc = try Self.assay(["env", "dvc", "x.dvc"], in: directory)
        #expect(dvc.status == 65 && dvc.stderr.contains("md5: for data.xml"))
        try "2026-11-29T07:41:00Z api MAYBE 1\n".write(toFile: directory + "/u.log", atomically: true, encoding: .utf8)
        let uptime = try Self.assay(["uptime", "analyze", "u.log"], in: directory)
        #expect(uptime.status == 65 && uptime.stderr.contains("u.log:1: expected TIME TARGET UP|DOWN"))
        #expect(try Self.assay(["uptime", "probe"], in: directory).status == 64)  // no targets configured
        #expect(try Self.assay(["capacity", "measure", "--rates", "fast"], in: directory).status == 64)
        #expect(try Self.assay(["agent", "--listen", "nowhere"], in: directory).status == 64)
        let flush = try Self.assay(["agent", "--listen", "127.0.0.1:9", "--flush-seconds=-1"], in: directory)
        #expect(flush.status == 64 && flush.stderr.contains("--flush-seconds ≥ 0"), "\(flush.stderr)")
        let scrape = try Self.assay(["telemetry", "scrape", "--url", "http://127.0.0.1:9/metrics", "--duration", "1", "--interval", "1"], in: directory)
        #expect(scrape.status == 69 && scrape.stderr.contains("cannot scrape http://127.0.0.1:9/metrics"), "\(scrape.stderr)")
        let fleet = try Self.assay(["telemetry", "fleet", "--prometheus", "http://127.0.0.1:9", "--hours", "1", "--timeout", "1"], in: directory)
        #expect(fleet.status == 69 && fleet.stderr.contains("Prometheus http://127.0.0.1:9"))
    }

    /// `env snapshot` writes its manifest in the working directory, never inside the tree, says what it wrote and
    /// which root `env verify` checked; `env sbom` says which file it wrote.
    @Test func snapshotWritesOutsideTheTreeAndSaysWhere() throws {
        let directory = try Self.temporaryDirectory()
        let tree = directory + "/env"
        try AtomicFile.write(Array("numpy==1.24.3\n".utf8), to: tree + "/requirements.txt")
        let before = try FileManager.default.subpathsOfDirectory(atPath: tree)
        let cache = directory + "/cache"
        let snapshot = try Self.assay(["env", "snapshot", "env"], in: directory, environment: ["XDG_CACHE_HOME": cache])
        #expect(snapshot.status == 0 && snapshot.stdout.contains("Wrote env_manifest.yaml"), "\(snapshot.stderr)")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: tree) == before)
        #expect(FileManager.default.fileExists(atPath: directory + "/env_manifest.yaml"))
        #expect(try FileManager.default.subpathsOfDirectory(atPath: cache + "/assay/stat-cache").count == 1)
        let verify = try Self.assay(["env", "verify", "env_manifest.yaml"], in: directory)
        #expect(verify.status == 0 && verify.stdout.contains("checked against \(URL(fileURLWithPath: tree).standardizedFileURL.path)"), "\(verify.stdout)")
        let sbom = try Self.assay(["env", "sbom", "env/requirements.txt", "--output", "sbom.json"], in: directory)
        #expect(sbom.status == 0 && sbom.stdout.contains("Wrote sbom.json: CycloneDX 1.5, 1 component"), "\(sbom.stdout)")
    }

    /// Commands that write files say which: a flamegraph of the real H200 trace in three formats.
    @Test func flamegraphSaysWhatItWrote() throws {
        let directory = try Self.temporaryDirectory()
        let trace = Self.packageRoot + "/Tests/AssayProfilingTests/Fixtures/h200-mlp-baseline.pt.trace.json.gz"
        let result = try Self.assay(["trace", "flamegraph", trace, "--svg", "f.svg", "--folded", "f.txt", "--speedscope", "f.json"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        for line in ["Wrote f.txt: folded stacks", "Wrote f.svg: flamegraph (SVG)", "Wrote f.json: speedscope profile"] {
            #expect(result.stdout.contains(line), "\(result.stdout)")
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/f.svg"))
    }

    /// A configuration in a temporary directory that runs the example service's binary on its shipped model.
    static func exampleConfiguration(extraArguments: [String]) throws -> String {
        let directory = try temporaryDirectory()
        let example = packageRoot + "/Examples/InferenceService"
        let service = URL(fileURLWithPath: try binary()).deletingLastPathComponent().appendingPathComponent("assay-example").path
        let command = [service, "batch", "--model", "{root}/model/model.json", "--input", "{root}/data/requests.jsonl",
                       "--output", "{output}", "--seed", "{seed}"] + extraArguments
        let yaml = """
            workspace:
              root: \(example)
              inference:
                command: [\(command.map { "\"\($0)\"" }.joined(separator: ", "))]
                seed: 42
                outputs: [predictions.jsonl]
                log: \(directory)/reproducibility_logs.json
                ticket: \(directory)/rebuild_ticket.md
            """
        try yaml.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    @Test func exampleServiceReproducesWithItsSeed() throws {
        let directory = try Self.exampleConfiguration(extraArguments: [])
        let result = try Self.assay(["repro", "run", "--runs", "2"], in: directory)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("pass              Output Checksum: predictions.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/rebuild_ticket.md"))
    }

    @Test func exampleServiceNondeterministicSwitchIsCaught() throws {
        let directory = try Self.exampleConfiguration(extraArguments: ["--nondeterministic"])
        let result = try Self.assay(["repro", "run", "--runs", "2"], in: directory)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        let ticket = try String(contentsOfFile: directory + "/rebuild_ticket.md", encoding: .utf8)
        #expect(ticket.contains("predictions.jsonl (run 2 vs run 1), first differs at byte"))
        #expect(ticket.contains("/probabilities/"))
    }

    @Test func slowedExampleServiceIsCaughtAsALatencyRegression() throws {
        let directory = try Self.temporaryDirectory()
        let example = Self.packageRoot + "/Examples/InferenceService"
        let service = URL(fileURLWithPath: try Self.binary()).deletingLastPathComponent().appendingPathComponent("assay-example").path
        for (name, extra) in [("previous", [String]()), ("current", ["--slow-stage", "inference", "--slow-ms", "1"])] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: service)
            process.arguments = ["batch", "--model", example + "/model/model.json", "--input", example + "/data/requests.jsonl",
                                 "--output", directory + "/" + name] + extra
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let yaml = """
            workspace:
              latency:
                logs: [current/latency.jsonl]
                previous_logs: [previous/latency.jsonl]
            thresholds:
              latency:
                bootstrap_resamples: 1000
            verdict:
              required_layers: [latency]
            """
        try yaml.write(toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let result = try Self.assay(["audit", "--format", "markdown", "--output", "report"], in: directory)
        #expect(result.stdout.contains("| Inference |"))
        // A sanitizer build of the service runs 5–10× slower and its two runs contend with the tests running
        // alongside, by more than the 1 ms planted: the verdict is judged in normal builds only.
        if !Self.sanitized {
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stdout.contains("❌ Regressed"))
        }
    }

    /// Runs the example service in batch mode, writing its logs under `directory/name`.
    static func exampleBatch(_ directory: String, _ name: String, _ extra: [String] = []) throws {
        let example = packageRoot + "/Examples/InferenceService"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary()).deletingLastPathComponent().appendingPathComponent("assay-example")
        process.arguments = ["batch", "--model", example + "/model/model.json", "--input", example + "/data/requests.jsonl",
                             "--output", directory + "/" + name] + extra
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func optimizeValidateAcceptsRemovingTheSlowdownAndRejectsNoChange() throws {
        let directory = try Self.temporaryDirectory()
        try Self.exampleBatch(directory, "slow", ["--slow-stage", "inference", "--slow-ms", "3"])
        try Self.exampleBatch(directory, "normal")
        // No change: the same requests with their timings dealt out again at random (a seeded shuffle), so the
        // distribution is the one measured and the verdict does not hang on the machine's load between two runs.
        var lines = try String(contentsOfFile: directory + "/normal/latency.jsonl", encoding: .utf8).split(separator: "\n")
        let ids = lines.map { $0.firstMatch(of: /"request_id":"[^"]*"/).map { String($0.output) } ?? "" }
        var rng = SplitMix64(seed: 11)
        for index in lines.indices.reversed() where index > 0 { lines.swapAt(index, rng.index(below: index + 1)) }
        let again = zip(lines, ids).map { line, id in line.replacing(/"request_id":"[^"]*"/, with: id) }
        try FileManager.default.createDirectory(atPath: directory + "/again", withIntermediateDirectories: true)
        try (again.joined(separator: "\n") + "\n").write(toFile: directory + "/again/latency.jsonl", atomically: true, encoding: .utf8)
        try "thresholds:\n  latency:\n    bootstrap_resamples: 1000\n".write(
            toFile: directory + "/assay.yaml", atomically: true, encoding: .utf8)
        let accepted = try Self.assay(
            ["optimize", "validate", "--baseline", "slow/latency.jsonl", "--candidate", "normal/latency.jsonl", "--name", "no busy wait"],
            in: directory)
        #expect(accepted.status == 0, "\(accepted.stdout)\(accepted.stderr)")
        #expect(accepted.stdout.hasPrefix("ACCEPTED: no busy wait"))
        let rejected = try Self.assay(
            ["optimize", "validate", "--baseline", "normal/latency.jsonl", "--candidate", "again/latency.jsonl"], in: directory)
        #expect(rejected.status == 1, "\(rejected.stdout)\(rejected.stderr)")
        #expect(rejected.stdout.hasPrefix("REJECTED"))
        let compare = try Self.assay(["latency", "compare", "normal/latency.jsonl", "slow/latency.jsonl"], in: directory)
        #expect(compare.status == 1)
        #expect(compare.stdout.contains("Inference"))
    }

    @Test func telemetryGPUReadsSavedXMLAndKernelLog() throws {
        let directory = try Self.temporaryDirectory()
        try "[ 1.0] NVRM: Xid (PCI:0000:3b:00): 79, pid=1, GPU has fallen off the bus.\n".write(
            toFile: directory + "/kern.log", atomically: true, encoding: .utf8)
        let xml = Self.packageRoot + "/Tests/AssayIntegrationsTests/Fixtures/gpu/tesla-t4.xml"
        let result = try Self.assay(["telemetry", "gpu", "--xml", xml, "--kernel-log", "kern.log"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("GPU 0 Tesla T4: util 0%"))
        #expect(result.stdout.contains("XID errors: Xid 79 ×1"))
    }

    /// Bad input on the newer commands: a documented exit code and a message naming the file and the place.
    @Test func badInputGetsLocatedErrors() throws {
        let directory = try Self.temporaryDirectory()
        try #"{"traceEvents": [{"ph" "X"}]}"#.write(toFile: directory + "/t.json", atomically: true, encoding: .utf8)
        try "{oops}\n".write(toFile: directory + "/tel.jsonl", atomically: true, encoding: .utf8)
        try "x\n".write(toFile: directory + "/deps.lst", atomically: true, encoding: .utf8)
        try "time,p95_ms\n2026-11-20T00:00:00Z,40\n2026-11-20T01:00:00Z,n/a\n".write(toFile: directory + "/p95.csv", atomically: true, encoding: .utf8)
        try "{\"request_id\": \"r1\", \"preprocess_ms\": 0.5, \"inference_ms\": 1.5, \"postprocess_ms\": 0.2}\n{\"request_id\": \"r2\", \"inference_ms\": \n"
            .write(toFile: directory + "/lat.jsonl", atomically: true, encoding: .utf8)
        let cases: [([String], Int32, String)] = [
            (["trace", "analyze", "t.json"], 65, "t.json: byte 23: expected :"),
            (["telemetry", "analyze", "tel.jsonl"], 65, "tel.jsonl:1: expected a JSON object"),
            (["env", "lock", "deps.lst"], 65, "deps.lst: expected a known lockfile name"),
            (["env", "verify", "missing.yaml"], 66, "missing.yaml: no such file"),
            (["trace", "analyze", "missing.json"], 66, "missing.json: no such file"),
            (["latency", "analyze"], 64, "no latency log"),
            (["baseline", "changes", "p95.csv"], 65, "p95.csv:3: expected p95_ms as a number (found \"n/a\")"),
            (["baseline", "changes", "p95.csv", "--column", "p99_ms"], 65, "p95.csv:1: expected a column named p99_ms (columns: time, p95_ms)"),
            (["telemetry", "record", "--output", "x", "--interval", "0"], 64, "--interval must be in"),
            (["env", "image", "not-a-reference"], 65, "expected host[:port]/repository"),
            (["latency", "analyze", "--log", "lat.jsonl"], 65, "lat.jsonl:2: expected"),
            (["env", "snapshot", "no-such-dir"], 66, "no-such-dir: no such file"),
            (["env", "sbom", "deps.lst"], 65, "deps.lst: expected a known lockfile name"),
        ]
        for (arguments, status, message) in cases {
            let result = try Self.assay(arguments, in: directory)
            #expect(result.status == status, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}

/// Lockfiles under names and formats the detector does not take for granted: `--kind`, prefixed names, formats
/// Assay does not read yet (named, never read as another format), and `--strict`.
@Suite struct LockfileCLITests {
    @Test func kindStrictAndUnreadFormatsAreSaidAloud() throws {
        let directory = try CLITests.temporaryDirectory()
        let cargo = try String(
            contentsOfFile: CLITests.packageRoot + "/Tests/AssayEnvironmentTests/Fixtures/Cargo.lock", encoding: .utf8)
        try cargo.write(toFile: directory + "/prod.Cargo.lock", atomically: true, encoding: .utf8)
        try cargo.write(toFile: directory + "/cargo-lock.backup", atomically: true, encoding: .utf8)
        let prefixed = try CLITests.assay(["env", "sbom", "prod.Cargo.lock"], in: directory)
        #expect(prefixed.status == 0 && prefixed.stdout.contains("pkg:cargo/util@1.2.0"), "\(prefixed.stderr)")
        let refused = try CLITests.assay(["env", "sbom", "cargo-lock.backup"], in: directory)
        #expect(refused.status == 65 && refused.stderr.contains("--kind FORMAT"), "\(refused.stderr)")
        let kind = try CLITests.assay(["env", "sbom", "cargo-lock.backup", "--kind", "cargo"], in: directory)
        #expect(kind.status == 0 && kind.stdout.contains("pkg:cargo/util@1.2.0"), "\(kind.stderr)")
        let unknownKind = try CLITests.assay(["env", "sbom", "cargo-lock.backup", "--kind", "maven"], in: directory)
        #expect(unknownKind.status == 64 && unknownKind.stderr.contains("Cargo.lock"), "\(unknownKind.stderr)")

        // A Gemfile.lock (a format not read) is named, never read as another format; pnpm's is read as pnpm's.
        let env = directory + "/env"
        try FileManager.default.createDirectory(atPath: env, withIntermediateDirectories: true)
        try "GEM\n  remote: https://rubygems.org/\n  specs:\n    rake (13.2.1)\n\nBUNDLED WITH\n   2.5.22\n"
            .write(toFile: env + "/Gemfile.lock", atomically: true, encoding: .utf8)
        let pnpm = try String(contentsOfFile: CLITests.packageRoot + "/Tests/AssayEnvironmentTests/Fixtures/pnpm-lock.v9.head.yaml", encoding: .utf8)
        try pnpm.write(toFile: env + "/pnpm-lock.yaml", atomically: true, encoding: .utf8)
        try "requests==2.31.0\n".write(toFile: env + "/requirements.txt", atomically: true, encoding: .utf8)
        let single = try CLITests.assay(["env", "sbom", "env/Gemfile.lock"], in: directory)
        #expect(single.status == 65 && single.stderr.contains("Bundler lockfiles are not read yet"), "\(single.stderr)")
        let read = try CLITests.assay(["env", "sbom", "env/pnpm-lock.yaml"], in: directory)
        #expect(read.status == 0 && read.stdout.contains("pkg:npm/%40babel/parser@7.29.8"), "\(read.stderr)")
        let sbom = try CLITests.assay(["env", "sbom", "env", "--output", "sbom.json"], in: directory)
        #expect(sbom.status == 0 && sbom.stderr.contains("Gemfile.lock: a Bundler lockfile, a format Assay does not read yet"), "\(sbom.stderr)")
        let strict = try CLITests.assay(["env", "sbom", "env", "--strict", "--output", "strict.json"], in: directory)
        #expect(strict.status == 65 && strict.stderr.contains("--strict: 1 lockfile"), "\(strict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/strict.json"))
        let snapshot = try CLITests.assay(["env", "snapshot", "env", "--strict"], in: directory)
        #expect(snapshot.status == 65 && snapshot.stderr.contains("Gemfile.lock"), "\(snapshot.stderr)")
        // A prose .txt file is refused with its line.
        try "Model card\n\nThis model reaches 91% accuracy on the held-out set.\n".write(
            toFile: directory + "/model_card.txt", atomically: true, encoding: .utf8)
        let prose = try CLITests.assay(["env", "sbom", "model_card.txt"], in: directory)
        #expect(prose.status == 65 && prose.stderr.contains("model_card.txt:1: expected a requirement"), "\(prose.stderr)")
    }
}

/// Help that says each thing once: the configuration's default, and every exit code a command can end with.
@Suite struct HelpTextTests {
    @Test func theConfigDefaultIsSaidOnceAndEveryExitCodeIsListed() throws {
        let directory = try CLITests.temporaryDirectory()
        let audit = try CLITests.assay(["audit", "--help"], in: directory)
        let text = audit.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
        #expect(text.components(separatedBy: "(default: assay.yaml").count == 2, "\(audit.stdout)")
        let top = try CLITests.assay(["--help"], in: directory)
        for code in ["0 STABLE", "1 NEEDS FIX", "2 AT RISK", "64 usage", "65 invalid input", "66 missing", "69 a service", "70 internal", "74 cannot"] {
            #expect(top.stdout.replacingOccurrences(of: "\n", with: " ").contains(code), "\(code): \(top.stdout)")
        }
    }
}
