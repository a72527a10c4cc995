import ArgumentParser
import AssayApp
import AssayReproducibility

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

        @OptionGroup var formatting: FormatOption

        func validate() throws {
            if let runs, runs < 2 || runs > 1000 { throw ValidationError("--runs must be in [2, 1000]") }
            for name in vary?.split(separator: ",") ?? [] where Variation(rawValue: String(name)) == nil {
                throw ValidationError("unknown variation '\(name)' (one of: \(Variation.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }

        func run() async throws {
            try await runMapped {
                let variations = vary.map { $0.split(separator: ",").compactMap { Variation(rawValue: String($0)) } }
                return try emit(try await ReproUseCases.run(runs: runs, variations: variations, configuration: try options.load()), formatting.format)
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

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped {
                try emit(
                    try await ReproUseCases.verify(log: log, entry: entry, mlflowRuns: mlflowRuns, checkLog: !noLog, configuration: try options.load()),
                    formatting.format)
            }
        }
    }
}
