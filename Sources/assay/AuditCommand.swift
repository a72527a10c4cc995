import ArgumentParser
import AssayApp
import AssayConfig

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

    @Flag(help: "Audit the running service: start workspace.live.command, drive it at capacity.current_rps, audit what it measured.")
    var live = false

    @Option(help: "With --live: a service already running at this base URL (nothing is started or stopped).")
    var url: String?

    @Flag(help: "With --live: skip the capacity steps up to the knee (the configured measurement is used).")
    var noCapacity = false

    @Flag(help: "With --live: also run windows at +5% and +20% of current_rps and hold the projections against them.")
    var verifyCapacity = false

    func run() async throws {
        try await runMapped {
            var configuration = try options.load()
            if live || configuration.live?.always == true {
                var audit = LiveAudit(configuration: configuration)
                audit.measureCapacity = !noCapacity
                audit.verifyCapacity = verifyCapacity
                audit.runningURL = url
                let capture = try await audit.capture { Terminal.note("live: " + $0) }
                configuration = capture.configuration
            }
            let outcome = try await AuditPipeline(configuration: configuration).run(store: !noStore, outputDirectory: outputDirectory)
            return try emit(outcome, formatting.format)
        }
    }
}
