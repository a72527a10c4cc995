import ArgumentParser
import AssayAudit
import AssayConfig
import AssayCore
import AssayReport
import AssayStore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every configured layer, store the results and write the report.",
        discussion: "Exits 0 STABLE, 1 NEEDS FIX, 2 AT RISK, so CI can gate a deployment on it.")

    @OptionGroup var options: ConfigOption

    @Option(name: .shortAndLong, help: "Directory for report.md, report.json and report.html (default: report.output).")
    var output: String?

    @Option(help: "How to print the result: text, json or markdown.")
    var format: OutputFormat = .text

    @Flag(help: "Do not save the results in the store.")
    var noStore = false

    func run() async throws {
        try await runMapped {
            let configuration = try ConfigLoader.load(path: options.config)
            let run = try await Auditor().audit(configuration)
            if !noStore {
                try openStore(configuration).save(run)
            }
            let report = ReportBuilder(service: configuration.service, thresholds: configuration.thresholds).build(run)
            try emit(report, configuration: configuration, outputDirectory: output, format: format)
            return report.exitCode
        }
    }
}
