import AssayCore

/// What the latency analysis needs: where the logs are and the thresholds it judges by.
public struct LatencySettings: Sendable, Hashable {
    public var workspace: WorkspaceRoot
    public var sources: LatencySources
    public var thresholds = Thresholds.Latency()
    /// What counts as a regression against the previous run.
    public var regression = Thresholds.Regression()

    public init(workspace: WorkspaceRoot, sources: LatencySources) {
        self.workspace = workspace
        self.sources = sources
    }
}

/// Where per-request latency logs and profiler traces are.
public struct LatencySources: Sendable, Hashable {
    /// JSON-lines logs of the current run.
    public var logs: [String]
    /// JSON-lines logs of the previous run, for Δ vs previous.
    public var previousLogs: [String]
    /// Chrome-trace files (torch.profiler).
    public var traces: [String]
    /// Traces of the previous run, for the Regression column of BOTTLENECK ANALYSIS.
    public var previousTraces: [String] = []
    /// `perf stat` output (human or `-x,`), for cache misses; without it they are "not measured".
    public var perfStat: String?
    /// Stage names, in pipeline order.
    public var stages: [String]
    /// Column renames: `request_id`, `total_ms` or `<stage>_ms` → the name the logs use.
    public var fields: [String: String] = [:]
    /// Captures of inference servers' own /metrics (Triton, vLLM, TorchServe), read as per-stage latency.
    public var servers: [ServerMetrics] = []
    /// Load-test results (perf_analyzer CSV, wrk output, Locust stats CSV).
    public var loadTests: [String] = []

    /// One or two scrapes of an inference server's /metrics: two, `seconds` apart, give the window between
    /// them; one gives the figures since the server started.
    public struct ServerMetrics: Sendable, Hashable {
        /// `triton`, `vllm` or `torchserve`.
        public var kind: String
        public var scrapes: [String]
        public var seconds: Double?
        /// The model's label value; all models summed when nil.
        public var model: String?
        /// Stage → metric family, overriding the kind's defaults.
        public var stages: [String: String] = [:]

        public init(kind: String, scrapes: [String], seconds: Double? = nil, model: String? = nil) {
            self.kind = kind
            self.scrapes = scrapes
            self.seconds = seconds
            self.model = model
        }
    }

    public init(
        logs: [String], previousLogs: [String] = [], traces: [String] = [],
        stages: [String] = LatencyStages.defaults
    ) {
        self.logs = logs
        self.previousLogs = previousLogs
        self.traces = traces
        self.stages = stages
    }
}

