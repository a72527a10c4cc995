import AssayConfig
import AssayCore
import AssayLatency
import AssayProfiling
import AssayServing
import Foundation

/// Latency: per-stage statistics from request logs, compared with the previous run, and the components of
/// each stage from profiler traces.
public struct LatencyCheck: LayerCheck {
    public let layer = Layer.latency

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard let latency = configuration.latency, !latency.logs.isEmpty || !latency.servers.isEmpty || !latency.loadTests.isEmpty else {
            return .notVerified(reason: "no latency logs, server metrics or load tests configured under workspace.latency")
        }
        var findings = latency.logs.isEmpty ? [] : try LatencyAnalyzer(settings: configuration.latencySettings(latency)).findings()
        findings += try Self.serverFindings(configuration, latency: latency)
        findings += try LiveWindowFindings.latency(configuration)
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
        } else if traceEvidence != nil {
            // Not measured: what it cites is the configuration that names no perf stat output, not the trace.
            var evidence = try Evidence.file(at: configuration.path, displayPath: configuration.path)
            evidence.locator = "workspace.latency.perf_stat (not set)"
            findings.append(PerfStat.cacheFinding(nil, evidence: evidence))
        }
        return .verified(findings)
    }

    /// Rows from inference servers' own metrics (each capture cited) and from load-test results.
    static func serverFindings(_ configuration: Configuration, latency: LatencySources) throws -> [Finding] {
        var findings: [Finding] = []
        for server in latency.servers {
            guard let kind = InferenceServerKind(rawValue: server.kind) else { continue }
            var captures: [Data] = []
            var evidence: [Evidence] = []
            for capture in server.scrapes {
                let path = configuration.resolve(capture)
                guard let data = FileManager.default.contents(atPath: path) else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: capture]) }
                captures.append(data)
                evidence.append(Evidence(path: capture, sha256: FileDigest.sha256(of: data), locator: server.model.map { "model=\($0)" }))
            }
            let (window, origin) = try InferenceServerMetrics.window(
                kind: kind, model: server.model, captures: captures, seconds: server.seconds, overrides: server.stages,
                source: server.scrapes[server.scrapes.count - 1])
            findings += ServingFindings.rows(
                window, evidence: evidence[evidence.count - 1], additional: Array(evidence.dropLast()),
                prefix: !latency.logs.isEmpty || latency.servers.count > 1, origin: origin)
        }
        for file in latency.loadTests {
            let path = configuration.resolve(file)
            guard let data = FileManager.default.contents(atPath: path) else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: file]) }
            let result = try LoadTestImport.read(String(decoding: data, as: UTF8.self), path: file)
            if let row = ServingFindings.row(result, evidence: Evidence(path: file, sha256: FileDigest.sha256(of: data))) { findings.append(row) }
        }
        return findings
    }

    /// One attribution over the lanes of all the given traces together.
    static func attribution(_ paths: [String], stages: [String]) throws -> TraceAttribution {
        var lanes: [TraceLane] = []
        for path in paths { lanes += TraceLane.lanes(of: try ChromeTraceParser.parse(path: path)) }
        return TraceAttribution.analyze(lanes: lanes, stages: stages)
    }
}
