import ArgumentParser
import AssayApp

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write Assay's thresholds for the tools teams already run.",
        subcommands: [Rules.self, Grafana.self])

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

    struct Grafana: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A Grafana dashboard of the resource series, with the thresholds in assay.yaml drawn as lines.",
            discussion: """
                Panels: CPU, memory and uptime (node_exporter's series, which assay agent serves too, and up), the \
                agent's disk utilization and sustained-load alert, and dcgm-exporter's GPU utilization, memory in use, \
                memory growth per hour, temperature and XID errors. Variables: the Prometheus datasource and the \
                instances. deploy/grafana/assay-dashboard.json is the copy with the defaults.
                """)

        @OptionGroup var options: ConfigOption

        @Option(name: .shortAndLong, help: "Where to write the dashboard JSON (default: standard output).")
        var output: String?

        func run() async throws {
            try await runMapped { try emit(try ExportUseCases.grafana(try options.loadOrDefaults(), output: output), .text) }
        }
    }
}
