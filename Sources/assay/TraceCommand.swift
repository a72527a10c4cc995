import ArgumentParser
import AssayApp

struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Profiler traces (Chrome trace format, as torch.profiler, TensorFlow and py-spy write them).",
        subcommands: [Analyze.self, Flamegraph.self, Diff.self])

    struct Analyze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attribute a trace's time to stages and, inside them, to components by self time.",
            discussion: """
                Stages are user annotations (record_function names) given with --stages; components are CUDA syncs \
                (device/stream/event synchronize, synchronous copies, aten::item), memcpy by direction, kernels \
                (compute, communication, memory), launch overhead, allocation, data loading and I/O, Python \
                overhead and CPU ops. GPU ops are linked to their CUDA launch by correlation id; GPU idle is the \
                share of each device's active window with no op running. Exits 1 when "Unknown" exceeds \
                latency.max_unknown_percent (default 10%).
                """)

        @OptionGroup var options: ConfigOption

        @Argument(help: "Trace file (.json or .json.gz).")
        var file: String

        @Option(help: "Comma-separated stage annotation names (default: workspace.latency.stages; none: the whole trace).")
        var stages: String?

        @Option(name: .customLong("perf-stat"), help: "perf stat output (human or -x,) for cache misses.")
        var perfStat: String?

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped {
                let configuration = try options.loadOrDefaults()
                return try emit(
                    try TraceUseCases.analyze(
                        file: file, stages: TraceUseCases.stageNames(stages, configuration), perfStat: perfStat, configuration: configuration),
                    formatting.format)
            }
        }
    }

    struct Flamegraph: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a trace as folded stacks, an interactive SVG flamegraph or a speedscope file.",
            discussion: """
                Stacks follow span nesting on each lane (pid/tid, the root frame); values are self time in whole \
                microseconds. The SVG is self-contained: click to zoom, Search to highlight by regular expression. \
                The speedscope file opens at https://www.speedscope.app or in its CLI.
                """)

        @Argument(help: "Trace file (.json or .json.gz).")
        var file: String

        @Option(help: "Where to write folded stacks (flamegraph.pl input).")
        var folded: String?

        @Option(help: "Where to write the SVG flamegraph.")
        var svg: String?

        @Option(help: "Where to write the speedscope JSON.")
        var speedscope: String?

        @Option(help: "Title of the SVG.")
        var title: String?

        func validate() throws {
            guard folded != nil || svg != nil || speedscope != nil else {
                throw ValidationError("name at least one output: --folded, --svg or --speedscope")
            }
        }

        func run() async throws {
            try await runMapped {
                try emit(try TraceUseCases.flamegraph(file: file, folded: folded, svg: svg, speedscope: speedscope, title: title), .text)
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rank operators by how much their time changed between two traces, with bootstrap CI95.",
            discussion: """
                For each operator: count and mean duration in each trace, Δmean with a seeded two-sample bootstrap \
                CI95, and Δ self and Δ inclusive time per step. Steps are the profiler's ProfilerStep#N annotations, \
                else the stage instances when --stages match, else the whole trace. Rows are ranked by the larger of \
                |Δ self| and |Δ inclusive| per step; "significant" means the CI95 excludes 0. The profiler's own \
                spans (its range, Iteration Start, [memory], the step markers) are left out. --svg writes a differential \
                flamegraph (widths: the second trace; red: more time, blue: less). Exits 0.
                """)

        @OptionGroup var options: ConfigOption

        @Argument(help: "Trace before the change.")
        var before: String

        @Argument(help: "Trace after the change.")
        var after: String

        @Option(help: "Comma-separated stage annotation names; their count normalizes totals per step.")
        var stages: String?

        @Option(help: "How many operators to show.")
        var top: Int = 20

        @Option(help: "Bootstrap resamples per operator (default: latency.bootstrap_resamples).")
        var resamples: Int?

        @Option(help: "Where to write the differential SVG flamegraph.")
        var svg: String?

        @Flag(help: "Scale the first trace to the second's total before colouring the differential flamegraph.")
        var normalize = false

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped {
                let configuration = try options.loadOrDefaults()
                return try emit(
                    try TraceUseCases.diff(
                        before: before, after: after, stages: TraceUseCases.stageNames(stages, configuration), top: top,
                        resamples: resamples, svg: svg, normalize: normalize, configuration: configuration),
                    formatting.format)
            }
        }
    }
}
