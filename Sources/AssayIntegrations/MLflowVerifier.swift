import AssayConfig
import AssayCore
import AssayEnvironment
import AssayReproducibility
import Foundation

/// Holds MLflow runs against what was approved: the seed param, the git commit tag, the model version,
/// the config hash, and artifacts, which are downloaded and hashed here because MLflow lists no checksums.
public struct MLflowVerifier: Sendable {
    public var configuration: Configuration
    public var settings: Configuration.MLflow
    public var client: MLflowClient

    public init(configuration: Configuration, settings: Configuration.MLflow) {
        self.configuration = configuration
        self.settings = settings
        client = MLflowClient(trackingURI: settings.trackingURI)
    }

    /// Findings for one run. Params and tags are cited by the digest of their canonical form (`canonical(_:)`).
    public func verify(runID: String) async throws -> [Finding] {
        let run = try await client.run(id: runID)
        let snapshot = Self.canonical(run)
        let runEvidence = Evidence(
            path: "\(settings.trackingURI)/api/2.0/mlflow/runs/get?run_id=\(run.runID)",
            sha256: FileDigest.sha256(of: Array(snapshot.utf8)), mlflowRunID: run.runID,
            gitCommit: run.tags["mlflow.source.git.commit"])
        var findings: [Finding] = []
        func compare(_ check: String, observed: String?, expected: String?) {
            guard let expected else { return }
            let status: FindingStatus = observed == expected ? .pass : (observed == nil ? .unverified : .integrityFailure)
            findings.append(
                Finding(
                    table: .reproducibilityStatus, check: "MLflow \(run.runID.prefix(8)): \(check)", status: status,
                    observed: observed ?? "not logged", expected: expected, severity: status == .pass ? .info : .high,
                    measurements: ["drift_percent": status == .pass ? 0 : 100], verifiedBy: "MLflow", evidence: runEvidence))
        }
        compare("seed", observed: run.params["seed"], expected: configuration.inference.map { String($0.seed) })
        compare("git commit", observed: run.tags["mlflow.source.git.commit"], expected: settings.expectedGitCommit)
        let model = configuration.artifacts.first { $0.kind == .model }
        compare("model version", observed: run.params["model_version"], expected: model?.version)
        let config = configuration.artifacts.first { $0.kind == .config }
        compare("config hash", observed: run.params["config_sha256"], expected: config?.approvedSHA256)
        for (path, approved) in settings.expectedArtifacts.sorted(by: { $0.key < $1.key }) {
            let check = "MLflow \(run.runID.prefix(8)): artifact \(path)"
            let artifactPath = run.artifactURI + "/" + path
            do {
                let (digest, bytes) = try await client.sha256(ofArtifact: path, artifactURI: run.artifactURI)
                let matches = digest == approved
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: matches ? .pass : .integrityFailure,
                        observed: "sha256:\(digest.prefix(12))… (\(bytes) bytes)", expected: "sha256:\(approved.prefix(12))…",
                        severity: matches ? .info : .critical, measurements: ["drift_percent": matches ? 0 : 100, "bytes": Double(bytes)],
                        verifiedBy: "Assay (downloaded)",
                        recommendation: matches ? nil : "the artifact in MLflow differs from the approved one: find out who replaced it.",
                        evidence: Evidence(path: artifactPath, sha256: digest, mlflowRunID: run.runID)))
            } catch MLflowError.http(_, _, let status, _) where status == 404 {
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: .unverified, observed: "missing in the run",
                        expected: "sha256:\(approved.prefix(12))…", severity: .high, verifiedBy: "MLflow", evidence: runEvidence))
            }
        }
        if findings.isEmpty {
            findings.append(
                Finding(
                    table: .reproducibilityStatus, check: "MLflow \(run.runID.prefix(8))", status: .unverified,
                    observed: "nothing to compare", expected: "a seed, commit, model version, config hash or artifact digest",
                    severity: .medium, verifiedBy: "MLflow", evidence: runEvidence))
        }
        return findings
    }

    /// One row per registered model in `settings.models`: the version the URI resolves to, its files downloaded
    /// and hashed, against the deployed file or directory.
    public func verifyModels() async throws -> [Finding] {
        var findings: [Finding] = []
        for reference in settings.models {
            let version = try await client.modelVersion(uri: reference.uri)
            let remote = try await client.files(under: version.source)
            var remoteDigests: [String: String] = [:]
            var hasher = StreamingSHA256()
            for file in remote {
                let (digest, _) = try await client.sha256(ofArtifact: file.path, artifactURI: version.source)
                remoteDigests[file.path] = digest
                let line = Array("\(digest) \(file.path)\n".utf8)
                line.withUnsafeBytes { hasher.update($0) }
            }
            let local = configuration.resolve(reference.path)
            var localDigests: [String: String] = [:]
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: local, isDirectory: &isDirectory) {
                if isDirectory.boolValue {
                    for entry in try TreeDigest.listing(of: local).entries where entry.type == "f" { localDigests[entry.path] = entry.sha256 }
                } else if remote.count == 1 {
                    localDigests[remote[0].path] = try FileDigest.sha256(ofFileAt: local)
                } else {
                    localDigests[URL(fileURLWithPath: local).lastPathComponent] = try FileDigest.sha256(ofFileAt: local)
                }
            }
            let differing = Set(remoteDigests.keys).union(localDigests.keys).sorted().filter { remoteDigests[$0] != localDigests[$0] }
            let status: FindingStatus = localDigests.isEmpty ? .unverified : (differing.isEmpty ? .pass : .integrityFailure)
            let evidence = Evidence(
                path: "\(settings.trackingURI)/api/2.0/mlflow-artifacts/artifacts?path=\(version.source)", sha256: hasher.finalize(),
                locator: "\(version.name) v\(version.version)", mlflowRunID: version.runID)
            findings.append(
                Finding(
                    table: .reproducibilityStatus, check: "Model Binary (MLflow): \(reference.uri.dropFirst("models:/".count))", status: status,
                    observed: localDigests.isEmpty ? "missing: \(reference.path)"
                        : (differing.isEmpty ? "\(reference.path) matches v\(version.version) (\(remote.count) files)"
                            : "differs from v\(version.version): \(differing.prefix(3).joined(separator: ", "))"),
                    expected: "v\(version.version) (\(remote.count) files, downloaded and hashed)",
                    severity: status == .pass ? .info : .critical, measurements: ["drift_percent": status == .pass ? 0 : 100],
                    statusLabel: status == .pass ? "✅ Stable" : nil, verifiedBy: "MLflow",
                    recommendation: status == .pass ? nil : "deploy the registered version, or register what is deployed.",
                    evidence: evidence))
        }
        return findings
    }

    /// The run's params, tags and metrics as sorted `key=value` lines: what the run evidence digest covers.
    static func canonical(_ run: MLflowRun) -> String {
        var lines = ["run_id=\(run.runID)", "artifact_uri=\(run.artifactURI)"]
        lines += run.params.sorted { $0.key < $1.key }.map { "param.\($0.key)=\($0.value)" }
        lines += run.tags.sorted { $0.key < $1.key }.map { "tag.\($0.key)=\($0.value)" }
        lines += run.metrics.sorted { $0.key < $1.key }.map { "metric.\($0.key)=\($0.value)" }
        return lines.joined(separator: "\n") + "\n"
    }
}
