import AssayCore
import Foundation
import Yams

/// `approvals.yaml`: who approved which bytes. An artifact without `approved_sha256` in assay.yaml is
/// approved here, by path.
///
/// ```yaml
/// approvals:
///   - path: model/model.json
///     sha256: 3b1f…            # canonical digest for YAML/JSON/TOML configs
///     approved_by: alice
///     approved_at: 2026-11-20
///     reason: retrained on dataset v1.3
/// ```
public struct Approvals: Sendable, Hashable, Codable {
    public struct Approval: Sendable, Hashable, Codable {
        public var path: String
        public var sha256: String
        public var approvedBy: String?
        public var approvedAt: String?
        public var reason: String?

        enum CodingKeys: String, CodingKey {
            case path, sha256, reason
            case approvedBy = "approved_by"
            case approvedAt = "approved_at"
        }
    }

    public var approvals: [Approval]

    public static func read(path: String) throws -> Approvals {
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw LockfileError(path: path, line: 0, expected: "a readable approvals file")
        }
        do {
            var approvals = try YAMLDecoder().decode(Approvals.self, from: text)
            for index in approvals.approvals.indices {
                let digest = approvals.approvals[index].sha256.lowercased().replacingOccurrences(of: "sha256:", with: "")
                guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                    throw LockfileError(path: path, line: 0, expected: "64 hex digits in approvals[\(index)].sha256")
                }
                approvals.approvals[index].sha256 = digest
            }
            return approvals
        } catch let error as LockfileError {
            throw error
        } catch {
            throw LockfileError(path: path, line: 0, expected: "approvals: a list of {path, sha256, approved_by, approved_at, reason} (\(error))")
        }
    }

    public func approval(for path: String) -> Approval? { approvals.last { $0.path == path } }
}

/// Model and dataset registries: what version each deployed model and dataset should be, by digest.
///
/// `model_registry.json`: `{"models": [{"name", "version", "path", "sha256"}]}`;
/// `data_manifest.yaml`: `datasets: [{name, version, path, sha256}]` (sha256 of a file, or the tree digest of a
/// directory, as `assay env hash` prints it).
public struct RegistryEntry: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var path: String
    public var sha256: String
}

public enum Registries {
    struct Models: Codable { var models: [RegistryEntry] }
    struct Datasets: Codable { var datasets: [RegistryEntry] }

    public static func models(path: String) throws -> [RegistryEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LockfileError(path: path, line: 0, expected: "a readable model registry") }
        do { return try JSONDecoder().decode(Models.self, from: data).models } catch {
            throw LockfileError(path: path, line: 0, expected: #"{"models": [{"name", "version", "path", "sha256"}]} (\#(error))"#)
        }
    }

    public static func datasets(path: String) throws -> [RegistryEntry] {
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw LockfileError(path: path, line: 0, expected: "a readable data manifest")
        }
        do { return try YAMLDecoder().decode(Datasets.self, from: text).datasets } catch {
            throw LockfileError(path: path, line: 0, expected: "datasets: [{name, version, path, sha256}] (\(error))")
        }
    }

    /// REPRODUCIBILITY STATUS rows: each registered model and dataset against what is deployed, and the
    /// environment manifest's hash when one is configured.
    public static func findings(_ settings: EnvironmentSettings) throws -> [Finding] {
        var findings: [Finding] = []
        if let manifestPath = settings.inferenceManifest {
            let absolute = settings.workspace.resolve(manifestPath)
            if FileManager.default.fileExists(atPath: absolute) {
                let manifest: EnvironmentManifest
                do {
                    manifest = try EnvironmentManifest.read(path: absolute)
                } catch {
                    findings.append(
                        Finding(
                            table: .reproducibilityStatus, check: "Environment Hash", status: .unverified,
                            observed: "unreadable manifest: \(error)", expected: "an env_manifest.yaml written by assay env snapshot",
                            severity: .high, evidence: try Evidence.file(at: absolute, displayPath: manifestPath)))
                    return findings + (try registryFindings(settings))
                }
                let (intact, statuses) = try manifest.verify(root: manifest.defaultRoot(manifestPath: absolute))
                let changed = statuses.filter { $0.state != .valid }
                let evidence = try Evidence.file(at: absolute, displayPath: manifestPath, locator: manifest.digest)
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: "Environment Hash", status: intact && changed.isEmpty ? .pass : .integrityFailure,
                        observed: intact && changed.isEmpty ? String((manifest.digest ?? "").prefix(19)) + "…"
                            : (intact ? changed.map { "\($0.path) \($0.state.rawValue.lowercased())" }.joined(separator: ", ") : "manifest edited"),
                        expected: String((manifest.digest ?? "").prefix(19)) + "…", severity: intact && changed.isEmpty ? .info : .critical,
                        measurements: ["drift_percent": statuses.isEmpty ? 0 : Double(changed.count) / Double(statuses.count) * 100],
                        statusLabel: intact && changed.isEmpty ? "✅ Stable" : nil, evidence: evidence))
            }
        }
        return findings + (try registryFindings(settings))
    }

    static func registryFindings(_ settings: EnvironmentSettings) throws -> [Finding] {
        var findings: [Finding] = []
        for (kind, label, registry, load) in [
            ("models", "Model Binary", settings.registries.models, Registries.models),
            ("datasets", "Dataset Version", settings.registries.datasets, Registries.datasets),
        ] as [(String, String, String?, (String) throws -> [RegistryEntry])] {
            guard let registry else { continue }
            let absolute = settings.workspace.resolve(registry)
            let entries = try load(absolute)
            let registryEvidence = try Evidence.file(at: absolute, displayPath: registry)
            for (index, entry) in entries.enumerated() {
                var cite = registryEvidence
                cite.locator = "/\(kind)/\(index)"
                let expected = entry.sha256.lowercased().replacingOccurrences(of: "sha256:", with: "")
                let observed = try? TreeDigest.sha256(ofItemAt: settings.workspace.resolve(entry.path))
                let status: FindingStatus = observed == nil ? .unverified : (observed == expected ? .pass : .integrityFailure)
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: "\(label): \(entry.name)", status: status,
                        observed: observed.map { $0 == expected ? entry.version : "differs from \(entry.version) (sha256:\($0.prefix(12))…)" }
                            ?? "missing: \(entry.path)",
                        expected: "\(entry.version) (sha256:\(expected.prefix(12))…)", severity: status == .pass ? .info : .critical,
                        measurements: ["drift_percent": status == .pass ? 0 : 100], statusLabel: status == .pass ? "✅ Stable" : nil,
                        recommendation: status == .pass ? nil : "deploy \(entry.name) \(entry.version) as registered, or register what is deployed.",
                        evidence: cite, observed.map { [Evidence(path: entry.path, sha256: $0)] } ?? []))
            }
        }
        for file in settings.registries.dvc {
            findings += try dvcFindings(file, settings: settings)
        }
        return findings
    }

    /// One row per output of a `.dvc` file or `dvc.lock`: the deployed file or directory against the md5
    /// DVC recorded, computed the way DVC computes it.
    static func dvcFindings(_ file: String, settings: EnvironmentSettings) throws -> [Finding] {
        let absolute = settings.workspace.resolve(file)
        let outputs = try DVCOutput.read(path: absolute)
        let directory = URL(fileURLWithPath: absolute).deletingLastPathComponent().path
        let evidence = try Evidence.file(at: absolute, displayPath: file)
        return try outputs.map { output in
            var cite = evidence
            cite.locator = output.stage.map { "stages/\($0)/outs/\(output.path)" } ?? "outs/\(output.path)"
            let observed = try output.observedMD5(relativeTo: directory)
            let status: FindingStatus = observed == nil ? .unverified : (observed == output.md5 ? .pass : .integrityFailure)
            let label = output.isDirectory ? "DVC directory" : "DVC file"
            return Finding(
                table: .reproducibilityStatus, check: "\(label): \(output.path)", status: status,
                observed: observed.map { $0 == output.md5 ? "matches md5 \($0.prefix(12))…" : "differs: md5 \($0.prefix(12))…" }
                    ?? "missing: \(output.path)",
                expected: "md5 \(output.md5.prefix(12))… (\(file))", severity: status == .pass ? .info : .critical,
                measurements: ["drift_percent": status == .pass ? 0 : 100], statusLabel: status == .pass ? "✅ Stable" : nil,
                recommendation: status == .pass ? nil : "dvc checkout \(output.path), or dvc commit what is deployed and get it approved.",
                evidence: cite)
        }
    }
}
