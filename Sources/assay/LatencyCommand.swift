import ArgumentParser
import AssayAudit
import AssayConfig
import AssayCore
import AssayLatency
import AssayStore
import Foundation

/// Loads the configuration when the file exists; otherwise every default, rooted at the working directory.
func configurationOrDefaults(_ path: String) throws -> Configuration {
    if FileManager.default.fileExists(atPath: path) { return try ConfigLoader.load(path: path) }
    let cwd = FileManager.default.currentDirectoryPath
    return Configuration(path: cwd + "/assay.yaml", root: cwd)
}

/// Options naming latency logs and their stages.
struct LatencyLogOptions: ParsableArguments {
    @Option(help: "Comma-separated stage names, in pipeline order (default: workspace.latency.stages or preprocess,inference,postprocess).")
    var stages: String?

    func stageList(_ configuration: Configuration) -> [String] {
        stages.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            ?? configuration.latency?.stages ?? ["preprocess", "inference", "postprocess"]
    }
}

struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-stage latency statistics from JSON-lines request logs, and comparisons between runs.",
        subcommands: [Analyze.self, Compare.self, Scrape.self])

    struct Analyze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count, mean, P50/P95/P99 and share of total per stage (with --previous, Δ and bootstrap CI95).",
            discussion: "Exits 1 when a stage regressed against --previous, 0 otherwise.")

        @OptionGroup var options: ConfigOption
        @OptionGroup var logOptions: LatencyLogOptions

        @Option(name: .customLong("log"), help: "Latency log of the run (repeatable; default: workspace.latency.logs).")
        var logs: [String] = []

        @Option(name: .customLong("previous"), help: "Latency log of the previous run (repeatable).")
        var previous: [String] = []

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                try analyze(config: options.config, logs: logs, previous: previous, logOptions: logOptions, format: format)
            }
        }
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two runs' latency logs: Δmean and ΔP95 per stage with seeded bootstrap CI95.",
            discussion: "Paired by request_id when most requests match. Exits 1 when a stage regressed, 0 otherwise.")

        @OptionGroup var options: ConfigOption
        @OptionGroup var logOptions: LatencyLogOptions

        @Argument(help: "Latency log of the earlier run.")
        var before: String

        @Argument(help: "Latency log of the later run.")
        var after: String

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                try analyze(config: options.config, logs: [after], previous: [before], logOptions: logOptions, format: format)
            }
        }
    }
}

/// Analyzes logs given on the command line (paths relative to the working directory) with the configuration's thresholds.
func analyze(config: String, logs: [String], previous: [String], logOptions: LatencyLogOptions, format: OutputFormat) throws -> Int32 {
    var configuration = try configurationOrDefaults(config)
    let current = logs.isEmpty ? (configuration.latency?.logs ?? []).map(configuration.resolve) : logs.map(absolutePath)
    guard !current.isEmpty else {
        throw CommandError(message: "no latency log: pass --log FILE or configure workspace.latency.logs", code: ExitStatus.usage)
    }
    configuration.root = "/"
    let spec = Configuration.Latency(
        logs: current, previousLogs: previous.isEmpty ? (configuration.latency?.previousLogs ?? []).map(configuration.resolve) : previous.map(absolutePath),
        stages: logOptions.stageList(configuration))
    let findings = try LatencyAnalyzer(configuration: configuration, latency: spec).findings()
    let profile = findings.filter { $0.table == .latencyProfile }
    switch format {
    case .json, .markdown:
        printFindings(findings, format: format, title: "Latency profile")
    case .text:
        print("stage           n      mean      P50      P95      P99   Δ (CI95)                         status")
        for f in profile {
            let m = f.measurements
            func cell(_ key: String) -> String { (m[key].map(Formatting.milliseconds) ?? "—").leftPadded(8) }
            let delta = m["delta_ms"].map { d in
                "\(f.attributes["delta_metric"] ?? "Δ") \(Formatting.signedMilliseconds(d)) [\(Formatting.signedMilliseconds(m["ci95_low_ms"] ?? 0)), \(Formatting.signedMilliseconds(m["ci95_high_ms"] ?? 0))]"
            } ?? "—"
            print(
                "\(f.check.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(Int(m["count"] ?? 0)).leftPadded(5)) \(cell("mean_ms")) \(cell("p50_ms")) \(cell("p95_ms")) \(cell("p99_ms"))   \(delta.padding(toLength: 32, withPad: " ", startingAt: 0)) \(f.statusLabel ?? f.status.rawValue)")
        }
        for f in profile where f.attributes["p95_note"] != nil {
            print("note: \(f.check): P95 \(f.attributes["p95_note"] ?? "")")
            break
        }
        print("evidence: \(profile.first.map { "\($0.primaryEvidence.reference) sha256:\($0.primaryEvidence.shortDigest)" } ?? "—")")
    }
    return profile.contains { $0.status == .breach } ? 1 : 0
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

struct Optimize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate optimizations with statistics before counting them.",
        subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept an optimization only if CI95 of ΔP95 excludes 0 (improving) and P95 drops enough.",
            discussion: """
                Compares total latency of the candidate run with the baseline run (paired by request_id when \
                possible), records the decision with its evidence in the store, and exits 0 when accepted, 1 when \
                rejected. Thresholds: latency.optimization_min_p95_drop_ms (default 2), latency.confidence_level.
                """)

        @OptionGroup var options: ConfigOption
        @OptionGroup var logOptions: LatencyLogOptions

        @Option(help: "Latency log of the run before the change.")
        var baseline: String

        @Option(help: "Latency log of the run with the change.")
        var candidate: String

        @Option(help: "Name of the optimization, e.g. \"Async preprocessing\".")
        var name: String = "unnamed optimization"

        @Option(name: .customLong("mlflow-run"), help: "MLflow run of the candidate, cited as evidence.")
        var mlflowRun: String?

        @Option(help: "Git commit of the candidate, cited as evidence.")
        var gitCommit: String?

        @Flag(help: "Do not record the decision in the store.")
        var noStore = false

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                var configuration = try configurationOrDefaults(options.config)
                let stages = logOptions.stageList(configuration)
                let storeConfiguration = configuration
                configuration.root = "/"
                let analyzer = LatencyAnalyzer(
                    configuration: configuration, latency: Configuration.Latency(logs: [], stages: stages))
                let before = try analyzer.samples([absolutePath(baseline)])
                let after = try analyzer.samples([absolutePath(candidate)])
                guard let decision = OptimizationValidator(thresholds: configuration.thresholds, stages: stages)
                    .validate(baseline: before, candidate: after)
                else {
                    throw CommandError(message: "need at least two requests in each log", code: ExitStatus.invalidInput)
                }
                let record = OptimizationRecord(
                    id: "opt-" + Auditor.newRunID(), name: name, appliedAt: Date(), accepted: decision.accepted,
                    deltaP95Milliseconds: decision.deltaP95.estimate, ci95LowMilliseconds: decision.deltaP95.low,
                    ci95HighMilliseconds: decision.deltaP95.high, reason: decision.reason,
                    baseline: try Evidence.file(at: absolutePath(baseline), displayPath: baseline),
                    candidate: try Evidence.file(
                        at: absolutePath(candidate), displayPath: candidate, mlflowRunID: mlflowRun, gitCommit: gitCommit))
                if !noStore { try await withStore(storeConfiguration) { try await $0.saveOptimization(record) } }
                switch format {
                case .json:
                    let object: [String: Any] = [
                        "id": record.id, "name": name, "accepted": decision.accepted, "paired": decision.paired,
                        "delta_p95_ms": decision.deltaP95.estimate, "ci95_low_ms": decision.deltaP95.low,
                        "ci95_high_ms": decision.deltaP95.high, "reason": decision.reason,
                        "baseline": ["path": baseline, "sha256": record.baseline.sha256],
                        "candidate": ["path": candidate, "sha256": record.candidate.sha256],
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                case .markdown, .text:
                    print("\(decision.accepted ? "ACCEPTED" : "REJECTED"): \(name)")
                    print("  ΔP95 \(Formatting.signedMilliseconds(decision.deltaP95.estimate)) ms, \(decision.reason)")
                    print("  \(decision.paired ? "paired" : "two-sample") bootstrap, \(decision.baselineCount) → \(decision.candidateCount) requests")
                    print("  evidence: \(baseline) sha256:\(record.baseline.shortDigest), \(candidate) sha256:\(record.candidate.shortDigest)")
                }
                return decision.accepted ? 0 : 1
            }
        }
    }
}
