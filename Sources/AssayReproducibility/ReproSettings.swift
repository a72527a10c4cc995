import AssayCore

/// What the reproducibility checks need: the inference command, the workspace it runs in, the service's name
/// (for the rebuild ticket) and the tolerances.
public struct ReproSettings: Sendable, Hashable {
    public var workspace: WorkspaceRoot
    public var service: String
    public var inference: InferenceCommand
    public var thresholds = Thresholds.Reproducibility()

    public init(workspace: WorkspaceRoot, service: String, inference: InferenceCommand) {
        self.workspace = workspace
        self.service = service
        self.inference = inference
    }
}

/// The inference command that reproducibility runs.
public struct InferenceCommand: Sendable, Hashable {
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

