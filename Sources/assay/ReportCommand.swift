import ArgumentParser
import AssayConfig
import AssayCore
import AssayReport
import Foundation
import AssayStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a stored audit as Markdown, JSON and HTML.",
        discussion: "Exits with the audit's verdict code: 0 STABLE, 1 NEEDS FIX, 2 AT RISK.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Id of the stored audit (default: the latest).")
    var run: String?

    @Option(name: .shortAndLong, help: "Directory for the report files (default: report.output).")
    var output: String?

    @Option(help: "How to print the result: text, json or markdown.")
    var format: OutputFormat = .text

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
            let configuration = try options.load()
            if list {
                for summary in try await withStore(configuration, { try await $0.runs(limit: 50) }) {
                    print("\(summary.id)  \(summary.verdict.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(summary.configurationPath)")
                }
                return 0
            }
            let stored: AuditRun? = try await withStore(configuration) { store in
                if let run { try await store.run(id: run) } else { try await store.latestRun() }
            }
            guard let stored else {
                throw CommandError(
                    message: run.map { "no stored audit with id \($0) (see assay report --list)" }
                        ?? "the store holds no audit yet; run assay audit first",
                    code: ExitStatus.missingInput)
            }
            let report = ReportBuilder(service: configuration.service, thresholds: configuration.thresholds).build(stored)
            try emit(report, configuration: configuration, outputDirectory: output, format: format)
            return report.exitCode
        }
    }
}
