import ArgumentParser
import AssayConfig
import AssayCore
import AssayLatency
import AssayProfiling
import Foundation

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

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                let names = stageNames(stages, configuration)
                let lanes = try loadLanes(file)
                var attribution = TraceAttribution.analyze(lanes: lanes, stages: names)
                if attribution.stageMicroseconds == 0, !names.isEmpty {
                    attribution = TraceAttribution.analyze(lanes: lanes, stages: [])
                }
                var perf: PerfStat?
                if let perfStat {
                    try requireFile(perfStat)
                    perf = try PerfStat(text: try String(contentsOfFile: perfStat, encoding: .utf8), path: perfStat)
                }
                let limit = configuration.thresholds.latency.maxUnknownPercent
                switch format {
                case .json:
                    var object: [String: Any] = [
                        "file": file, "events": attribution.eventCount, "attributed_percent": attribution.attributedPercent,
                        "unknown_percent": attribution.unknownPercent,
                        "stages": attribution.stages.map { ["name": $0.name, "count": $0.count, "total_us": $0.totalMicroseconds, "mean_us": $0.meanMicroseconds, "attributed_percent": $0.attributedPercent] },
                        "components": attribution.components.map { ["name": $0.name, "us": $0.microseconds, "percent": $0.percent, "top_event": $0.topEvent] },
                    ]
                    if let gpu = attribution.gpu {
                        object["gpu"] = [
                            "ops": gpu.ops, "linked_ops": gpu.linkedOps, "unlinked_ops": gpu.unlinkedOps,
                            "op_us": gpu.opMicroseconds, "busy_us": gpu.busyMicroseconds, "window_us": gpu.windowMicroseconds,
                            "idle_percent": gpu.idlePercent, "stage_us": gpu.stageMicroseconds,
                        ]
                    }
                    object["cache_miss_percent"] = perf?.cacheMissPercent.map { $0 as Any } ?? "not measured"
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                case .markdown, .text:
                    print("\(file): \(attribution.eventCount) spans, \(Formatting.percent(attribution.attributedPercent)) attributed, unknown \(Formatting.percent(attribution.unknownPercent))\(attribution.unknownPercent > limit ? " — above \(Formatting.percent(limit, digits: 0)): request detailed profiling" : "")")
                    for stage in attribution.stages {
                        print("  stage \(stage.name.padding(toLength: 14, withPad: " ", startingAt: 0)) ×\(stage.count)  mean \(Formatting.milliseconds(stage.meanMicroseconds / 1000)) ms  attributed \(Formatting.percent(stage.attributedPercent))")
                    }
                    for component in attribution.components {
                        print("  \(Formatting.percent(component.percent).leftPadded(6))  \(component.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(Formatting.milliseconds(component.microseconds / 1000)) ms  \(component.topEvent)")
                    }
                    if let gpu = attribution.gpu {
                        print("  GPU: \(gpu.ops) ops, busy \(Formatting.milliseconds(gpu.busyMicroseconds / 1000)) ms of \(Formatting.milliseconds(gpu.windowMicroseconds / 1000)) ms (idle \(Formatting.percent(gpu.idlePercent))), \(gpu.linkedOps) linked to a CUDA launch, \(gpu.unlinkedOps) unlinked")
                        for (stage, us) in gpu.stageMicroseconds.sorted(by: { $0.value > $1.value }) {
                            print("    GPU time launched from \(stage): \(Formatting.milliseconds(us / 1000)) ms")
                        }
                    }
                    print("  cache misses: \(perf?.cacheMissPercent.map { Formatting.percent($0) + " of references" } ?? "not measured")")
                }
                return attribution.unknownPercent > limit ? 1 : 0
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
                let lanes = try loadLanes(file)
                let stacks = FoldedStacks(lanes: lanes)
                print("\(file): \(stacks.stacks.count) stacks, \(Formatting.milliseconds(Double(stacks.total) / 1000)) ms of self time")
                if let folded {
                    try AtomicFile.write(Data(stacks.text.utf8), to: folded)
                    print("Wrote \(folded): folded stacks")
                }
                if let svg {
                    let picture = FlamegraphSVG.render(stacks, options: .init(title: title ?? "Flamegraph of \(file)"))
                    try AtomicFile.write(Data(picture.utf8), to: svg)
                    print("Wrote \(svg): flamegraph (SVG)")
                }
                if let speedscope {
                    try AtomicFile.write(Data(SpeedscopeExport.json(lanes: lanes, name: file).utf8), to: speedscope)
                    print("Wrote \(speedscope): speedscope profile")
                }
                return 0
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

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                let t = configuration.thresholds.latency
                let first = try loadLanes(before)
                let second = try loadLanes(after)
                let bootstrap = Bootstrap(
                    resamples: resamples ?? t.bootstrapResamples, confidenceLevel: t.confidenceLevel, seed: t.bootstrapSeed)
                let diff = TraceDiff.compare(
                    before: first, after: second, stages: stageNames(stages, configuration), top: top, bootstrap: bootstrap)
                if let svg {
                    let picture = FlamegraphSVG.renderDifference(
                        before: FoldedStacks(lanes: first), after: FoldedStacks(lanes: second), normalize: normalize,
                        options: .init(title: "Differential flamegraph: \(before) → \(after)"))
                    try AtomicFile.write(Data(picture.utf8), to: svg)
                    if format == .text { print("Wrote \(svg): differential flamegraph (SVG)") }
                }
                switch format {
                case .json:
                    let rows: [[String: Any]] = diff.rows.map { row in
                        var object: [String: Any] = [
                            "name": row.name, "component": row.component, "count_before": row.before?.count ?? 0,
                            "count_after": row.after?.count ?? 0, "self_per_step_before_us": row.beforeSelfPerStep,
                            "self_per_step_after_us": row.afterSelfPerStep, "delta_self_per_step_us": row.deltaSelfPerStep,
                            "inclusive_per_step_before_us": row.beforeInclusivePerStep, "inclusive_per_step_after_us": row.afterInclusivePerStep,
                            "delta_inclusive_per_step_us": row.deltaInclusivePerStep,
                            "significant": row.significant,
                        ]
                        if let mean = row.before?.mean { object["mean_before_us"] = mean }
                        if let mean = row.after?.mean { object["mean_after_us"] = mean }
                        if let ci = row.deltaMean {
                            object["delta_mean_us"] = ci.estimate
                            object["ci95_low_us"] = ci.low
                            object["ci95_high_us"] = ci.high
                        }
                        return object
                    }
                    let object: [String: Any] = [
                        "before": before, "after": after, "steps_before": diff.beforeSteps, "steps_after": diff.afterSteps,
                        "operators_added": diff.added, "operators_removed": diff.removed, "rows": rows,
                    ]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                case .markdown, .text:
                    print("\(before) (\(diff.beforeSteps) steps) → \(after) (\(diff.afterSteps) steps); \(diff.added) operators added, \(diff.removed) removed")
                    print("Δself/step (µs)  Δincl/step (µs)  Δmean (µs) [CI95]                  n before→after  operator")
                    for row in diff.rows {
                        // Formatting.signedMilliseconds only chooses precision by size; the unit here is µs.
                        let ci = row.deltaMean.map {
                            "\(Formatting.signedMilliseconds($0.estimate)) [\(Formatting.signedMilliseconds($0.low)), \(Formatting.signedMilliseconds($0.high))]\($0.excludesZero ? " *" : "")"
                        } ?? (row.before == nil ? "new" : row.after == nil ? "gone" : "—")
                        print(
                            "\(Formatting.signedMilliseconds(row.deltaSelfPerStep).leftPadded(15))  \(Formatting.signedMilliseconds(row.deltaInclusivePerStep).leftPadded(15))  \(ci.padding(toLength: 34, withPad: " ", startingAt: 0)) \("\(row.before?.count ?? 0)→\(row.after?.count ?? 0)".leftPadded(14))  \(row.name.prefix(70))")
                    }
                    print("* CI95 excludes 0")
                }
                return 0
            }
        }
    }
}

/// `--stages a,b,c`, else the configured stages, else none.
private func stageNames(_ option: String?, _ configuration: Configuration) -> [String] {
    option.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? configuration.latency?.stages ?? []
}

private func loadLanes(_ file: String) throws -> [TraceLane] {
    try requireFile(file)
    return TraceLane.lanes(of: try ChromeTraceParser.parse(path: file))
}
