import AssayCore

/// What the environment checks need (`workspace.environments`, `artifacts`, `approvals`, `registries`,
/// `drift_gates` and the drift limit), with paths relative to the workspace.
public struct EnvironmentSettings: Sendable, Hashable {
    public var workspace: WorkspaceRoot
    public var environments: [EnvironmentSpec] = []
    /// Components whose bytes must match an approved checksum.
    public var artifacts: [Artifact] = []
    /// Approvals file (path → approved sha256, with who, when and why).
    public var approvals: String?
    public var registries = RegistryFiles()
    /// Components (package names, path globs, `file /pointer`) whose change fails a drift check whatever the percentage.
    public var driftGates: [String] = []
    public var thresholds = Thresholds.Environment()
    /// The environment manifest reproducibility runs use (the REPRODUCIBILITY STATUS Environment Hash row).
    public var inferenceManifest: String?

    public init(workspace: WorkspaceRoot) {
        self.workspace = workspace
    }
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
public struct RegistryFiles: Sendable, Hashable {
    public var models: String?
    public var datasets: String?
    /// DVC files (`*.dvc`, `dvc.lock`) whose outputs' md5 the deployed files must match.
    public var dvc: [String] = []

    public init(models: String? = nil, datasets: String? = nil, dvc: [String] = []) {
        self.models = models
        self.datasets = datasets
        self.dvc = dvc
    }
}

