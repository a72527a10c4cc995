import AssayCore
import AssayEnvironment
import AssayLatency
import AssayReproducibility

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
    public var inference: InferenceCommand?
    /// Approvals file (path → approved sha256, with who, when and why).
    public var approvals: String?
    /// Model and dataset registries the deployment is held against.
    public var registries = RegistryFiles()
    /// Components (package names, path globs, `file /pointer`) whose change fails a drift check whatever the percentage.
    public var driftGates: [String] = []
    public var latency: LatencySources?
    public var telemetry: Telemetry?
    public var capacity: Capacity?
    /// The service `assay audit --live` starts and measures; nil when not configured.
    public var live: Live?
    /// The record of a live window (`live-window.json`), set by `assay audit --live` on the configuration it audits
    /// with, never read from YAML: its rows join the resources, latency and capacity layers.
    public var liveWindow: String?
    public var uptime: [UptimeTarget]
    /// Recordings (telemetry, latency logs, traces, capacity measurements) that ended longer ago than this before an
    /// audit are stale: not verified (`workspace.max_evidence_age_hours`).
    public var maxEvidenceAgeHours: Double = 24
    /// The workspace replays recordings on purpose (`workspace.fixtures`): old ones are marked "replayed", not stale.
    public var fixtures = false
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

    /// The workspace root and this file, which every configured path is relative to.
    public var workspace: WorkspaceRoot { WorkspaceRoot(root: root, configurationPath: path) }

    /// Resolves a path from the configuration against the workspace root.
    public func resolve(_ path: String) -> String { workspace.resolve(path) }

    /// A running service to audit live (`assay audit --live`): how to start it, where it answers, what to send.
    public struct Live: Sendable, Hashable {
        /// The argv that starts the service; `{port}` (a free port on 127.0.0.1), `{root}` and `{evidence}` (this
        /// audit's evidence directory) are substituted.
        public var command: [String]
        /// Where it answers, `{port}` substituted.
        public var url = "http://127.0.0.1:{port}"
        public var readyPath = "/healthz"
        /// The request each simulated client sends: POSTed as JSON to `request_path`.
        public var requestPath = "/predict"
        public var body = "{}"
        /// Extra environment for the service, substituted like the command.
        public var environment: [String: String] = [:]
        /// Seconds of measured traffic at `capacity.current_rps`, after `warmup_seconds` of warm-up.
        public var windowSeconds = 60.0
        public var warmupSeconds = 5.0
        public var startupTimeoutSeconds = 60.0
        /// Seconds of each capacity step (rates rising until the knee).
        public var capacityStepSeconds = 8.0
        /// Directory (substituted) where the service writes profiler traces; they are collected into the evidence.
        public var traces: String?
        /// Seed of the Poisson arrivals.
        public var seed: UInt64 = 1
        /// Run live on a plain `assay audit`.
        public var always = false
        /// Evidence directories kept under `.assay/live`; older ones are removed after each live audit.
        public var keepRuns = 20

        public init(command: [String]) {
            self.command = command
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
        /// `prometheus.scrape_interval`, seconds: the fleet's scrape interval, where neither the targets API nor the
        /// samples should be asked.
        public var prometheusScrapeInterval: Double?
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
