import ArgumentParser
import AssayApp

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write Assay's thresholds for the tools teams already run.",
        subcommands: [Rules.self])

    struct Rules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prometheus recording and alerting rules for the resource thresholds in assay.yaml.",
            discussion: """
                Alerts: AssayCPUHigh, AssaySustainedCPULoad, AssayMemoryHigh (node_exporter's series, which assay \
                agent serves too), AssayGPUUtilizationHigh and AssayGPUMemoryGrowth (dcgm-exporter's), \
                AssayUptimeLow (up). deploy/prometheus/assay-rules.yml is the copy with the defaults, with promtool \
                unit tests beside it.
                """)

        @OptionGroup var options: ConfigOption

        @Option(name: .shortAndLong, help: "Where to write the rules (default: standard output).")
        var output: String?

        func run() async throws {
            try await runMapped { try emit(try ExportUseCases.rules(try options.loadOrDefaults(), output: output), .text) }
        }
    }
}
