import ArgumentParser
import AssayApp

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every configured layer, store the results and write the report.",
        discussion: """
            Exits 0 STABLE, 1 NEEDS FIX, 2 AT RISK, so CI can gate a deployment on it. With \
            integrations.mlflow.log_audits the audit is also logged as an MLflow run whose id the report cites.
            """)

    @OptionGroup var options: ConfigOption
    @OptionGroup var formatting: FormatOption

    @Option(name: [.short, .customLong("output")], help: "Directory for report.md, report.json and report.html (default: report.output).")
    var outputDirectory: String?

    @Flag(help: "Do not save the results in the store.")
    var noStore = false

    func run() async throws {
        try await runMapped {
            let outcome = try await AuditPipeline(configuration: try options.load()).run(store: !noStore, outputDirectory: outputDirectory)
            return try emit(outcome, formatting.format)
        }
    }
}
