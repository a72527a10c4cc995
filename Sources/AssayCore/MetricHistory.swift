import Foundation

/// One measured value of a metric in one run (an audit, or a window evaluated by `assay watch`), with what
/// identifies the environment and code it ran on.
public struct MetricPoint: Sendable, Hashable, Codable {
    /// `latency.total.p95_ms`, `latency.inference.mean_ms`, `latency.total.throughput_rps`, `resources.cpu.p95` …
    public var metric: String
    public var value: Double
    public var recordedAt: Date
    public var runID: String
    /// Digest of the run's environment state (see `EnvironmentState`), when known.
    public var environmentDigest: String?
    public var gitCommit: String?
    public var mlflowRunID: String?

    public init(
        metric: String, value: Double, recordedAt: Date, runID: String, environmentDigest: String? = nil,
        gitCommit: String? = nil, mlflowRunID: String? = nil
    ) {
        self.metric = metric
        self.value = value
        self.recordedAt = recordedAt
        self.runID = runID
        self.environmentDigest = environmentDigest
        self.gitCommit = gitCommit
        self.mlflowRunID = mlflowRunID
    }
}

/// The components of an environment at one moment, name → version or digest (`pypi numpy` → `1.24.3`,
/// `file model/model.json` → `sha256:…`); content-addressed by the sha256 of its canonical JSON.
public struct EnvironmentState: Sendable, Hashable, Codable {
    public var components: [String: String]

    public init(components: [String: String]) {
        self.components = components
    }

    /// Canonical JSON: keys sorted, no whitespace.
    public var canonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(components)) ?? Data()
    }

    public var digest: String { FileDigest.sha256(of: canonicalJSON) }
}

/// Where past runs' metrics, environment states and validated optimizations are kept (the store).
public protocol MetricHistory: Sendable {
    /// Validated optimizations, newest first.
    func optimizations(limit: Int) async throws -> [OptimizationRecord]
    /// Points of `metric` recorded at or after `since`, oldest first.
    func points(metric: String, since: Date) async throws -> [MetricPoint]
    /// The environment state stored under `digest`.
    func environmentState(digest: String) async throws -> EnvironmentState?
}

/// An optimization as `assay optimize validate` judged it, with the evidence of both runs.
public struct OptimizationRecord: Sendable, Hashable {
    public var id: String
    public var name: String
    public var appliedAt: Date
    public var accepted: Bool
    public var deltaP95Milliseconds: Double
    public var ci95LowMilliseconds: Double
    public var ci95HighMilliseconds: Double
    public var reason: String
    public var baseline: Evidence
    /// The candidate's latency log, with the MLflow run and git commit it came from when given.
    public var candidate: Evidence

    public init(
        id: String, name: String, appliedAt: Date, accepted: Bool, deltaP95Milliseconds: Double,
        ci95LowMilliseconds: Double, ci95HighMilliseconds: Double, reason: String, baseline: Evidence, candidate: Evidence
    ) {
        self.id = id
        self.name = name
        self.appliedAt = appliedAt
        self.accepted = accepted
        self.deltaP95Milliseconds = deltaP95Milliseconds
        self.ci95LowMilliseconds = ci95LowMilliseconds
        self.ci95HighMilliseconds = ci95HighMilliseconds
        self.reason = reason
        self.baseline = baseline
        self.candidate = candidate
    }
}

/// One stored telemetry sample: its resolution, time and JSON payload (a telemetry-log line).
public struct StoredSample: Sendable, Hashable {
    public var resolution: String
    public var time: Date
    public var payload: Data

    public init(resolution: String, time: Date, payload: Data) {
        self.resolution = resolution
        self.time = time
        self.payload = payload
    }
}

/// Where the agent's host samples are kept (the store).
public protocol TelemetryHistory: Sendable {
    /// Samples at `resolution` recorded at or after `since`, oldest first.
    func resourceSamples(resolution: String, since: Date) async throws -> [StoredSample]
}
