import AssayCore

/// What an audit adds to the metric history that baselines, trend charts and change points read: its metrics,
/// each tied to the environment state it ran in. The same for an audit run here and one pushed to a server.
public enum RunHistory {
    /// The environment components a run's own findings name: the digests of the artifacts ENVIRONMENT
    /// INTEGRITY checked, and the environment manifest's digest.
    public static func environmentComponents(of layers: [LayerResult]) -> [String: String] {
        var components: [String: String] = [:]
        for result in layers where result.layer == .environment {
            for finding in result.findings where finding.table == .environmentIntegrity {
                for evidence in finding.evidence where !evidence.sha256.isEmpty {
                    components["file \(evidence.path)"] = "sha256:\(evidence.sha256)"
                }
            }
        }
        for result in layers where result.layer == .reproducibility {
            for finding in result.findings where finding.check == "Environment Hash" {
                if let digest = finding.primaryEvidence.locator { components["env_manifest"] = digest }
            }
        }
        return components
    }

    /// One point per metric the run measured, stamped with its start time, run, environment, commit and MLflow run.
    public static func points(_ run: AuditRun, environment: EnvironmentState) -> [MetricPoint] {
        MetricExtraction.current(from: run.layers).map { metric in
            MetricPoint(
                metric: metric.name, value: metric.value, recordedAt: run.startedAt, runID: run.id,
                environmentDigest: environment.digest, gitCommit: metric.evidence.gitCommit, mlflowRunID: run.mlflowRunID)
        }
    }
}
