import AssayCore
import Foundation

extension TraceAttribution {
    /// Milliseconds of a component per stage instance (per request when stages are annotated).
    func milliseconds(of component: Component) -> Double {
        component.microseconds / 1000 / Double(max(1, stages.map(\.count).max() ?? 1))
    }

    /// BOTTLENECK ANALYSIS rows from a trace: one per component (largest first), citing the trace file, with
    /// the change per stage instance against `previous` when given, and an "Unknown/Overhead" row flagged
    /// when above `maxUnknownPercent`.
    public func bottleneckFindings(
        evidence: Evidence, previous: TraceAttribution? = nil, maxUnknownPercent: Double, minAttributedPercent: Double
    ) -> [Finding] {
        let before = previous.map { earlier in
            Dictionary(earlier.components.map { ($0.name, earlier.milliseconds(of: $0)) }, uniquingKeysWith: +)
        }
        return components.map { component in
            let unknown = component.name == "Unknown"
            let flagged = unknown && component.percent > maxUnknownPercent
            let latency = milliseconds(of: component)
            var cite = evidence
            cite.locator = "component \(component.name)"
            var measurements = ["percent_total": component.percent, "latency_ms": latency]
            var detail = unknown
                ? "\(Formatting.percent(component.percent)) of stage time is covered by no named component (goal: attributed ≥ \(Formatting.percent(minAttributedPercent, digits: 0)))."
                : "\(Formatting.percent(component.percent)) of stage time; largest contributor \(component.topEvent)."
            if let before, !unknown {
                let regression = latency - (before[component.name] ?? 0)
                measurements["regression_ms"] = regression
                detail += " \(Formatting.signedMilliseconds(regression)) ms per stage instance against the previous trace (totals of one trace each; assay trace diff gives per-operator CI95)."
            }
            return Finding(
                table: .bottleneckAnalysis, check: unknown ? "Unknown/Overhead (trace)" : "\(component.name) (trace)",
                status: flagged ? .watch : .pass, observed: "\(Formatting.percent(component.percent)) of stage time",
                expected: unknown ? "≤ \(Formatting.percent(maxUnknownPercent, digits: 0))" : nil,
                severity: flagged ? .medium : (component.percent >= 50 ? .medium : .low),
                measurements: measurements,
                attributes: [
                    "detail": detail,
                    "severity_reason": flagged
                        ? "unattributed time above \(Formatting.percent(maxUnknownPercent, digits: 0))"
                        : "\(Formatting.percent(component.percent, digits: 0)) of the traced stage time",
                ],
                recommendation: flagged ? "Request detailed profiling" : (component.percent >= 50 ? "Optimize \(component.topEvent.prefix(60))" : "—"),
                evidence: cite)
        }
    }

    /// GPU rows: idle share of the GPU's active window (flagged above `maxIdlePercent`), and GPU ops with no
    /// launching CPU call in the trace ("unlinked"). None when the trace has no GPU ops.
    public func gpuFindings(evidence: Evidence, maxIdlePercent: Double) -> [Finding] {
        guard let gpu else { return [] }
        var cite = evidence
        cite.locator = "GPU lanes"
        let idleFlagged = gpu.idlePercent > maxIdlePercent
        var findings = [
            Finding(
                table: .bottleneckAnalysis, check: "GPU idle (trace)", status: idleFlagged ? .watch : .pass,
                observed: "\(Formatting.percent(gpu.idlePercent)) of the GPU's active window",
                expected: "≤ \(Formatting.percent(maxIdlePercent, digits: 0))", severity: idleFlagged ? .medium : .low,
                measurements: ["gpu_idle_percent": gpu.idlePercent, "latency_ms": gpu.idleMicroseconds / 1000 / Double(max(1, stages.map(\.count).max() ?? 1))],
                attributes: [
                    "detail": "GPU busy \(Formatting.milliseconds(gpu.busyMicroseconds / 1000)) ms of a \(Formatting.milliseconds(gpu.windowMicroseconds / 1000)) ms window over \(gpu.ops) ops; \(Formatting.percent(gpu.linkedPercent)) linked to their CUDA launch by correlation id."
                ],
                recommendation: idleFlagged ? "Overlap CPU work with the GPU (larger batches, async copies, fewer syncs)" : "—",
                evidence: cite)
        ]
        if gpu.unlinkedOps > 0 {
            var unlinked = cite
            unlinked.locator = "unlinked GPU ops"
            findings.append(
                Finding(
                    table: .bottleneckAnalysis, check: "Unlinked GPU ops (trace)", status: .pass,
                    observed: "\(gpu.unlinkedOps) of \(gpu.ops) ops", severity: .low,
                    measurements: ["latency_ms": gpu.unlinkedMicroseconds / 1000 / Double(max(1, stages.map(\.count).max() ?? 1))],
                    attributes: ["detail": "\(gpu.unlinkedOps) GPU ops have no CUDA runtime call with the same correlation id in the trace; their time is not attributed to a stage."],
                    recommendation: "—", evidence: unlinked))
        }
        return findings
    }
}

extension PerfStat {
    /// The cache-miss row of BOTTLENECK ANALYSIS. Without perf stat output (`stat` nil) or without the two
    /// counters it says "not measured", citing what says so: the configuration that names no perf stat output, or
    /// the perf stat file.
    public static func cacheFinding(_ stat: PerfStat?, evidence: Evidence) -> Finding {
        guard let stat, let rate = stat.cacheMissPercent else {
            let why = stat == nil
                ? "no perf stat output configured (workspace.latency.perf_stat), and traces do not record cache misses"
                : "perf stat could not count cache-misses and cache-references on that machine"
            return Finding(
                table: .bottleneckAnalysis, check: "Cache misses", status: .notJudged, observed: "not measured",
                severity: .info, attributes: ["detail": "Not measured: \(why)."], recommendation: "—", evidence: evidence)
        }
        var measurements: [String: Double] = ["cache_miss_percent": rate]
        if let ipc = stat.instructionsPerCycle { measurements["instructions_per_cycle"] = ipc }
        let ipcText = stat.instructionsPerCycle.map { ", \(Formatting.number($0, digits: 2)) instructions per cycle" } ?? ""
        return Finding(
            table: .bottleneckAnalysis, check: "Cache misses", status: .pass,
            observed: "\(Formatting.percent(rate)) of cache references", severity: .low, measurements: measurements,
            attributes: ["detail": "perf stat: \(Formatting.percent(rate)) cache-miss rate\(ipcText)."],
            recommendation: "—", evidence: evidence)
    }
}
