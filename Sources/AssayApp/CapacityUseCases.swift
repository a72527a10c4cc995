import AssayAudit
import AssayCapacity
import AssayConfig
import AssayCore
import AssayIntegrations
import Foundation

/// `assay capacity`: open-loop measurements and traffic projections.
public enum CapacityUseCases {
    /// The example service's request, sent when no body is given.
    static let exampleBody = #"{"id":"capacity","features":[0.4,1.5,-1.4,2.5,0.6,-1.8,1.2,-1.0]}"#

    /// Drives the service at each rate in turn, stopping once a step misses its schedule or the objective by far;
    /// writes the measurement to `output`. `progress` receives a line per step.
    public static func measure(
        url: String, body: String?, rates: [Double], stepSeconds: Double, pid: Int32?, cores: Int, objectiveP95Ms: Double,
        poisson: Bool, output: String, progress: (String) -> Void
    ) async throws -> Lines {
        let payload: [UInt8]
        if let body {
            try requireFile(body)
            payload = Array(try Data(contentsOf: URL(fileURLWithPath: absolutePath(body))))
        } else {
            payload = Array(exampleBody.utf8)
        }
        let result = try await steps(
            url: url, payload: payload, rates: rates, stepSeconds: stepSeconds, pid: pid, cores: cores, objectiveP95Ms: objectiveP95Ms,
            poisson: poisson, progress: progress)
        try AtomicFile.write(try JSONCoding.encoder(pretty: true).encode(result), to: absolutePath(output))
        let knee = CapacityPlan(measurement: result).knee
        return Lines(["knee: \(knee.map { "\(Formatting.number($0.achievedRate, digits: 0)) req/s" } ?? "none within the objective"); wrote \(output)"])
    }

    /// The measurement itself, `payload` sent at each rate in turn until a step misses its schedule or the objective
    /// by far.
    static func steps(
        url: String, payload: [UInt8], rates: [Double], stepSeconds: Double, pid: Int32?, cores: Int, objectiveP95Ms: Double,
        poisson: Bool, progress: (String) -> Void
    ) async throws -> CapacityMeasurement {
        var load = OpenLoopLoad(url: url, body: payload, processID: pid)
        load.poisson = poisson
        var steps: [LoadStep] = []
        var measurement: CapacityMeasurement?
        for rate in rates {
            let one = try await load.measure(rates: [rate], stepSeconds: stepSeconds, cores: cores, objectiveP95Ms: objectiveP95Ms)
            guard var step = one.steps.first else { continue }
            step.gpuMemoryUsedMiB = gpuMemory()?.used
            steps.append(step)
            measurement = one
            progress(
                "\(Formatting.number(rate, digits: 0).leftPadded(6)) req/s → \(Formatting.number(step.achievedRate, digits: 1).leftPadded(8)) done/s  mean \(Formatting.milliseconds(step.meanMs)) ms  P95 \(Formatting.milliseconds(step.p95Ms)) ms  P99 \(Formatting.milliseconds(step.p99Ms)) ms  errors \(step.errors)"
                    + (step.serviceCPUPercent.map { "  service CPU \(Formatting.percent($0))" } ?? ""))
            if step.achievedRate < 0.8 * rate || step.p95Ms > 4 * objectiveP95Ms { break }
        }
        guard var result = measurement else { throw AppError("no step ran", code: ExitStatus.usage) }
        result.steps = steps
        result.gpuMemoryTotalMiB = gpuMemory()?.total
        return result
    }

    /// GPU memory used and total over all GPUs, MiB, from nvidia-smi; nil without it.
    static func gpuMemory() -> (used: Double, total: Double)? {
        guard let data = ProcessOutput.run(["nvidia-smi", "--query-gpu=memory.used,memory.total", "--format=csv,noheader,nounits"]) else { return nil }
        let rows = String(decoding: data, as: UTF8.self).split(separator: "\n")
            .map { $0.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }.filter { $0.count == 2 }
        guard !rows.isEmpty else { return nil }
        return (rows.reduce(0) { $0 + $1[0] }, rows.reduce(0) { $0 + $1[1] })
    }

    /// Where the measurement comes from: a capacity.json, or the store's audits.
    public enum Source {
        case file(String?)
        case history(cores: Int, objectiveP95Ms: Double)
    }

    /// The CAPACITY PLANNING rows for the configured projections; exits 1 when one is over capacity.
    public static func plan(source: Source, currentRPS: Double?, configuration: Configuration) async throws -> FindingsOutput {
        guard let current = currentRPS ?? configuration.capacity?.currentRPS else {
            throw AppError("no current load: pass --current-rps", code: ExitStatus.usage)
        }
        let measurement: CapacityMeasurement
        let evidence: Evidence
        switch source {
        case .history(let cores, let objective):
            let since = Date().addingTimeInterval(-configuration.thresholds.baseline.windowDays * 86_400)
            let points = try await Workspace.withStore(configuration) { store in
                var points: [MetricPoint] = []
                for metric in CapacityMeasurement.historyMetrics { points += try await store.points(metric: metric, since: since) }
                return points
            }
            measurement = CapacityMeasurement.fromHistory(points, cores: cores, objectiveP95Ms: objective, source: "store history")
            guard measurement.steps.count >= 2 else {
                throw AppError(
                    "the store holds \(measurement.steps.count) audits with throughput, latency and CPU; 2 or more needed", code: ExitStatus.missingInput)
            }
            evidence = Evidence(
                path: Workspace.storeReference(configuration),
                sha256: FileDigest.sha256(of: Array(points.map { "\($0.runID) \($0.metric) \($0.value)\n" }.joined().utf8)),
                locator: "\(measurement.steps.count) audits")
        case .file(let path):
            guard let file = path.map(absolutePath) ?? configuration.capacity.map({ configuration.resolve($0.measurement) }) else {
                throw AppError("no measurement: pass --measurement FILE, --from-history, or configure workspace.capacity", code: ExitStatus.usage)
            }
            try requireFile(file)
            do {
                measurement = try JSONCoding.decoder().decode(CapacityMeasurement.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                throw AppError("\(file): not a capacity measurement (\(error))", code: ExitStatus.invalidInput)
            }
            evidence = try Evidence.file(at: file, displayPath: file)
        }
        let plan = CapacityPlan(measurement: measurement, peakUtilizationPercent: configuration.thresholds.capacity.peakUtilizationPercent)
        let findings = CapacityFindings.findings(
            plan, currentRate: current, evidence: evidence, projections: configuration.thresholds.capacity.projectionsPercent)
        return FindingsOutput(title: "Capacity planning", findings: findings, exitCode: FindingsOutput.breachCode(findings)) { findings in
            findings.map { "\($0.check): \($0.observed)" + ($0.recommendation.map { "\n  → \($0)" } ?? "") }
        }
    }
}
