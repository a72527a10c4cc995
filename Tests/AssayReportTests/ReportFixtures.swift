import AssayCore
import Foundation

/// Sample audits for report tests.
enum ReportFixtures {
    static let date = Date(timeIntervalSince1970: 1_800_000_000)

    static func evidence(_ path: String, _ fill: Character = "a", locator: String? = nil) -> Evidence {
        Evidence(path: path, sha256: String(repeating: fill, count: 64), locator: locator)
    }

    /// A run with every layer verified and one finding of each table.
    static func fullRun() -> AuditRun {
        let layers: [LayerResult] = [
            LayerResult(
                layer: .environment, state: .verified,
                findings: [
                    Finding(
                        table: .environmentIntegrity, check: "Model Binary: weights", status: .pass, observed: "sha256:32fa… (v1.0.12)",
                        verifiedBy: "Assay", evidence: evidence("model/model.json"))
                ], startedAt: date),
            LayerResult(
                layer: .reproducibility, state: .verified,
                findings: [
                    Finding(
                        table: .reproducibilityStatus, check: "Output Checksum", status: .pass, observed: "8a7f…", expected: "8a7f…",
                        measurements: ["drift_percent": 0], evidence: evidence("reproducibility_logs.json", "b", locator: "#8721"))
                ], startedAt: date),
            LayerResult(
                layer: .resources, state: .verified,
                findings: [
                    Finding(
                        table: .resourceUtilization, check: "CPU Utilization (%)", status: .breach, observed: "86", expected: "< 80",
                        severity: .high, attributes: ["trend": "+4%"], evidence: evidence("telemetry.json", "c")),
                    Finding(
                        table: .anomalyDetection, check: "CPU Spike", status: .watch, observed: "+24% in 10 s",
                        severity: .medium, attributes: ["impact": "P95 +3 ms"], evidence: evidence("telemetry.json", "c")),
                ], startedAt: date),
            LayerResult(
                layer: .latency, state: .verified,
                findings: [
                    Finding(
                        table: .latencyProfile, check: "Inference", status: .pass, observed: "280 ms",
                        measurements: ["mean_ms": 280, "p95_ms": 420, "p99_ms": 485, "delta_ms": 5, "ci95_low_ms": -1.2, "ci95_high_ms": 8.3, "percent_total": 90],
                        evidence: evidence("latency.jsonl", "d")),
                    Finding(
                        table: .latencyProfile, check: "Total", status: .pass, observed: "310 ms",
                        measurements: ["mean_ms": 310, "p95_ms": 463, "p99_ms": 539], evidence: evidence("latency.jsonl", "d")),
                    Finding(
                        table: .bottleneckAnalysis, check: "Model Forward Pass", status: .watch, observed: "210 ms", severity: .medium,
                        measurements: ["percent_total": 68, "latency_ms": 210, "regression_ms": 2],
                        attributes: ["detail": "CI95 includes 0; profile the attention blocks next."],
                        recommendation: "Monitor 1 more cycle", evidence: evidence("trace.json", "e", locator: "#events[10:200]")),
                ], startedAt: date),
            LayerResult(
                layer: .baseline, state: .verified,
                findings: [
                    Finding(
                        table: .performanceBaseline, check: "P95 Latency", status: .pass, observed: "463ms",
                        measurements: ["baseline_mean": 461, "baseline_ci95_low": 455, "baseline_ci95_high": 467],
                        evidence: evidence("latency_timeseries.csv", "f")),
                    Finding(
                        table: .optimizationImpact, check: "Async Preprocessing", status: .pass, observed: "-3ms",
                        measurements: ["delta_p95_ms": -3, "ci95_low_ms": -4.5, "ci95_high_ms": -1.8],
                        attributes: ["applied_date": "2025-10-12"], evidence: evidence("runs.json", "f", locator: "#8700")),
                ], startedAt: date),
            LayerResult(
                layer: .capacity, state: .verified,
                findings: [
                    Finding(
                        table: .capacityPlanning, check: "+20% traffic", status: .watch, observed: "GPU 94%", expected: "95%",
                        recommendation: "add 1 GPU node", evidence: evidence("telemetry.json", "c"))
                ], startedAt: date),
        ]
        return AuditRun(
            id: "run-full", startedAt: date, finishedAt: date.addingTimeInterval(3),
            configuration: evidence("assay.yaml", "9"), layers: layers, judgement: VerdictRules().judge(layers))
    }

    /// A run in which only the environment layer ran.
    static func partialRun() -> AuditRun {
        let layers: [LayerResult] = Layer.allCases.map { layer in
            layer == .environment
                ? LayerResult(
                    layer: .environment, state: .verified,
                    findings: [
                        Finding(
                            table: .environmentIntegrity, check: "Dataset Snapshot: requests", status: .integrityFailure,
                            observed: "sha256:0123…", expected: "sha256:4567…", severity: .critical,
                            evidence: evidence("data/requests.jsonl"))
                    ], startedAt: date)
                : .notVerified(layer, reason: "not configured", at: date)
        }
        return AuditRun(
            id: "run-partial", startedAt: date, finishedAt: date, configuration: evidence("assay.yaml", "9"), layers: layers,
            judgement: VerdictRules().judge(layers))
    }
}
