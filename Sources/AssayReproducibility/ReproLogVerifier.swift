import AssayCore
import Foundation

/// Checks a `reproducibility_logs.json` (written by Assay or by any tool that follows the documented
/// format): the entry reproduced, its seed is the configured one, and its output digests are the approved ones.
public struct ReproLogVerifier: Sendable {
    /// The configured inference command, whose seed and approved outputs the entry is held against.
    public var inference: InferenceCommand?

    public init(inference: InferenceCommand?) {
        self.inference = inference
    }

    /// Findings for one entry (default: the newest) of the log at `path` (shown as `displayPath`).
    public func verify(path: String, displayPath: String, entryID: String? = nil) throws -> [Finding] {
        let log = try ReproLog.read(path: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReproLogError.malformed(path: displayPath, reason: "no such file")
        }
        let file = try Evidence.file(at: path, displayPath: displayPath)
        let ids = log.entries.map(\.id)
        if Set(ids).count != ids.count {
            var cite = file
            cite.locator = "/entries"
            return [
                Finding(
                    table: .reproducibilityStatus, check: "Reproducibility Log", status: .integrityFailure,
                    observed: "duplicate entry ids", expected: "unique ids", severity: .critical, evidence: cite)
            ]
        }
        guard let entry = entryID.map({ id in log.entries.first { $0.id == id } }) ?? log.entries.last else {
            throw ReproLogError.malformed(
                path: displayPath, reason: entryID.map { "no entry \($0)" } ?? "no entries")
        }
        var cite = file
        cite.locator = entry.id
        var findings: [Finding] = [
            Finding(
                table: .reproducibilityStatus, check: "Logged Check \(entry.id)",
                status: entry.reproducible ? .pass : .integrityFailure,
                observed: entry.reproducible ? "reproducible in \(entry.runs.count) runs" : "not reproducible",
                expected: "reproducible", severity: entry.reproducible ? .info : .critical, evidence: cite)
        ]
        if let inference {
            let matches = entry.seed == inference.seed
            findings.append(
                Finding(
                    table: .reproducibilityStatus, check: "Random Seed", status: matches ? .pass : .integrityFailure,
                    observed: String(entry.seed), expected: String(inference.seed), severity: matches ? .info : .high,
                    statusLabel: matches ? "✅ Valid" : nil, evidence: cite))
            let logged = entry.runs.first?.outputs ?? [:]
            for name in Set(inference.outputs).union(inference.expectedOutputs.keys).sorted() {
                let observed = logged[name] ?? nil
                let check = "Output Checksum vs approved: \(name)"
                guard let approved = inference.expectedOutputs[name] else {
                    findings.append(
                        Finding(
                            table: .reproducibilityStatus, check: check, status: .unverified,
                            observed: observed.map { "sha256:\($0.prefix(12))…" } ?? "not logged",
                            expected: "an approved sha256 (workspace.inference.expected_outputs)", severity: .medium,
                            recommendation: observed.map { "approve sha256:\($0) after review." }, evidence: cite))
                    continue
                }
                let status: FindingStatus = observed == approved ? .pass : (observed == nil ? .unverified : .integrityFailure)
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: status,
                        observed: observed.map { "sha256:\($0.prefix(12))…" } ?? "not logged",
                        expected: "sha256:\(approved.prefix(12))…", severity: status == .pass ? .info : .critical,
                        measurements: ["drift_percent": status == .pass ? 0 : 100], evidence: cite))
            }
        }
        return findings
    }
}
