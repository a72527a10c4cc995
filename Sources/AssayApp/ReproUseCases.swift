import AssayAudit
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayReproducibility
import AssayStore
import Foundation

/// `assay repro`: same-seed runs, and the reproducibility log and MLflow runs checked against what was approved.
public enum ReproUseCases {
    /// Runs the inference command, records the entry in the store, writes the ticket when outputs differ.
    public static func run(runs: Int?, variations: [Variation]?, configuration: Configuration) async throws -> FindingsOutput {
        guard let settings = configuration.reproSettings else {
            throw AppError("\(configuration.path): no inference command configured under workspace.inference", code: ExitStatus.invalidInput)
        }
        let outcome = try ReproducibilityCheckRunner(settings: settings).run(runs: runs, variations: variations, id: "repro-" + Auditor.newRunID())
        let record = ReproRecord(
            id: outcome.entry.id, recordedAt: outcome.entry.recordedAt, seed: outcome.entry.seed,
            reproducible: outcome.entry.reproducible, payload: try JSONCoding.encoder().encode(outcome.entry))
        try await Workspace.withStore(configuration) { try await $0.saveReproEntry(record) }
        var output = verdictOutput(outcome.findings, title: "Reproducibility check \(outcome.entry.id)")
        output.notes = outcome.ticketPath.map { ["Wrote \($0)"] } ?? []
        return output
    }

    /// The newest (or `entry`) log entry and the MLflow runs and models, checked; exits 2 when something differs.
    public static func verify(log: String?, entry: String?, mlflowRuns: [String], checkLog: Bool, configuration: Configuration) async throws -> FindingsOutput {
        var findings: [Finding] = []
        if checkLog {
            guard let path = log ?? configuration.inference?.log else {
                throw AppError("no reproducibility log: pass --log or configure workspace.inference", code: ExitStatus.usage)
            }
            let absolute = log.map(absolutePath) ?? configuration.resolve(path)
            guard FileManager.default.fileExists(atPath: absolute) else {
                throw AppError("\(path): no such reproducibility log", code: ExitStatus.missingInput)
            }
            findings += try ReproLogVerifier(inference: configuration.inference).verify(path: absolute, displayPath: path, entryID: entry)
        }
        let runs = mlflowRuns.isEmpty ? (configuration.integrations.mlflow?.verifyRuns ?? []) : mlflowRuns
        if let settings = configuration.integrations.mlflow, !settings.models.isEmpty {
            findings += try await MLflowVerifier(configuration: configuration, settings: settings).verifyModels()
        }
        if !runs.isEmpty {
            guard let settings = configuration.integrations.mlflow else {
                throw AppError("MLflow runs given but integrations.mlflow.tracking_uri is not configured", code: ExitStatus.usage)
            }
            let verifier = MLflowVerifier(configuration: configuration, settings: settings)
            for run in runs { findings += try await verifier.verify(runID: run) }
        }
        guard !findings.isEmpty else { throw AppError("nothing to verify", code: ExitStatus.usage) }
        return verdictOutput(findings, title: "Reproducibility verification")
    }

    /// The findings with the exit code of the verdict they imply on their own.
    static func verdictOutput(_ findings: [Finding], title: String) -> FindingsOutput {
        let verdict = VerdictRules(requiredLayers: []).judge(
            [LayerResult(layer: .reproducibility, state: .verified, findings: findings, startedAt: Date())]
        ).verdict
        return FindingsOutput(title: title, findings: findings, exitCode: verdict.exitCode)
    }
}
