import AssayConfig
import AssayCore
import AssayLatency
import AssayProfiling
import Foundation

/// Latency: per-stage statistics from request logs, compared with the previous run, and the components of
/// each stage from profiler traces.
public struct LatencyCheck: LayerCheck {
    public let layer = Layer.latency

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard let latency = configuration.latency, !latency.logs.isEmpty else {
            return .notVerified(reason: "no latency logs configured under workspace.latency.logs")
        }
        var findings = try LatencyAnalyzer(configuration: configuration, latency: latency).findings()
        // Traces break the stages down into components; the previous run's traces give the Regression column.
        let thresholds = configuration.thresholds.latency
        var previous: TraceAttribution?
        if !latency.previousTraces.isEmpty {
            previous = try Self.attribution(latency.previousTraces.map(configuration.resolve), stages: latency.stages)
        }
        var traceEvidence: Evidence?
        for trace in latency.traces {
            let path = configuration.resolve(trace)
            let attribution = try Self.attribution([path], stages: latency.stages)
            let evidence = try Evidence.file(at: path, displayPath: trace)
            traceEvidence = traceEvidence ?? evidence
            findings += attribution.bottleneckFindings(
                evidence: evidence, previous: previous, maxUnknownPercent: thresholds.maxUnknownPercent,
                minAttributedPercent: thresholds.minAttributedPercent)
            findings += attribution.gpuFindings(evidence: evidence, maxIdlePercent: thresholds.maxGPUIdlePercent)
        }
        if let perf = latency.perfStat {
            let path = configuration.resolve(perf)
            let stat = try PerfStat(text: try String(contentsOfFile: path, encoding: .utf8), path: perf)
            findings.append(PerfStat.cacheFinding(stat, evidence: try Evidence.file(at: path, displayPath: perf)))
        } else if let traceEvidence {
            findings.append(PerfStat.cacheFinding(nil, evidence: traceEvidence))
        }
        return .verified(findings)
    }

    /// One attribution over the lanes of all the given traces together.
    static func attribution(_ paths: [String], stages: [String]) throws -> TraceAttribution {
        var lanes: [TraceLane] = []
        for path in paths { lanes += TraceLane.lanes(of: try ChromeTraceParser.parse(path: path)) }
        return TraceAttribution.analyze(lanes: lanes, stages: stages)
    }
}
