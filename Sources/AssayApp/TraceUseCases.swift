import AssayConfig
import AssayCore
import AssayLatency
import AssayProfiling
import Foundation

/// `assay trace`: attribution, flamegraphs and diffs of profiler traces.
public enum TraceUseCases {
    /// `--stages a,b`, else the configured stages, else none.
    public static func stageNames(_ option: String?, _ configuration: Configuration) -> [String] {
        option.map(commaSeparated) ?? configuration.latency?.stages ?? []
    }

    public static func lanes(_ file: String) throws -> [TraceLane] {
        try requireFile(file)
        return TraceLane.lanes(of: try ChromeTraceParser.parse(path: file))
    }

    /// Time attributed to stages and components; falls back to the whole trace when no stage matches.
    public static func analyze(file: String, stages: [String], perfStat: String?, configuration: Configuration) throws -> TraceAnalysis {
        let lanes = try lanes(file)
        var attribution = TraceAttribution.analyze(lanes: lanes, stages: stages)
        var over = "within the stages \(stages.joined(separator: ", ")), as the audit attributes it"
        if stages.isEmpty {
            over = "over the whole trace (no --stages and no workspace.latency.stages); the audit attributes within its configured stages, so its share can differ"
        } else if attribution.stageMicroseconds == 0 {
            attribution = TraceAttribution.analyze(lanes: lanes, stages: [])
            over = "over the whole trace: no span is named \(stages.joined(separator: ", "))"
        }
        var perf: PerfStat?
        if let perfStat {
            try requireFile(perfStat)
            perf = try PerfStat(text: try String(contentsOfFile: perfStat, encoding: .utf8), path: perfStat)
        }
        return TraceAnalysis(
            file: file, attribution: attribution, cacheMissPercent: perf?.cacheMissPercent,
            unknownLimit: configuration.thresholds.latency.maxUnknownPercent, scope: over)
    }

    /// Writes the requested renderings of a trace; returns what was written.
    public static func flamegraph(file: String, folded: String?, svg: String?, speedscope: String?, title: String?) throws -> Lines {
        let lanes = try lanes(file)
        let stacks = FoldedStacks(lanes: lanes)
        var lines = ["\(file): \(stacks.stacks.count) stacks, \(Formatting.milliseconds(Double(stacks.total) / 1000)) ms of self time"]
        if let folded {
            try AtomicFile.write(Data(stacks.text.utf8), to: folded)
            lines.append("Wrote \(folded): folded stacks")
        }
        if let svg {
            try AtomicFile.write(Data(FlamegraphSVG.render(stacks, options: .init(title: title ?? "Flamegraph of \(file)")).utf8), to: svg)
            lines.append("Wrote \(svg): flamegraph (SVG)")
        }
        if let speedscope {
            try AtomicFile.write(Data(SpeedscopeExport.json(lanes: lanes, name: file).utf8), to: speedscope)
            lines.append("Wrote \(speedscope): speedscope profile")
        }
        return Lines(lines)
    }

    /// Operators ranked by their change between two traces, with bootstrap CI95; `svg` gets the differential flamegraph.
    public static func diff(
        before: String, after: String, stages: [String], top: Int, resamples: Int?, svg: String?, normalize: Bool,
        configuration: Configuration
    ) throws -> TraceDiffOutput {
        let t = configuration.thresholds.latency
        let first = try lanes(before)
        let second = try lanes(after)
        let bootstrap = Bootstrap(resamples: resamples ?? t.bootstrapResamples, confidenceLevel: t.confidenceLevel, seed: t.bootstrapSeed)
        let diff = TraceDiff.compare(before: first, after: second, stages: stages, top: top, bootstrap: bootstrap)
        if let svg {
            let picture = FlamegraphSVG.renderDifference(
                before: FoldedStacks(lanes: first), after: FoldedStacks(lanes: second), normalize: normalize,
                options: .init(title: "Differential flamegraph: \(before) → \(after)"))
            try AtomicFile.write(Data(picture.utf8), to: svg)
        }
        return TraceDiffOutput(before: before, after: after, diff: diff, svg: svg)
    }
}

/// What `assay trace analyze` prints; exits 1 when "Unknown" is above the limit.
public struct TraceAnalysis: CommandOutput {
    public var file: String
    public var attribution: TraceAttribution
    public var cacheMissPercent: Double?
    public var unknownLimit: Double
    /// What the shares are of: "within the stages preprocess, inference", or the whole trace and why.
    public var scope: String

    public var exitCode: Int32 { attribution.unknownPercent > unknownLimit ? 1 : 0 }

    struct Stage: Encodable {
        var name: String, count: Int, totalUs: Double, meanUs: Double, attributedPercent: Double
        enum CodingKeys: String, CodingKey {
            case name, count, totalUs = "total_us", meanUs = "mean_us", attributedPercent = "attributed_percent"
        }
    }

    struct Component: Encodable {
        var name: String, us: Double, percent: Double, topEvent: String
        enum CodingKeys: String, CodingKey { case name, us, percent, topEvent = "top_event" }
    }

    struct GPU: Encodable {
        var ops: Int, linkedOps: Int, unlinkedOps: Int, opUs: Double, busyUs: Double, windowUs: Double, idlePercent: Double
        var stageUs: [String: Double]
        enum CodingKeys: String, CodingKey {
            case ops, linkedOps = "linked_ops", unlinkedOps = "unlinked_ops", opUs = "op_us", busyUs = "busy_us"
            case windowUs = "window_us", idlePercent = "idle_percent", stageUs = "stage_us"
        }
    }

    enum CodingKeys: String, CodingKey {
        case file, events, stages, components, gpu, scope
        case attributedPercent = "attributed_percent", unknownPercent = "unknown_percent", cacheMissPercent = "cache_miss_percent"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let a = attribution
        try c.encode(file, forKey: .file)
        try c.encode(a.eventCount, forKey: .events)
        try c.encode(a.attributedPercent, forKey: .attributedPercent)
        try c.encode(a.unknownPercent, forKey: .unknownPercent)
        try c.encode("attributed " + scope, forKey: .scope)
        try c.encode(
            a.stages.map { Stage(name: $0.name, count: $0.count, totalUs: $0.totalMicroseconds, meanUs: $0.meanMicroseconds, attributedPercent: $0.attributedPercent) },
            forKey: .stages)
        try c.encode(a.components.map { Component(name: $0.name, us: $0.microseconds, percent: $0.percent, topEvent: $0.topEvent) }, forKey: .components)
        if let g = a.gpu {
            try c.encode(
                GPU(ops: g.ops, linkedOps: g.linkedOps, unlinkedOps: g.unlinkedOps, opUs: g.opMicroseconds, busyUs: g.busyMicroseconds,
                    windowUs: g.windowMicroseconds, idlePercent: g.idlePercent, stageUs: g.stageMicroseconds),
                forKey: .gpu)
        }
        if let cacheMissPercent { try c.encode(cacheMissPercent, forKey: .cacheMissPercent) } else { try c.encode("not measured", forKey: .cacheMissPercent) }
    }

    var headline: String {
        let a = attribution
        return "\(file): \(a.eventCount) spans, \(Formatting.percent(a.attributedPercent)) attributed, unknown \(Formatting.percent(a.unknownPercent))"
            + (a.unknownPercent > unknownLimit ? " — above \(Formatting.percent(unknownLimit, digits: 0)): request detailed profiling" : "")
    }

    var gpuLines: [String] {
        guard let gpu = attribution.gpu else { return [] }
        return ["GPU: \(gpu.ops) ops, busy \(Formatting.milliseconds(gpu.busyMicroseconds / 1000)) ms of \(Formatting.milliseconds(gpu.windowMicroseconds / 1000)) ms (idle \(Formatting.percent(gpu.idlePercent))), \(gpu.linkedOps) linked to a CUDA launch, \(gpu.unlinkedOps) unlinked"]
            + gpu.stageMicroseconds.sorted { $0.value > $1.value }.map { "  GPU time launched from \($0.key): \(Formatting.milliseconds($0.value / 1000)) ms" }
    }

    var cacheLine: String { "cache misses: \(cacheMissPercent.map { Formatting.percent($0) + " of references" } ?? "not measured")" }

    public func text() -> String {
        var lines = [headline, "  attributed \(scope)"]
        for stage in attribution.stages {
            lines.append("  stage \(stage.name.padded(14)) ×\(stage.count)  mean \(Formatting.milliseconds(stage.meanMicroseconds / 1000)) ms  attributed \(Formatting.percent(stage.attributedPercent))")
        }
        for component in attribution.components {
            lines.append("  \(Formatting.percent(component.percent).leftPadded(6))  \(component.name.padded(30)) \(Formatting.milliseconds(component.microseconds / 1000)) ms  \(component.topEvent)")
        }
        lines += gpuLines.map { "  " + $0 }
        lines.append("  " + cacheLine)
        return lines.joined(separator: "\n")
    }

    public func markdown() -> String {
        let stages = MarkdownTable(
            ["Stage", "Count", "Mean (ms)", "Attributed"],
            rows: attribution.stages.map { [$0.name, String($0.count), Formatting.milliseconds($0.meanMicroseconds / 1000), Formatting.percent($0.attributedPercent)] })
        let components = MarkdownTable(
            ["Component", "Share", "Time (ms)", "Top event"],
            rows: attribution.components.map { [$0.name, Formatting.percent($0.percent), Formatting.milliseconds($0.microseconds / 1000), $0.topEvent] })
        return (["### Trace attribution", "", headline, "", "Attributed \(scope).", "", stages.text, "", components.text, ""] + gpuLines.map { "- " + $0 } + ["- " + cacheLine])
            .joined(separator: "\n")
    }
}

/// What `assay trace diff` prints.
public struct TraceDiffOutput: CommandOutput {
    public var before: String
    public var after: String
    public var diff: TraceDiff
    public var svg: String?

    struct Row: Encodable {
        var row: TraceDiff.Row
        struct CallStep: Encodable {
            var name: String
            var deltaInclusivePerStep: Double
            enum CodingKeys: String, CodingKey { case name, deltaInclusivePerStep = "delta_inclusive_per_step_us" }
        }

        enum CodingKeys: String, CodingKey {
            case name, component, significant
            case callPath = "call_path"
            case countBefore = "count_before", countAfter = "count_after"
            case selfBefore = "self_per_step_before_us", selfAfter = "self_per_step_after_us", deltaSelf = "delta_self_per_step_us"
            case inclusiveBefore = "inclusive_per_step_before_us", inclusiveAfter = "inclusive_per_step_after_us"
            case deltaInclusive = "delta_inclusive_per_step_us", meanBefore = "mean_before_us", meanAfter = "mean_after_us"
            case deltaMean = "delta_mean_us", low = "ci95_low_us", high = "ci95_high_us"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(row.name, forKey: .name)
            try c.encode(row.component, forKey: .component)
            try c.encode(row.significant, forKey: .significant)
            try c.encode(row.before?.count ?? 0, forKey: .countBefore)
            try c.encode(row.after?.count ?? 0, forKey: .countAfter)
            try c.encode(row.beforeSelfPerStep, forKey: .selfBefore)
            try c.encode(row.afterSelfPerStep, forKey: .selfAfter)
            try c.encode(row.deltaSelfPerStep, forKey: .deltaSelf)
            try c.encode(row.beforeInclusivePerStep, forKey: .inclusiveBefore)
            try c.encode(row.afterInclusivePerStep, forKey: .inclusiveAfter)
            try c.encode(row.deltaInclusivePerStep, forKey: .deltaInclusive)
            try c.encodeIfPresent(row.before?.mean, forKey: .meanBefore)
            try c.encodeIfPresent(row.after?.mean, forKey: .meanAfter)
            try c.encodeIfPresent(row.deltaMean?.estimate, forKey: .deltaMean)
            try c.encodeIfPresent(row.deltaMean?.low, forKey: .low)
            try c.encodeIfPresent(row.deltaMean?.high, forKey: .high)
            try c.encode(row.callPath.map { CallStep(name: $0.name, deltaInclusivePerStep: $0.deltaInclusivePerStep) }, forKey: .callPath)
        }
    }

    enum CodingKeys: String, CodingKey {
        case before, after, rows
        case stepsBefore = "steps_before", stepsAfter = "steps_after", added = "operators_added", removed = "operators_removed"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(before, forKey: .before)
        try c.encode(after, forKey: .after)
        try c.encode(diff.beforeSteps, forKey: .stepsBefore)
        try c.encode(diff.afterSteps, forKey: .stepsAfter)
        try c.encode(diff.added, forKey: .added)
        try c.encode(diff.removed, forKey: .removed)
        try c.encode(diff.rows.map(Row.init), forKey: .rows)
    }

    var headline: String {
        "\(before) (\(diff.beforeSteps) steps) → \(after) (\(diff.afterSteps) steps); \(diff.added) operators added, \(diff.removed) removed"
    }

    /// Where the row's inclusive change is spent: `aten::item → aten::_local_scalar_dense (+170) → cudaMemcpyAsync (+160)`.
    func callPath(_ row: TraceDiff.Row) -> String? {
        row.callPath.isEmpty ? nil
            : ([row.name] + row.callPath.map { "\($0.name) (\(Formatting.signedMilliseconds($0.deltaInclusivePerStep)))" }).joined(separator: " → ")
    }

    /// Δmean with its CI95 (µs; `Formatting.signedMilliseconds` only picks the precision), or new / gone.
    func interval(_ row: TraceDiff.Row) -> String {
        row.deltaMean.map {
            "\(Formatting.signedMilliseconds($0.estimate)) [\(Formatting.signedMilliseconds($0.low)), \(Formatting.signedMilliseconds($0.high))]\($0.excludesZero ? " *" : "")"
        } ?? (row.before == nil ? "new" : row.after == nil ? "gone" : "—")
    }

    public func text() -> String {
        var lines = (svg.map { ["Wrote \($0): differential flamegraph (SVG)"] } ?? []) + [headline]
        lines.append("Δself/step (µs)  Δincl/step (µs)  Δmean (µs) [CI95]                  n before→after  operator")
        for row in diff.rows {
            lines.append(
                "\(Formatting.signedMilliseconds(row.deltaSelfPerStep).leftPadded(15))  \(Formatting.signedMilliseconds(row.deltaInclusivePerStep).leftPadded(15))  \(interval(row).padded(34)) \("\(row.before?.count ?? 0)→\(row.after?.count ?? 0)".leftPadded(14))  \(row.name.prefix(70))")
            if let path = callPath(row) { lines.append(String(repeating: " ", count: 17) + "↳ call path (Δincl/step µs): " + path) }
        }
        lines.append("* CI95 excludes 0")
        return lines.joined(separator: "\n")
    }

    public func markdown() -> String {
        let rows = diff.rows.map { row in
            [row.name, row.component, Formatting.signedMilliseconds(row.deltaSelfPerStep), Formatting.signedMilliseconds(row.deltaInclusivePerStep),
             interval(row), "\(row.before?.count ?? 0)→\(row.after?.count ?? 0)", callPath(row) ?? "—"]
        }
        return "### Trace diff\n\n\(headline)\n\n"
            + MarkdownTable(["Operator", "Component", "Δself/step (µs)", "Δincl/step (µs)", "Δmean (µs) [CI95]", "n", "Call path (Δincl/step µs)"], rows: rows).text
            + "\n\n\\* CI95 excludes 0"
    }
}
