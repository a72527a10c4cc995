import AssayAudit
import AssayConfig
import AssayCore
import AssayLatency
import AssayStore
import Foundation

/// `assay latency` and `assay optimize`: per-stage statistics of request logs, comparisons, validated optimizations.
public enum LatencyUseCases {
    /// The stage list: `--stages a,b`, else the configured stages, else the defaults.
    public static func stages(_ option: String?, _ configuration: Configuration) -> [String] {
        option.map(commaSeparated) ?? configuration.latency?.stages ?? LatencyStages.defaults
    }

    /// Per-stage statistics of `logs` (paths relative to the working directory; default: the configured logs), with Δ
    /// and bootstrap CI95 against `previous`; exits 1 when a stage regressed.
    public static func analyze(logs: [String], previous: [String], stages: [String], configuration: Configuration) throws -> LatencyOutput {
        let current = logs.isEmpty ? (configuration.latency?.logs ?? []).map(configuration.resolve) : logs.map(absolutePath)
        guard !current.isEmpty else { throw AppError("no latency log: pass --log FILE or configure workspace.latency.logs", code: ExitStatus.usage) }
        let earlier = previous.isEmpty ? (configuration.latency?.previousLogs ?? []).map(configuration.resolve) : previous.map(absolutePath)
        let findings = try LatencyAnalyzer(
            settings: configuration.latencySettings(LatencySources(logs: current, previousLogs: earlier, stages: stages))
        ).findings()
        return LatencyOutput(findings: findings)
    }

    /// Accepts the candidate only when CI95 of ΔP95 excludes 0 and P95 drops enough; records the decision unless `store` is false.
    public static func validateOptimization(
        name: String, baseline: String, candidate: String, stages: [String], mlflowRun: String?, gitCommit: String?, store: Bool,
        configuration: Configuration
    ) async throws -> OptimizationOutput {
        let analyzer = LatencyAnalyzer(settings: configuration.latencySettings(LatencySources(logs: [], stages: stages)))
        guard let decision = OptimizationValidator(thresholds: configuration.thresholds, stages: stages)
            .validate(baseline: try analyzer.samples([absolutePath(baseline)]), candidate: try analyzer.samples([absolutePath(candidate)]))
        else { throw AppError("need at least two requests in each log", code: ExitStatus.invalidInput) }
        let record = OptimizationRecord(
            id: "opt-" + Auditor.newRunID(), name: name, appliedAt: Date(), accepted: decision.accepted,
            deltaP95Milliseconds: decision.deltaP95.estimate, ci95LowMilliseconds: decision.deltaP95.low,
            ci95HighMilliseconds: decision.deltaP95.high, reason: decision.reason,
            baseline: try Evidence.file(at: absolutePath(baseline), displayPath: baseline),
            candidate: try Evidence.file(at: absolutePath(candidate), displayPath: candidate, mlflowRunID: mlflowRun, gitCommit: gitCommit))
        if store { try await Workspace.withStore(configuration) { try await $0.saveOptimization(record) } }
        return OptimizationOutput(record: record, decision: decision)
    }
}

/// The LATENCY PROFILE rows as a table of stages.
public struct LatencyOutput: CommandOutput {
    public var findings: [Finding]

    var profile: [Finding] { findings.filter { $0.table == .latencyProfile } }
    public var exitCode: Int32 { FindingsOutput.breachCode(profile) }

    public func encode(to encoder: any Encoder) throws { try FindingsOutput(title: "", findings: findings, exitCode: 0).encode(to: encoder) }
    public func markdown() -> String { FindingsOutput(title: "Latency profile", findings: findings, exitCode: 0).markdown() }

    public func text() -> String {
        // Every duration is in milliseconds; the header says so once per column.
        let header = ["mean ms", "P50 ms", "P95 ms", "P99 ms"].map { $0.leftPadded(8) }.joined(separator: " ")
        var lines = ["\("stage".padded(12)) \("n".leftPadded(5)) \(header)   \("Δ ms (CI95)".padded(32)) status"]
        for f in profile {
            let m = f.measurements
            func cell(_ key: String) -> String { (m[key].map(Formatting.milliseconds) ?? "—").leftPadded(8) }
            let delta = m["delta_ms"].map { d in
                "\(f.attributes["delta_metric"] ?? "Δ") \(Formatting.signedMilliseconds(d)) [\(Formatting.signedMilliseconds(m["ci95_low_ms"] ?? 0)), \(Formatting.signedMilliseconds(m["ci95_high_ms"] ?? 0))]"
            } ?? "—"
            lines.append(
                "\(f.check.padded(12)) \(String(Int(m["count"] ?? 0)).leftPadded(5)) \(cell("mean_ms")) \(cell("p50_ms")) \(cell("p95_ms")) \(cell("p99_ms"))   \(delta.padded(32)) \(f.statusLabel ?? f.status.rawValue)")
        }
        if let noted = profile.first(where: { $0.attributes["p95_note"] != nil }) {
            lines.append("note: \(noted.check): P95 \(noted.attributes["p95_note"] ?? "")")
        }
        lines.append("evidence: \(profile.first.map { "\($0.primaryEvidence.reference) sha256:\($0.primaryEvidence.shortDigest)" } ?? "—")")
        return lines.joined(separator: "\n")
    }
}

/// An optimization's decision with its evidence; exits 0 when accepted, 1 when rejected.
public struct OptimizationOutput: CommandOutput {
    public var record: OptimizationRecord
    public var decision: OptimizationValidator.Decision

    public var exitCode: Int32 { decision.accepted ? 0 : 1 }

    struct File: Encodable { var path: String, sha256: String }

    enum CodingKeys: String, CodingKey {
        case id, name, accepted, paired, reason, baseline, candidate
        case deltaP95 = "delta_p95_ms", low = "ci95_low_ms", high = "ci95_high_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(record.id, forKey: .id)
        try c.encode(record.name, forKey: .name)
        try c.encode(decision.accepted, forKey: .accepted)
        try c.encode(decision.paired, forKey: .paired)
        try c.encode(decision.reason, forKey: .reason)
        try c.encode(decision.deltaP95.estimate, forKey: .deltaP95)
        try c.encode(decision.deltaP95.low, forKey: .low)
        try c.encode(decision.deltaP95.high, forKey: .high)
        try c.encode(File(path: record.baseline.path, sha256: record.baseline.sha256), forKey: .baseline)
        try c.encode(File(path: record.candidate.path, sha256: record.candidate.sha256), forKey: .candidate)
    }

    var lines: [String] {
        [
            "ΔP95 \(Formatting.signedMilliseconds(decision.deltaP95.estimate)) ms, \(decision.reason)",
            "\(decision.paired ? "paired" : "two-sample") bootstrap, \(decision.baselineCount) → \(decision.candidateCount) requests",
            "evidence: \(record.baseline.path) sha256:\(record.baseline.shortDigest), \(record.candidate.path) sha256:\(record.candidate.shortDigest)",
        ]
    }

    var headline: String { "\(decision.accepted ? "ACCEPTED" : "REJECTED"): \(record.name)" }

    public func text() -> String { ([headline] + lines.map { "  " + $0 }).joined(separator: "\n") }
    public func markdown() -> String { (["### " + headline, ""] + lines.map { "- " + $0 }).joined(separator: "\n") }
}
