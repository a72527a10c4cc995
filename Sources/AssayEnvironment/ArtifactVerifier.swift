import AssayCore
import Foundation

/// Checks each configured artifact's bytes against its approved sha256.
public struct ArtifactVerifier: Sendable {
    public var settings: EnvironmentSettings

    public init(settings: EnvironmentSettings) {
        self.settings = settings
    }

    /// One finding per artifact: pass when the digest equals the approved one, integrity failure when it
    /// differs, unverified when there is no approved digest or the file is missing.
    public func verify() throws -> [Finding] {
        let configEvidence = try Evidence.file(at: settings.workspace.configurationPath, displayPath: settings.workspace.relative(settings.workspace.configurationPath))
        let approvals = try settings.approvals.map { try Approvals.read(path: settings.workspace.resolve($0)) }
        return settings.artifacts.enumerated().map { index, artifact in
            let absolute = settings.workspace.resolve(artifact.path)
            let version = artifact.version.map { " (\($0))" } ?? ""
            let digest: String
            do {
                digest = try TreeDigest.sha256(ofItemAt: absolute)
            } catch let error as TreeDigestError {
                var cite = configEvidence
                cite.locator = "/workspace/artifacts/\(index)"
                return Finding(
                    table: .environmentIntegrity, check: "\(artifact.kind.checkName): \(artifact.name)", status: .unverified,
                    observed: "unreadable: \(error.problems.prefix(3).joined(separator: "; "))",
                    expected: artifact.approvedSHA256.map { "sha256:" + $0 }, severity: .high, verifiedBy: "Assay",
                    recommendation: "make every file under \(artifact.path) readable so it can be verified.", evidence: cite)
            } catch {
                var cite = configEvidence
                cite.locator = "/workspace/artifacts/\(index)"
                return Finding(
                    table: .environmentIntegrity, check: "\(artifact.kind.checkName): \(artifact.name)", status: .unverified,
                    observed: "missing: \(artifact.path)", expected: artifact.approvedSHA256.map { "sha256:" + $0 },
                    severity: .critical, verifiedBy: "Assay",
                    recommendation: "restore \(artifact.path) or correct its path in the configuration.",
                    evidence: cite)
            }
            var evidence = Evidence(path: artifact.path, sha256: digest)
            var observed = "sha256:\(digest.prefix(12))…\(version)"
            // Configs are approved by their canonical digest (key order and formatting do not count).
            var compared = digest
            if artifact.kind == .config, ConfigDocument.format(of: absolute) != nil,
                let document = try? ConfigDocument.read(path: absolute, displayPath: artifact.path)
            {
                compared = document.canonicalSHA256
                observed = "canonical sha256:\(compared.prefix(12))…\(version)"
                evidence.locator = "canonical sha256:\(compared)"
            }
            // An OCI image layout is approved by its manifest digest, as registries and `docker pull @sha256:` name it;
            // OCILayout.verify re-hashes every blob the manifest reaches.
            if artifact.kind == .image, let image = try? OCILayout.verify(path: absolute), let manifest = image.manifestDigest {
                compared = String(manifest.dropFirst("sha256:".count))
                observed = "manifest sha256:\(compared.prefix(12))…\(version)"
                evidence.locator = manifest
            }
            if artifact.kind == .lockfile, let lock = try? LockfileParser.parse(path: absolute, displayPath: artifact.path) {
                observed += " · \(lock.packages.count) packages (\(lock.format.rawValue))"
            }
            let check = "\(artifact.kind.checkName): \(artifact.name)"
            let approval = approvals?.approval(for: artifact.path)
            let approvedBy = approval.map { "Assay · approved by \($0.approvedBy ?? "?")" + ($0.approvedAt.map { " on \($0)" } ?? "") } ?? "Assay"
            guard let approved = artifact.approvedSHA256 ?? approval?.sha256 else {
                return Finding(
                    table: .environmentIntegrity, check: check, status: .unverified, observed: observed,
                    expected: "an approved sha256", severity: .high, verifiedBy: "Assay",
                    recommendation: "approve sha256:\(compared) in assay.yaml after review.", evidence: evidence)
            }
            if approved == compared {
                return Finding(
                    table: .environmentIntegrity, check: check, status: .pass, observed: observed,
                    expected: "sha256:\(approved.prefix(12))…", verifiedBy: approvedBy, evidence: evidence)
            }
            return Finding(
                table: .environmentIntegrity, check: check, status: .integrityFailure, observed: observed,
                expected: "sha256:\(approved.prefix(12))…", severity: .critical, verifiedBy: "Assay",
                recommendation: "changed without an approved checksum: roll back, or approve sha256:\(compared) after review.",
                evidence: evidence)
        }
    }
}
