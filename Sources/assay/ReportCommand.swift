import ArgumentParser
import AssayApp
import AssayReport

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a stored audit as Markdown, JSON and HTML.",
        discussion: "Exits with the audit's verdict code: 0 STABLE, 1 NEEDS FIX, 2 AT RISK.")

    @OptionGroup var options: ConfigOption
    @OptionGroup var formatting: FormatOption

    @Option(help: "Id of the stored audit (default: the latest).")
    var run: String?

    @Option(name: [.short, .customLong("output")], help: "Directory for the report files (default: report.output).")
    var outputDirectory: String?

    @Flag(help: "List stored audits instead of rendering one.")
    var list = false

    @Flag(help: "Print the JSON schema of report.json and exit.")
    var schema = false

    func run() async throws {
        try await runMapped {
            if schema {
                print(try ReportWriter.schema(), terminator: "")
                return 0
            }
            let pipeline = AuditPipeline(configuration: try options.load())
            if list { return try emit(try await StoredRuns.list(pipeline.configuration), formatting.format) }
            return try emit(try await pipeline.report(id: run, outputDirectory: outputDirectory), formatting.format)
        }
    }
}
