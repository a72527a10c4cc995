import AssayAudit
import AssayBaseline
import AssayCapacity
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayServing
import AssayStore
import Foundation

/// Inference servers' own metrics, and load-test results stored as runs.
public enum ServingUseCases {
    /// Two scrapes `seconds` apart, kept in `output` when given, as per-stage rows.
    public static func scrape(kind: InferenceServerKind, url: String, model: String?, seconds: Double, output: String?, timeout: Int64) async throws -> Lines {
        var scraper = MetricsScraper(url: url)
        scraper.timeoutSeconds = max(1, timeout)
        let first: String, second: String
        do {
            first = try await scraper.fetch()
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            second = try await scraper.fetch()
        } catch let error as MetricsScrapeError {
            throw AppError(error.description, code: ExitStatus.unavailable)
        }
        if let output {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try AtomicFile.write(Data(first.utf8), to: output + "/\(kind.rawValue)-before.txt")
            try AtomicFile.write(Data(second.utf8), to: output + "/\(kind.rawValue)-after.txt")
        }
        let (window, origin) = try InferenceServerMetrics.window(
            kind: kind, model: model, captures: [Data(first.utf8), Data(second.utf8)], seconds: seconds, source: url)
        let evidence = Evidence(path: output.map { $0 + "/\(kind.rawValue)-after.txt" } ?? url, sha256: FileDigest.sha256(of: Data(second.utf8)))
        var lines = ServingFindings.rows(window, evidence: evidence, prefix: false, origin: origin).map { "\($0.check.padded(12)) \($0.observed)" }
        if window.stages.isEmpty { lines.append("no \(kind.rawValue) latency metrics at \(url)\(model.map { " for model \($0)" } ?? "")") }
        return Lines(lines)
    }

    /// Stores a load tester's output as a run (one LATENCY PROFILE row per level) with its peak in the metric
    /// history; with `capacity`, also writes the levels as a capacity measurement.
    public static func importLoadTest(_ file: String, capacity: String?, cores: Int, configuration: Configuration) async throws -> Lines {
        try requireFile(file)
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let result: LoadTestResult
        do {
            result = try LoadTestImport.read(String(decoding: data, as: UTF8.self), path: file)
        } catch let error as LoadTestError {
            throw AppError(error.description, code: ExitStatus.invalidInput)
        }
        let evidence = Evidence(path: file, sha256: FileDigest.sha256(of: data))
        let now = Date()
        let findings = (ServingFindings.row(result, evidence: evidence).map { [$0] } ?? []) + result.steps.map { levelRow($0, tool: result.tool, evidence: evidence) }
        var run = AuditRun(
            id: "loadtest-" + Auditor.newRunID(at: now), startedAt: now, finishedAt: now, configuration: evidence,
            layers: [LayerResult(layer: .latency, state: .verified, findings: findings, startedAt: now, durationSeconds: 0)],
            judgement: Judgement(verdict: .stable, reasons: []))
        run.host = ProcessInfo.processInfo.hostName
        let peak = MetricExtraction.current(from: run.layers).filter { $0.name.hasPrefix("latency.load_test.") }
        let points = peak.map { MetricPoint(metric: $0.name, value: $0.value, recordedAt: now, runID: run.id) }
        try await Workspace.withStore(configuration) { store in
            try await store.save(run)
            try await store.saveMetrics(points)
        }
        if let capacity { try writeCapacity(result, from: file, to: capacity, cores: cores, at: now) }
        return Lines(["stored \(run.id): \(result.tool.rawValue), \(result.steps.count) load level(s)"] + findings.map { "  \($0.check): \($0.observed)" })
    }

    static func levelRow(_ step: LoadTestStep, tool: LoadTestResult.Tool, evidence: Evidence) -> Finding {
        var measurements: [String: Double] = ["throughput_rps": step.throughputRPS]
        for (key, value) in [("mean_ms", step.meanMs), ("p50_ms", step.p50Ms), ("p95_ms", step.p95Ms), ("p99_ms", step.p99Ms)] {
            if let value { measurements[key] = value }
        }
        return Finding(
            table: .latencyProfile, check: "Load level: \(step.load)", status: .pass,
            observed: "\(Formatting.number(step.throughputRPS, digits: 1)) req/s"
                + (step.p95Ms.map { ", P95 \(Formatting.milliseconds($0)) ms" } ?? "") + (step.p99Ms.map { ", P99 \(Formatting.milliseconds($0)) ms" } ?? ""),
            severity: .info, measurements: measurements, attributes: ["source": tool.rawValue], statusLabel: "📊 Measured",
            evidence: evidence, [])
    }

    /// The load levels that report a P95, as one-second steps of a capacity measurement.
    static func writeCapacity(_ result: LoadTestResult, from file: String, to path: String, cores: Int, at now: Date) throws {
        let steps = result.steps.compactMap { step -> LoadStep? in
            guard let p95 = step.p95Ms else { return nil }
            let mean = step.meanMs ?? step.p50Ms ?? p95
            return LoadStep(
                targetRate: step.throughputRPS, achievedRate: step.throughputRPS, sent: Int(step.throughputRPS),
                completed: Int(step.throughputRPS), errors: step.failures ?? 0, meanMs: mean, p50Ms: step.p50Ms ?? mean,
                p95Ms: p95, p99Ms: step.p99Ms ?? p95, serviceCPUPercent: nil)
        }.sorted { $0.achievedRate < $1.achievedRate }
        guard !steps.isEmpty else { throw AppError("\(file): no load level reports a P95; no capacity measurement written", code: ExitStatus.invalidInput) }
        let measurement = CapacityMeasurement(
            url: file, measuredAt: now, cores: cores, stepSeconds: 1, objectiveP95Ms: steps.map(\.p95Ms).max() ?? 0, steps: steps)
        try AtomicFile.write(try JSONCoding.encoder(pretty: true).encode(measurement), to: path)
    }
}
