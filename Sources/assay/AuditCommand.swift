import ArgumentParser
import AssayAudit
import AssayBaseline
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayReport
import AssayStore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every configured layer, store the results and write the report.",
        discussion: """
            Exits 0 STABLE, 1 NEEDS FIX, 2 AT RISK, so CI can gate a deployment on it. With \
            integrations.mlflow.log_audits the audit is also logged as an MLflow run whose id the report cites.
            """)

    @OptionGroup var options: ConfigOption

    @Option(name: .shortAndLong, help: "Directory for report.md, report.json and report.html (default: report.output).")
    var output: String?

    @Option(help: "How to print the result: text, json or markdown.")
    var format: OutputFormat = .text

    @Flag(help: "Do not save the results in the store.")
    var noStore = false

    func run() async throws {
        try await runMapped {
            let configuration = try options.load()
            let logger = configuration.integrations.mlflow.flatMap { $0.logAudits ? MLflowAuditLogger(settings: $0) : nil }
            var mlflowRun: MLflowRun?
            let audit: @Sendable ((any AuditStore)?) async throws -> AuditRun = { store in
                let checks = auditChecks(configuration, store: store)
                return try await Auditor(checks: checks).audit(configuration)
            }
            var run: AuditRun
            if noStore {
                run = try await audit(nil)
                mlflowRun = try await logger?.start(run)
                run.mlflowRunID = mlflowRun?.runID
            } else {
                (run, mlflowRun) = try await withStore(configuration) { store in
                    var run = try await audit(store)
                    let started = try await logger?.start(run)
                    run.mlflowRunID = started?.runID
                    try await saveWithHistory(run, configuration: configuration, store: store)
                    return (run, started)
                }
            }
            let report = ReportBuilder(service: configuration.service, thresholds: configuration.thresholds).build(run)
            let files = try emit(report, configuration: configuration, outputDirectory: output, format: format)
            if let logger, let mlflowRun {
                try await logger.finish(mlflowRun, audit: run, configuration: configuration, reportFiles: files)
                if format == .text { print("Logged to MLflow run \(mlflowRun.runID)") }
            }
            return report.exitCode
        }
    }
}

/// Stores the audit with the metrics and environment state it adds to the history the next baselines are
/// computed from, in one transaction.
func saveWithHistory(_ run: AuditRun, configuration: Configuration, store: any AuditStore) async throws {
    let environment = try BaselineCheck.environmentState(configuration, earlier: run.layers)
    try await store.save(run, environment: environment, points: RunHistory.points(run, environment: environment))
}

/// The audit's checks, with MLflow runs verified when `integrations.mlflow.verify_runs` lists any.
/// Every layer of a full audit: resources may read the agent's samples from `store`, the baseline its history.
func auditChecks(_ configuration: Configuration, store: (any AuditStore)?) -> [any LayerCheck] {
    standardChecks(configuration).map { $0.layer == .resources ? ResourcesCheck(samples: store) : $0 } + [BaselineCheck(history: store)]
}

func standardChecks(_ configuration: Configuration) -> [any LayerCheck] {
    guard let settings = configuration.integrations.mlflow, !settings.verifyRuns.isEmpty || !settings.models.isEmpty else {
        return Auditor.standardChecks
    }
    let reproducibility = ReproducibilityCheck { configuration in
        let verifier = MLflowVerifier(configuration: configuration, settings: settings)
        var findings = try await verifier.verifyModels()
        for runID in settings.verifyRuns { findings += try await verifier.verify(runID: runID) }
        return findings
    }
    return Auditor.standardChecks.map { $0.layer == .reproducibility ? reproducibility : $0 }
}
