import AssayCore

/// A parsed `assay.yaml`. Relative paths in it are resolved against `root`.
public struct Configuration: Sendable, Hashable {
    /// Absolute path of the configuration file.
    public var path: String
    /// Absolute path of the workspace root (default: the configuration file's directory).
    public var root: String
    /// Name of the audited service, shown in the report's title.
    public var service: String
    public var environments: [EnvironmentSpec]
    /// Components whose bytes must match an approved checksum.
    public var artifacts: [Artifact]
    public var inference: Inference?
    /// Approvals file (path → approved sha256, with who, when and why).
    public var approvals: String?
    /// Model and dataset registries the deployment is held against.
    public var registries = Registries()
    /// Components (package names, path globs, `file /pointer`) whose change fails a drift check whatever the percentage.
    public var driftGates: [String] = []
    public var latency: Latency?
    public var telemetry: Telemetry?
    public var capacity: Capacity?
    public var uptime: [UptimeTarget]
    public var store: Store
    public var integrations: Integrations
    public var thresholds: Thresholds
    public var verdictRules: VerdictRules
    public var report: Report
    /// Jobs `assay schedule` runs; nil: the defaults (daily audit, weekly environment, reproducibility on model change).
    public var schedule: Schedule?

    /// `schedule:` — what `assay schedule` runs and when.
    public struct Schedule: Sendable, Hashable {
        public struct Job: Sendable, Hashable {
            public var name: String
            /// `audit`, `environment` or `reproducibility`.
            public var kind: String
            public var everySeconds: Double?
            public var onChange: [String]
        }

        public var jobs: [Job]
        /// Seconds between checks for due jobs.
        public var tickSeconds: Double = 30
        /// The scheduler's state file (last runs and what they found).
        public var state: String = ".assay/schedule-state.json"

        public init(jobs: [Job]) {
            self.jobs = jobs
        }
    }

    /// A configuration with every default and nothing configured, rooted at `root`.
    public init(path: String, root: String) {
        self.path = path
        self.root = root
        service = "inference-service"
        environments = []
        artifacts = []
        inference = nil
        latency = nil
        telemetry = nil
        uptime = []
        store = Store()
        integrations = Integrations()
        thresholds = Thresholds()
        verdictRules = VerdictRules()
        report = Report()
    }

    /// Resolves a path from the configuration against the workspace root.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return root.hasSuffix("/") ? root + path : root + "/" + path
    }

    /// A deployment environment (staging, production, …) and where its manifest and artifacts are.
    public struct EnvironmentSpec: Sendable, Hashable {
        public var name: String
        public var manifest: String?
        public var artifacts: String?

        public init(name: String, manifest: String? = nil, artifacts: String? = nil) {
            self.name = name
            self.manifest = manifest
            self.artifacts = artifacts
        }
    }

    /// What kind of component an artifact is; decides the row it gets in the report.
    public enum ArtifactKind: String, Sendable, Hashable, CaseIterable {
        case image, dataset, model, lockfile, config, other

        public var checkName: String {
            switch self {
            case .image: "Docker Image"
            case .dataset: "Dataset Snapshot"
            case .model: "Model Binary"
            case .lockfile: "Dependency Lock"
            case .config: "Config"
            case .other: "Artifact"
            }
        }
    }

    /// A file whose sha256 must equal the approved one.
    public struct Artifact: Sendable, Hashable {
        public var name: String
        public var kind: ArtifactKind
        public var path: String
        /// The approved sha256; a component without one is unverified.
        public var approvedSHA256: String?
        /// A human version label (`v1.3`), shown beside the hash.
        public var version: String?

        public init(name: String, kind: ArtifactKind, path: String, approvedSHA256: String? = nil, version: String? = nil) {
            self.name = name
            self.kind = kind
            self.path = path
            self.approvedSHA256 = approvedSHA256
            self.version = version
        }
    }

    /// `model_registry.json` and `data_manifest.yaml` (formats in the README).
    public struct Registries: Sendable, Hashable {
        public var models: String?
        public var datasets: String?
        /// DVC files (`*.dvc`, `dvc.lock`) whose outputs' md5 the deployed files must match.
        public var dvc: [String] = []
    }

    /// The inference command that reproducibility runs.
    public struct Inference: Sendable, Hashable {
        /// argv; `{seed}`, `{output}` (the run's fresh working directory), `{root}`, `{run}` and `{assay_dir}` (the
        /// directory of the running assay executable) are substituted.
        public var command: [String]
        public var seed: Int
        /// Files or directories the command writes, relative to its working directory.
        public var outputs: [String]
        public var timeoutSeconds: Double
        /// Extra environment variables for the command.
        public var environment: [String: String]
        /// Whether stdout must be identical across runs too (off by default: many tools print timings).
        public var compareStdout: Bool
        /// The append-only reproducibility log.
        public var log: String
        /// Where the rebuild ticket is written when outputs do not reproduce.
        public var ticket: String
        /// Variations tried after the plain repeats (`tz`, `locale`, `home`, `umask`, `cwd`, `threads`).
        public var variations: [String] = []
        /// Approved sha256 of each output, which `assay repro verify` holds logged digests against.
        public var expectedOutputs: [String: String] = [:]
        /// The environment manifest the runs use; its digest is recorded with each check.
        public var manifest: String?

        public init(
            command: [String], seed: Int = 42, outputs: [String] = [], timeoutSeconds: Double = 300,
            environment: [String: String] = [:], compareStdout: Bool = false,
            log: String = ".assay/reproducibility_logs.json", ticket: String = ".assay/rebuild_ticket.md"
        ) {
            self.command = command
            self.seed = seed
            self.outputs = outputs
            self.timeoutSeconds = timeoutSeconds
            self.environment = environment
            self.compareStdout = compareStdout
            self.log = log
            self.ticket = ticket
        }
    }

    /// Where per-request latency logs and profiler traces are.
    public struct Latency: Sendable, Hashable {
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

    /// Where the capacity measurement is and the load to project from.
    public struct Capacity: Sendable, Hashable {
        /// `capacity.json` written by `assay capacity measure`.
        public var measurement: String
        /// Current load, requests per second; without it, the latency logs' throughput.
        public var currentRPS: Double?

        public init(measurement: String, currentRPS: Double? = nil) {
            self.measurement = measurement
            self.currentRPS = currentRPS
        }
    }

    /// Telemetry files or agent endpoints to read resource figures from.
    public struct Telemetry: Sendable, Hashable {
        public var files: [String]
        public var sampleIntervalSeconds: Double
        /// `uptime_monitor.log` files written by `assay uptime probe`.
        public var uptimeLogs: [String] = []
        /// Read the last this many hours of `assay agent` samples from the store (used when `files` is empty).
        public var agentHours: Double?

        public init(files: [String], sampleIntervalSeconds: Double) {
            self.files = files
            self.sampleIntervalSeconds = sampleIntervalSeconds
        }
    }

    /// An HTTP or TCP endpoint whose availability is probed.
    public struct UptimeTarget: Sendable, Hashable {
        public var name: String
        public var url: String
        public var intervalSeconds: Double
        public var timeoutSeconds: Double

        public init(name: String, url: String, intervalSeconds: Double, timeoutSeconds: Double) {
            self.name = name
            self.url = url
            self.intervalSeconds = intervalSeconds
            self.timeoutSeconds = timeoutSeconds
        }
    }

    /// Where results are stored. Default: embedded SQLite at `.assay/assay.sqlite`.
    public struct Store: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable { case sqlite, postgres }
        public var kind: Kind = .sqlite
        public var path: String = ".assay/assay.sqlite"
        /// Connection URL for PostgreSQL.
        public var url: String?
    }

    /// Services Assay talks to.
    /// The MLflow tracking server: where audits are logged and which runs `assay repro verify` checks.
    public struct MLflow: Sendable, Hashable {
        public var trackingURI: String
        /// Experiment audits are logged to.
        public var experiment: String = "assay"
        /// Create an MLflow run per audit: params, metrics, tags and the report files.
        public var logAudits = false
        /// Runs `assay repro verify` checks when none is given on the command line.
        public var verifyRuns: [String] = []
        /// Expected `mlflow.source.git.commit` tag of verified runs.
        public var expectedGitCommit: String?
        /// Artifact path in a run → approved sha256.
        public var expectedArtifacts: [String: String] = [:]
        /// Registered models (`models:/name@alias` or `models:/name/version`) whose files must equal a local path.
        public var models: [ModelReference] = []

        public struct ModelReference: Sendable, Hashable {
            public var uri: String
            /// The deployed file or directory, relative to the workspace root.
            public var path: String

            public init(uri: String, path: String) {
                self.uri = uri
                self.path = path
            }
        }

        public init(trackingURI: String) {
            self.trackingURI = trackingURI
        }
    }

    public struct Integrations: Sendable, Hashable {
        public var mlflow: MLflow?
        public var prometheusURL: String?
        public var alertmanagerURL: String?
        public var webhooks: [String] = []
    }

    /// Report output.
    public enum ReportFormat: String, Sendable, Hashable, CaseIterable { case markdown, json, html }

    public struct Report: Sendable, Hashable {
        /// Directory the report files are written to.
        public var output: String = "assay-report"
        public var formats: [ReportFormat] = ReportFormat.allCases
    }
}
