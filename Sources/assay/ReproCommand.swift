import ArgumentParser
import AssayAudit
import AssayConfig
import AssayCore
import AssayReproducibility
import Foundation

struct Repro: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reproducibility: run the inference command several times with the same seed.",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the configured inference command N times, compare output digests, log the result.",
            discussion: """
                Appends an entry to the reproducibility log (workspace.inference.log) and, when outputs differ, \
                writes the rebuild ticket (workspace.inference.ticket). Exits 0 when reproducible, 1 when only \
                numerically within tolerance, 2 when outputs differ or a run fails.
                """)

        @OptionGroup var options: ConfigOption

        @Option(help: "Number of runs (default: thresholds.reproducibility.runs).")
        var runs: Int?

        @Option(
            help: "Comma-separated variations, one extra run each: tz, locale, home, umask, cwd, threads (default: workspace.inference.variations).")
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
                let configuration = try ConfigLoader.load(path: options.config)
                guard let outcome = try ReproducibilityCheckRunner(configuration: configuration)
                    .run(
                        runs: runs, variations: vary.map { $0.split(separator: ",").compactMap { Variation(rawValue: String($0)) } },
                        id: "repro-" + Auditor.newRunID())
                else {
                    throw CommandError(
                        message: "\(options.config): no inference command configured under workspace.inference",
                        code: ExitStatus.invalidInput)
                }
                printFindings(outcome.findings, format: format, title: "Reproducibility check \(outcome.entry.id)")
                if let ticket = outcome.ticketPath, format == .text { print("Wrote \(ticket)") }
                return VerdictRules(requiredLayers: []).judge(
                    [LayerResult(layer: .reproducibility, state: .verified, findings: outcome.findings, startedAt: Date())]
                ).verdict.exitCode
            }
        }
    }
}
