import AssayCore
import AssayEnvironment
import AssayLatency
import AssayReproducibility

/// Each domain module's settings, as this configuration gives them.
extension Configuration {
    public var environmentSettings: EnvironmentSettings {
        var settings = EnvironmentSettings(workspace: workspace)
        settings.environments = environments
        settings.artifacts = artifacts
        settings.approvals = approvals
        settings.registries = registries
        settings.driftGates = driftGates
        settings.thresholds = thresholds.environment
        settings.inferenceManifest = inference?.manifest
        return settings
    }

    /// Nil when no inference command is configured.
    public var reproSettings: ReproSettings? {
        inference.map { inference in
            var settings = ReproSettings(workspace: workspace, service: service, inference: inference)
            settings.thresholds = thresholds.reproducibility
            return settings
        }
    }

    /// The latency analysis of `sources` (default: the configured ones) under this configuration's thresholds.
    public func latencySettings(_ sources: LatencySources) -> LatencySettings {
        var settings = LatencySettings(workspace: workspace, sources: sources)
        settings.thresholds = thresholds.latency
        settings.regression = thresholds.regression
        return settings
    }
}
