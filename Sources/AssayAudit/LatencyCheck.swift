import AssayConfig
import AssayCore
import AssayLatency
import AssayProfiling

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
        // Traces break the stages down into components.
        for trace in latency.traces {
            let path = configuration.resolve(trace)
            let attribution = TraceAttribution.analyze(try ChromeTraceParser.parse(path: path), stages: latency.stages)
            findings += attribution.bottleneckFindings(
                evidence: try Evidence.file(at: path, displayPath: trace),
                maxUnknownPercent: configuration.thresholds.latency.maxUnknownPercent,
                minAttributedPercent: configuration.thresholds.latency.minAttributedPercent)
        }
        return .verified(findings)
    }
}
