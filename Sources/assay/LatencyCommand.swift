import ArgumentParser
import AssayApp

/// Options naming latency logs and their stages.
struct LatencyLogOptions: ParsableArguments {
    @Option(help: "Comma-separated stage names, in pipeline order (default: workspace.latency.stages or preprocess,inference,postprocess).")
    var stages: String?
}

struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-stage latency statistics from JSON-lines request logs, and comparisons between runs.",
        subcommands: [Analyze.self, Compare.self, Scrape.self])

    struct Analyze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count, mean, P50/P95/P99 and share of total per stage (with --previous, Δ and bootstrap CI95).",
            discussion: "Exits 1 when a stage regressed against --previous, 0 otherwise.")

        @OptionGroup var options: ConfigOption
        @OptionGroup var logOptions: LatencyLogOptions
        @OptionGroup var formatting: FormatOption

        @Option(name: .customLong("log"), help: "Latency log of the run (repeatable; default: workspace.latency.logs).")
        var logs: [String] = []

        @Option(name: .customLong("previous"), help: "Latency log of the previous run (repeatable).")
        var previous: [String] = []

        func run() async throws {
            try await runMapped {
                let configuration = try options.loadOrDefaults()
                return try emit(
                    try LatencyUseCases.analyze(
                        logs: logs, previous: previous, stages: LatencyUseCases.stages(logOptions.stages, configuration), configuration: configuration),
                    formatting.format)
            }
        }
    }

    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare two runs' latency logs: Δmean and ΔP95 per stage with seeded bootstrap CI95.",
            discussion: "Paired by request_id when most requests match. Exits 1 when a stage regressed, 0 otherwise.")

        @OptionGroup var options: ConfigOption
        @OptionGroup var logOptions: LatencyLogOptions
        @OptionGroup var formatting: FormatOption

        @Argument(help: "Latency log of the earlier run.")
        var before: String

        @Argument(help: "Latency log of the later run.")
        var after: String

        func run() async throws {
            try await runMapped {
                let configuration = try options.loadOrDefaults()
                return try emit(
                    try LatencyUseCases.analyze(
                        logs: [after], previous: [before], stages: LatencyUseCases.stages(logOptions.stages, configuration),
                        configuration: configuration),
                    formatting.format)
            }
        }
    }
}

struct Optimize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate optimizations with statistics before counting them.",
        subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept an optimization only if CI95 of ΔP95 excludes 0 (improving) and P95 drops enough.",
            discussion: """
                Compares total latency of the candidate run with the baseline run (paired by request_id when \
                possible), records the decision with its evidence in the store, and exits 0 when accepted, 1 when \
                rejected. Thresholds: latency.optimization_min_p95_drop_ms (default 2), latency.confidence_level.
                """)

        @OptionGroup var options: ConfigOption
        @OptionGroup var logOptions: LatencyLogOptions
        @OptionGroup var formatting: FormatOption

        @Option(help: "Latency log of the run before the change.")
        var baseline: String

        @Option(help: "Latency log of the run with the change.")
        var candidate: String

        @Option(help: "Name of the optimization, e.g. \"Async preprocessing\".")
        var name: String = "unnamed optimization"

        @Option(name: .customLong("mlflow-run"), help: "MLflow run of the candidate, cited as evidence.")
        var mlflowRun: String?

        @Option(help: "Git commit of the candidate, cited as evidence.")
        var gitCommit: String?

        @Flag(help: "Do not record the decision in the store.")
        var noStore = false

        func run() async throws {
            try await runMapped {
                let configuration = try options.loadOrDefaults()
                return try emit(
                    try await LatencyUseCases.validateOptimization(
                        name: name, baseline: baseline, candidate: candidate, stages: LatencyUseCases.stages(logOptions.stages, configuration),
                        mlflowRun: mlflowRun, gitCommit: gitCommit, store: !noStore, configuration: configuration),
                    formatting.format)
            }
        }
    }
}
