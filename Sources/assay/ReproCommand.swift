import ArgumentParser
import AssayAudit
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayReproducibility
import AssayStore
import Foundation

struct Repro: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproducibility: run the inference command several times with the same seed.",
        subcommands: [Run.self, Verify.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the configured inference command N times, compare output digests, log the result.",
            discussion: """
                Appends an entry to the reproducibility log (workspace.inference.log) and, when outputs differ, \
                writes the rebuild ticket (workspace.inference.ticket). Exits 0 when reproducible (bitwise, or only \
                numerically within tolerance), 1 when a variation changed the output, 2 when outputs differ \
                between plain runs or a run fails.
                """)

        @OptionGroup var options: ConfigOption

        @Option(help: "Number of runs (default: thresholds.reproducibility.runs).")
        var runs: Int?

        @Option(
            help: "Comma-separated variations, one extra run each: tz, locale, home, umask, cwd, threads, env-order (default: workspace.inference.variations).")
        var vary: String?

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func validate() throws {
            if let runs, runs < 2 || runs > 1000 { throw ValidationError("--runs must be in [2, 1000]") }
            for name in vary?.split(separator: ",") ?? [] where Variation(rawValue: String(name)) == nil {
                throw ValidationError("unknown variation '\(name)' (one of: \(Variation.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }

        func run() async throws {
            try await runMapped {
                let configuration = try options.load()
                guard let outcome = try ReproducibilityCheckRunner(configuration: configuration)
                    .run(
                        runs: runs, variations: vary.map { $0.split(separator: ",").compactMap { Variation(rawValue: String($0)) } },
                        id: "repro-" + Auditor.newRunID())
                else {
                    throw CommandError(
                        message: "\(options.config): no inference command configured under workspace.inference",
                        code: ExitStatus.invalidInput)
                }
                let record = ReproRecord(
                    id: outcome.entry.id, recordedAt: outcome.entry.recordedAt, seed: outcome.entry.seed,
                    reproducible: outcome.entry.reproducible, payload: try JSONCoding.encoder().encode(outcome.entry))
                try await withStore(configuration) { try await $0.saveReproEntry(record) }
                printFindings(outcome.findings, format: format, title: "Reproducibility check \(outcome.entry.id)")
                if let ticket = outcome.ticketPath, format == .text { print("Wrote \(ticket)") }
                return VerdictRules(requiredLayers: []).judge(
                    [LayerResult(layer: .reproducibility, state: .verified, findings: outcome.findings, startedAt: Date())]
                ).verdict.exitCode
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a reproducibility log and MLflow runs against the approved seed, commit, versions and checksums.",
            discussion: """
                Checks the newest entry (or --entry) of the reproducibility log: it reproduced, its seed is the \
                configured one, its outputs have the approved digests (workspace.inference.expected_outputs). Then \
                each MLflow run (--mlflow-run, or integrations.mlflow.verify_runs): seed param, \
                mlflow.source.git.commit tag, model_version and config_sha256 params, and the artifacts in \
                integrations.mlflow.expected.artifacts, downloaded and hashed here. Exits 0 when everything \
                matches, 2 when something differs or cannot be verified, 69 when MLflow cannot be reached.
                """)

        @OptionGroup var options: ConfigOption

        @Option(help: "Reproducibility log to check (default: workspace.inference.log).")
        var log: String?

        @Option(help: "Entry id in the log (default: the newest).")
        var entry: String?

        @Option(name: .customLong("mlflow-run"), help: "MLflow run id to check (repeatable).")
        var mlflowRuns: [String] = []

        @Flag(help: "Skip the reproducibility log; check MLflow runs only.")
        var noLog = false

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let configuration = try options.load()
                var findings: [Finding] = []
                if !noLog {
                    guard let path = log ?? configuration.inference?.log else {
                        throw CommandError(
                            message: "no reproducibility log: pass --log or configure workspace.inference", code: ExitStatus.usage)
                    }
                    let absolute = log.map(absolutePath) ?? configuration.resolve(path)
                    guard FileManager.default.fileExists(atPath: absolute) else {
                        throw CommandError(message: "\(path): no such reproducibility log", code: ExitStatus.missingInput)
                    }
                    findings += try ReproLogVerifier(configuration: configuration).verify(path: absolute, displayPath: path, entryID: entry)
                }
                let runs = mlflowRuns.isEmpty ? (configuration.integrations.mlflow?.verifyRuns ?? []) : mlflowRuns
                if let settings = configuration.integrations.mlflow, !settings.models.isEmpty {
                    findings += try await MLflowVerifier(configuration: configuration, settings: settings).verifyModels()
                }
                if !runs.isEmpty {
                    guard let settings = configuration.integrations.mlflow else {
                        throw CommandError(
                            message: "MLflow runs given but integrations.mlflow.tracking_uri is not configured",
                            code: ExitStatus.usage)
                    }
                    let verifier = MLflowVerifier(configuration: configuration, settings: settings)
                    for run in runs { findings += try await verifier.verify(runID: run) }
                }
                guard !findings.isEmpty else {
                    throw CommandError(message: "nothing to verify", code: ExitStatus.usage)
                }
                printFindings(findings, format: format, title: "Reproducibility verification")
                return VerdictRules(requiredLayers: []).judge(
                    [LayerResult(layer: .reproducibility, state: .verified, findings: findings, startedAt: Date())]
                ).verdict.exitCode
            }
        }
    }
}
