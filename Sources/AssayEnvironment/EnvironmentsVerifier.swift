import AssayCore
import Foundation

/// The configured environments (staging, production, …): each manifest re-hashed against its directory, and
/// the drift between the first two directories.
public struct EnvironmentsVerifier: Sendable {
    public var settings: EnvironmentSettings

    public init(settings: EnvironmentSettings) {
        self.settings = settings
    }

    public func verify() throws -> [Finding] {
        var findings: [Finding] = []
        let configEvidence = try Evidence.file(at: settings.workspace.configurationPath, displayPath: settings.workspace.configurationName)
        for environment in settings.environments {
            guard let manifestPath = environment.manifest else { continue }
            let absolute = settings.workspace.resolve(manifestPath)
            let check = "Environment Manifest: \(environment.name)"
            guard FileManager.default.fileExists(atPath: absolute) else {
                var cite = configEvidence
                cite.locator = "/workspace/environments/\(environment.name)"
                findings.append(
                    Finding(
                        table: .environmentIntegrity, check: check, status: .unverified, observed: "missing: \(manifestPath)",
                        expected: "a manifest written by assay env snapshot", severity: .high, verifiedBy: "Assay",
                        recommendation: "run assay env snapshot for \(environment.name) and approve it.", evidence: cite))
                continue
            }
            let manifest = try EnvironmentManifest.read(path: absolute)
            let root = environment.artifacts.map(settings.workspace.resolve) ?? URL(fileURLWithPath: absolute).deletingLastPathComponent().path
            let (intact, statuses) = try manifest.verify(root: root)
            let evidence = try Evidence.file(at: absolute, displayPath: manifestPath, locator: manifest.digest)
            let bad = statuses.filter { $0.state != .valid }
            let observed = intact
                ? (bad.isEmpty ? "\(manifest.digest?.prefix(19) ?? "")… · \(statuses.count) components valid"
                    : bad.map { "\($0.path) \($0.state.rawValue.lowercased())" }.joined(separator: ", "))
                : "manifest edited: its digest no longer matches"
            let status: FindingStatus = !intact || bad.contains { $0.state == .modified } ? .integrityFailure : (bad.isEmpty ? .pass : .unverified)
            findings.append(
                Finding(
                    table: .environmentIntegrity, check: check, status: status, observed: observed,
                    expected: "every component as in the manifest", severity: status == .pass ? .info : .critical,
                    statusLabel: status == .pass ? "✅ Valid" : nil, verifiedBy: "Assay",
                    recommendation: status == .pass ? nil : "changed without an approved checksum: roll back or re-approve a new snapshot.",
                    evidence: evidence))
        }
        let directories = settings.environments.compactMap { environment in
            environment.artifacts.map { (environment.name, settings.workspace.resolve($0)) }
        }
        if directories.count >= 2 {
            let (a, b) = (directories[0], directories[1])
            let report = try EnvironmentDiff(gates: settings.driftGates, thresholdPercent: settings.thresholds.maxDriftPercent)
                .compare(a.1, b.1)
            let evidence = try Evidence.file(
                at: settings.workspace.configurationPath, displayPath: settings.workspace.configurationName,
                locator: "/workspace/environments")
            let named = report.items.prefix(5).map(\.summary).joined(separator: "; ")
            findings.append(
                Finding(
                    table: .environmentIntegrity, check: "Config Drift: \(a.0) vs \(b.0)", status: report.passes ? .pass : .unverified,
                    observed: Formatting.percent(report.overallPercent, digits: 2) + (named.isEmpty ? "" : " (\(named)\(report.items.count > 5 ? "; …" : ""))"),
                    expected: "≤ \(Formatting.percent(report.thresholdPercent, digits: 2))", severity: report.passes ? .info : .high,
                    measurements: [
                        "drift_percent": report.overallPercent, "differences": Double(report.items.count),
                        "coverage_percent": report.coveragePercent,
                    ],
                    statusLabel: report.passes ? "✅ Stable" : "⚠️ Out of sync", verifiedBy: "Assay",
                    recommendation: report.passes ? nil : "bring \(b.0) in sync with \(a.0) (assay env diff names every difference).",
                    evidence: evidence))
        }
        return findings
    }
}
