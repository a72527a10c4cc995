import AssayCore
import Foundation

/// Turns a reproducibility entry into REPRODUCIBILITY STATUS rows.
public enum ReproJudge {
    /// Findings for `entry`, citing the log (and the rebuild ticket, when one was written).
    public static func findings(
        _ entry: ReproEntry, inference: InferenceCommand, log: Evidence, ticket: Evidence?
    ) -> [Finding] {
        var cite = log
        cite.locator = entry.id
        let extra = ticket.map { [$0] } ?? []
        var findings: [Finding] = []
        let n = entry.runs.count
        let failures = entry.runs.compactMap(\.failure)
        findings.append(
            Finding(
                table: .reproducibilityStatus, check: "Command Runs", status: failures.isEmpty ? .pass : .unverified,
                observed: failures.isEmpty ? "\(n)/\(n) succeeded" : failures.joined(separator: "; "),
                expected: "\(n) runs, exit 0", severity: failures.isEmpty ? .info : .high,
                measurements: ["runs": Double(n), "failed_runs": Double(entry.runs.filter { $0.failure != nil }.count)],
                statusLabel: failures.isEmpty ? "✅ Completed" : "⚠️ Not run",
                recommendation: failures.isEmpty ? nil : "make the inference command run to completion; see the stderr of the failing run.",
                evidence: cite, extra))
        var checked = inference.outputs.map { ($0, $0) }
        if inference.compareStdout { checked.append(("stdout", "")) }
        let plain = entry.runs.filter { $0.variation == nil }
        let p = plain.count
        for (name, key) in checked {
            let digests: [String?] = plain.map { key.isEmpty ? $0.stdoutSHA256 : ($0.outputs[key] ?? nil) }
            let reference = digests.first ?? nil
            let missing = zip(plain, digests).filter { $0.1 == nil }.map { $0.0.index }
            let differing = digests.filter { $0 != nil && $0 != reference }.count
            let drift = p > 0 ? Double(differing) / Double(p) * 100 : 0
            let difference = entry.differences.first { $0.variation == nil && $0.output.hasPrefix(name) }
            let expected = reference.map { "sha256:\($0.prefix(12))…" } ?? "an output"
            let check = "Output Checksum: \(name)"
            if !missing.isEmpty {
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: .unverified,
                        observed: "missing after run \(missing.map(String.init).joined(separator: ", "))", expected: expected,
                        severity: .high, measurements: ["drift_percent": drift], statusLabel: "⚠️ Missing",
                        recommendation: "the command did not write \(name); check the outputs list and the command.",
                        evidence: cite, extra))
            } else if differing == 0 {
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: .pass,
                        observed: "sha256:\((reference ?? "").prefix(12))… ×\(p)", expected: expected,
                        measurements: ["drift_percent": 0], evidence: cite))
            } else if let difference, difference.withinTolerance {
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: .watch,
                        observed: "\(Set(digests).count) digests in \(p) runs; \(difference.summary)", expected: expected,
                        severity: .low, measurements: measurements(drift, difference), statusLabel: "⚠️ Numerically equal",
                        recommendation: "bitwise different but within tolerance; fix the source of nondeterminism to make it bitwise stable.",
                        evidence: cite, extra))
            } else {
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: .integrityFailure,
                        observed: "\(Set(digests).count) digests in \(p) runs" + (difference.map { "; \($0.summary)" } ?? ""),
                        expected: expected, severity: .critical, measurements: measurements(drift, difference),
                        recommendation: "same seed, different output: follow the rebuild ticket.", evidence: cite, extra))
            }
        }
        for run in entry.runs {
            guard let variation = run.variation else { continue }
            let check = "Variation: \(variation.title)"
            if let failure = run.failure {
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: .unverified, observed: failure,
                        expected: "same outputs as run 1", severity: .medium, statusLabel: "⚠️ Not run", evidence: cite, extra))
                continue
            }
            let changed = entry.differences.filter { $0.run == run.index }
            if changed.isEmpty {
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: .pass, observed: "outputs unchanged",
                        expected: "same outputs as run 1", measurements: ["drift_percent": 0], statusLabel: "✅ Insensitive",
                        evidence: cite))
            } else {
                let within = changed.allSatisfy(\.withinTolerance)
                findings.append(
                    Finding(
                        table: .reproducibilityStatus, check: check, status: within ? .watch : .breach,
                        observed: "changes " + changed.map(\.summary).joined(separator: "; "),
                        expected: "same outputs as run 1", severity: within ? .low : .high,
                        measurements: ["drift_percent": 100], statusLabel: within ? "⚠️ Numerically equal" : "❌ Sensitive",
                        recommendation: "the output depends on the \(variation.title); pin it in the deployment or remove the dependency.",
                        evidence: cite, extra))
            }
        }
        return findings
    }

    static func measurements(_ drift: Double, _ difference: OutputDifference?) -> [String: Double] {
        var values = ["drift_percent": drift]
        if let difference {
            values["differing_numbers"] = Double(difference.differingNumbers)
            if let byte = difference.firstDifferingByte { values["first_differing_byte"] = Double(byte) }
            if let value = difference.maxAbsoluteDifference { values["max_absolute_difference"] = value }
            if let value = difference.maxRelativeDifference { values["max_relative_difference"] = value }
        }
        return values
    }
}

/// Runs the check, appends the log, writes the ticket on failure, and returns the findings.
public struct ReproducibilityCheckRunner: Sendable {
    public var settings: ReproSettings

    public init(settings: ReproSettings) {
        self.settings = settings
    }

    public struct Outcome: Sendable {
        public var entry: ReproEntry
        public var findings: [Finding]
        /// Path of the rebuild ticket, when one was written.
        public var ticketPath: String?
    }

    /// `environmentIssues` names environment components that differ from their approved checksums; the
    /// rebuild ticket lists them.
    public func run(
        runs: Int? = nil, variations: [Variation]? = nil, id: String, environmentIssues: [String] = [], now: Date = Date()
    ) throws -> Outcome {
        let inference = settings.inference
        let chosen = try variations ?? inference.variations.map { name in
            guard let variation = Variation(rawValue: name) else { throw ReproLogError.unknownVariation(name) }
            return variation
        }
        let entry = try ReproRunner(settings: settings)
            .run(runs: runs ?? settings.thresholds.runs, variations: chosen, id: id, now: now)
        let logPath = settings.workspace.resolve(inference.log)
        try ReproLog.append(entry, to: logPath)
        let logEvidence = try Evidence.file(at: logPath, displayPath: inference.log)
        var ticketEvidence: Evidence?
        var ticketPath: String?
        if !entry.reproducible {
            let path = settings.workspace.resolve(inference.ticket)
            let text = RebuildTicket.render(
                entry, settings: settings, logPath: inference.log, logSHA256: logEvidence.sha256,
                environmentIssues: environmentIssues)
            try AtomicFile.write(Array(text.utf8), to: path)
            ticketEvidence = try Evidence.file(at: path, displayPath: inference.ticket)
            ticketPath = path
        }
        return Outcome(
            entry: entry, findings: ReproJudge.findings(entry, inference: inference, log: logEvidence, ticket: ticketEvidence),
            ticketPath: ticketPath)
    }
}
