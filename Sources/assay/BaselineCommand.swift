import ArgumentParser
import AssayApp

struct BaselineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Change points and trends of metric series.",
        subcommands: [Changes.self])

    struct Changes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the change points (level, spread or slope), the trend or the drift of a metric series in a CSV (header row) or JSON-lines file.",
            discussion: """
                Daily or weekly seasonality is detected from the time column and removed first (--period N forces a \
                period of N points); a steady trend is reported as a slope with its CI95, not as steps; steps are \
                found by penalized binary segmentation of the mean, measured in robust noise standard deviations. \
                The baseline layer, assay watch and the dashboard use the same detector. `index` is the 0-based \
                point of the first value of the new level, `row` the file's line. Exits 0; with \
                --fail-on-regression, 1 when the last change breaks the regression rules for the column (by its \
                name: …p95_ms, …_ms, …throughput_rps, else a utilization).
                """)

        @OptionGroup var options: ConfigOption
        @OptionGroup var formatting: FormatOption

        @Argument(help: "CSV with a header row, or JSON lines.")
        var file: String

        @Option(help: "The metric column (default: the last numeric column).")
        var column: String?

        @Option(name: .customLong("time-column"), help: "The time column (default: time, timestamp, ts or date when present).")
        var timeColumn: String?

        @Option(help: "A seasonal period in points to remove (default: daily or weekly, detected from the times).")
        var period: Int?

        @Flag(name: .customLong("fail-on-regression"), help: "Exit 1 when the last change breaks the regression rules.")
        var failOnRegression = false

        func run() async throws {
            try await runMapped {
                try emit(
                    try BaselineUseCases.changes(
                        file, column: column, timeColumn: timeColumn, period: period, failOnRegression: failOnRegression,
                        configuration: try options.loadOrDefaults()),
                    formatting.format)
            }
        }
    }
}
