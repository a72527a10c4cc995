import AssayCapacity
import AssayConfig
import AssayCore
import Foundation

/// Capacity: the measured knee and peak, and the configured traffic increases projected on the service with the
/// utilization law and an Erlang C queue, each assessed and with a recommendation.
public struct CapacityCheck: LayerCheck {
    public let layer = Layer.capacity

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard let capacity = configuration.capacity else {
            return .notVerified(reason: "no capacity measurement configured under workspace.capacity (record one with assay capacity measure)")
        }
        let path = configuration.resolve(capacity.measurement)
        let evidence = try Evidence.file(at: path, displayPath: capacity.measurement)
        let measurement: CapacityMeasurement
        do {
            measurement = try JSONCoding.decoder().decode(CapacityMeasurement.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            return .notVerified(reason: "\(capacity.measurement): not a capacity measurement written by assay capacity measure (\(error))")
        }
        let throughput = earlier.flatMap(\.findings).first { $0.table == .latencyProfile && $0.check == "Total" }?.measurements["throughput_rps"]
        guard let current = capacity.currentRPS ?? throughput else {
            return .notVerified(reason: "no current load: set workspace.capacity.current_rps, or log started_at so the latency logs give throughput")
        }
        let plan = CapacityPlan(measurement: measurement, peakUtilizationPercent: configuration.thresholds.capacity.peakUtilizationPercent)
        return .verified(
            CapacityFindings.findings(plan, currentRate: current, evidence: evidence, projections: configuration.thresholds.capacity.projectionsPercent)
                + (try LiveWindowFindings.capacity(configuration)))
    }
}

/// CAPACITY PLANNING rows from a plan.
public enum CapacityFindings {
    /// The rows, each stamped with when the measurement was taken (`recorded_to`, which the audit's freshness check
    /// reads): every row rests on it.
    public static func findings(_ plan: CapacityPlan, currentRate: Double, evidence: Evidence, projections: [Double]) -> [Finding] {
        rows(plan, currentRate: currentRate, evidence: evidence, projections: projections).map { finding in
            var finding = finding
            finding.measurements["recorded_to"] = plan.measurement.measuredAt.timeIntervalSince1970
            return finding
        }
    }

    static func rows(_ plan: CapacityPlan, currentRate: Double, evidence: Evidence, projections: [Double]) -> [Finding] {
        guard let demand = plan.serviceDemand, let peak = plan.peakRate else {
            return [
                Finding(
                    table: .capacityPlanning, check: "Current capacity", status: .unverified,
                    observed: "the measurement has no sustained step with the service's CPU sampled", severity: .medium,
                    recommendation: "Re-run assay capacity measure with --pid of the service", evidence: evidence)
            ]
        }
        let objective = plan.measurement.objectiveP95Ms
        let knee = plan.knee
        let buffer = max(0, (1 - currentRate / peak) * 100)
        var cite = evidence
        cite.locator = "\(plan.measurement.steps.count) steps, \(Formatting.number(plan.measurement.stepSeconds, digits: 0)) s each"
        // The plan's latencies come from its own HTTP load test, not from the latency logs: say so beside them.
        let source = "HTTP load test, \(evidence.path)"
        let kneeText = knee.map {
            "knee at \(Formatting.number($0.achievedRate, digits: 0)) req/s (P95 \(Formatting.milliseconds($0.p95Ms)) ms ≤ \(Formatting.milliseconds(objective)) ms; \(source))"
        } ?? "no measured step met the P95 objective of \(Formatting.milliseconds(objective)) ms (\(source))"
        var rows = [
            Finding(
                table: .capacityPlanning, check: "Current capacity",
                status: knee == nil ? .breach : (currentRate > peak ? .breach : .pass),
                observed: "\(kneeText); peak \(Formatting.number(peak, digits: 0)) req/s at \(Formatting.percent(plan.peakUtilizationPercent, digits: 0)) CPU (\(Formatting.milliseconds(demand * 1000)) ms CPU per request, \(plan.servers) of \(plan.measurement.cores) cores); current \(Formatting.number(currentRate, digits: 1)) req/s, buffer \(Formatting.percent(buffer, digits: 0))",
                severity: knee == nil ? .high : .info,
                measurements: [
                    "knee_rps": knee?.achievedRate ?? 0, "peak_rps": peak, "current_rps": currentRate, "buffer_percent": buffer,
                    "service_demand_ms": demand * 1000, "objective_p95_ms": objective,
                ],
                statusLabel: knee == nil ? "❌ Objective not met" : "✅ Measured", evidence: cite)
        ]
        rows[0].series["curve"] = plan.measurement.steps.map { SeriesPoint($0.achievedRate, $0.p95Ms) }
        for projection in plan.project(currentRate: currentRate, increasesPercent: projections) {
            var latency = projection.meanMs.map { mean in
                "projected mean \(Formatting.milliseconds(mean)) ms, P95 \(Formatting.milliseconds(projection.p95Ms ?? mean)) ms (queueing model of the HTTP load test)"
            } ?? "past saturation"
            if let memory = projection.gpuMemoryMiB {
                latency += "; GPU memory \(Formatting.number(memory, digits: 0)) MiB" + (plan.measurement.gpuMemoryTotalMiB.map { " of \(Formatting.number($0, digits: 0))" } ?? "")
            }
            let recommendation: String
            switch projection.assessment {
            case .withinCapacity: recommendation = "Hold: no scaling needed"
            case .nearLimits: recommendation = "Plan \(projection.instancesNeeded) instances before this traffic arrives"
            case .overCapacity: recommendation = "Add capacity: \(projection.instancesNeeded) instances keep CPU under 80%"
            }
            let contention = plan.scalability.flatMap { usl in
                usl.sigma > 0.1 || usl.kappa > 0.01
                    ? "; throughput scales poorly with concurrency (USL σ \(Formatting.number(usl.sigma, digits: 2)), κ \(Formatting.number(usl.kappa, digits: 4))): look for serialized work before adding instances"
                    : nil
            }
            rows.append(
                Finding(
                    table: .capacityPlanning, check: "+\(Formatting.number(projection.increasePercent, digits: 0))% traffic",
                    status: projection.assessment == .withinCapacity ? .pass : (projection.assessment == .nearLimits ? .watch : .breach),
                    observed: "\(Formatting.number(projection.rate, digits: 1)) req/s; CPU \(Formatting.percent(projection.utilizationNow)) → \(Formatting.percent(projection.utilizationThen)) (+\(Formatting.number(projection.utilizationThen - projection.utilizationNow, digits: 1)) pts); \(latency); \(projection.assessment.rawValue)",
                    expected: "P95 ≤ \(Formatting.milliseconds(objective)) ms, CPU ≤ 80%",
                    severity: projection.assessment == .overCapacity ? .high : (projection.assessment == .nearLimits ? .medium : .info),
                    measurements: [
                        "rate_rps": projection.rate, "utilization_now_percent": projection.utilizationNow,
                        "utilization_then_percent": projection.utilizationThen, "instances_needed": Double(projection.instancesNeeded),
                    ].merging(projection.meanMs.map { ["projected_mean_ms": $0, "projected_p95_ms": projection.p95Ms ?? $0] } ?? [:]) { a, _ in a }
                        .merging(projection.gpuMemoryMiB.map { ["gpu_memory_mib": $0] } ?? [:]) { a, _ in a },
                    statusLabel: projection.assessment.rawValue.capitalized,
                    recommendation: recommendation + (contention ?? ""), evidence: cite))
        }
        rows.append(
            Finding(
                table: .capacityPlanning, check: "Model and assumptions", status: .pass,
                observed: plan.assumptions.joined(separator: "; "), severity: .info, statusLabel: "ℹ️ Stated", evidence: cite))
        return rows
    }
}
