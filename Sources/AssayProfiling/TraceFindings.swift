import AssayCore
import Foundation

extension TraceAttribution {
    /// BOTTLENECK ANALYSIS rows from a trace: one per component (largest first), citing the trace file, and
    /// an "Unknown/Overhead" row flagged when above `maxUnknownPercent`.
    public func bottleneckFindings(evidence: Evidence, maxUnknownPercent: Double, minAttributedPercent: Double) -> [Finding] {
        let perStage = Double(max(1, stages.map(\.count).max() ?? 1))
        return components.map { component in
            let unknown = component.name == "Unknown"
            let flagged = unknown && component.percent > maxUnknownPercent
            let latency = component.microseconds / 1000 / perStage
            var cite = evidence
            cite.locator = "component \(component.name)"
            let detail = unknown
                ? "\(Formatting.percent(component.percent)) of stage time is covered by no named component (goal: attributed ≥ \(Formatting.percent(minAttributedPercent, digits: 0)))."
                : "\(Formatting.percent(component.percent)) of stage time; largest contributor \(component.topEvent)."
            return Finding(
                table: .bottleneckAnalysis, check: unknown ? "Unknown/Overhead (trace)" : "\(component.name) (trace)",
                status: flagged ? .watch : .pass, observed: "\(Formatting.percent(component.percent)) of stage time",
                expected: unknown ? "≤ \(Formatting.percent(maxUnknownPercent, digits: 0))" : nil,
                severity: flagged ? .medium : (component.percent >= 50 ? .medium : .low),
                measurements: ["percent_total": component.percent, "latency_ms": latency],
                attributes: ["detail": detail],
                recommendation: flagged ? "Request detailed profiling" : (component.percent >= 50 ? "Optimize \(component.topEvent.prefix(60))" : "—"),
                evidence: cite)
        }
    }
}
