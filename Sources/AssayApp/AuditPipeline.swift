import AssayAudit
import AssayBaseline
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayProfiling
import AssayReport
import AssayStore
import Foundation

/// The full audit, as `audit`, `schedule` and the report share it: the check list (MLflow-aware when configured),
/// the run stored with its metric history in one transaction, and the report files.
public struct AuditPipeline: Sendable {
    public var configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Every layer of a full audit: resources may read the agent's samples from `store`, the baseline its history;
    /// reproducibility verifies MLflow runs and models when `integrations.mlflow` lists any.
    public func checks(store: (any AuditStore)?) -> [any LayerCheck] {
        var checks = Auditor.standardChecks
        if let settings = configuration.integrations.mlflow, !settings.verifyRuns.isEmpty || !settings.models.isEmpty {
            let reproducibility = ReproducibilityCheck { configuration in
                let verifier = MLflowVerifier(configuration: configuration, settings: settings)
                var findings = try await verifier.verifyModels()
                for runID in settings.verifyRuns { findings += try await verifier.verify(runID: runID) }
                return findings
            }
            checks = checks.map { $0.layer == .reproducibility ? reproducibility : $0 }
        }
        let resources = ResourcesCheck(samples: store, fleet: configuration.integrations.prometheusURL.map(Self.fleetRows))
        return checks.map { $0.layer == .resources ? resources : $0 } + [BaselineCheck(history: store)]
    }

    /// The fleet's rows over the last day, from the Prometheus at `url`.
    static func fleetRows(_ url: String) -> @Sendable (Configuration) async throws -> [Finding] {
        { configuration in
            try await FleetCheck.rows(
                prometheus: url, thresholds: configuration.thresholds.resources, scrapeInterval: configuration.integrations.prometheusScrapeInterval)
        }
    }

    /// Runs the audit, stores it with its history unless `store` is false, writes the report files into
    /// `outputDirectory` (default: report.output) and, with integrations.mlflow.log_audits, logs it to MLflow.
    public func run(store keep: Bool = true, outputDirectory: String? = nil) async throws -> AuditOutcome {
        let logger = configuration.integrations.mlflow.flatMap { $0.logAudits ? MLflowAuditLogger(settings: $0) : nil }
        var run: AuditRun
        var mlflowRun: MLflowRun?
        if keep {
            (run, mlflowRun) = try await Workspace.withStore(configuration) { store in
                var run = try await Auditor(checks: checks(store: store)).audit(configuration)
                let started = try await logger?.start(run)
                run.mlflowRunID = started?.runID
                try await save(run, to: store)
                return (run, started)
            }
        } else {
            run = try await Auditor(checks: checks(store: nil)).audit(configuration)
            mlflowRun = try await logger?.start(run)
            run.mlflowRunID = mlflowRun?.runID
        }
        let report = ReportBuilder(service: configuration.service, thresholds: configuration.thresholds).build(run)
        let files = try writeReport(report, outputDirectory: outputDirectory)
        if let logger, let mlflowRun {
            try await logger.finish(mlflowRun, audit: run, configuration: configuration, reportFiles: files)
        }
        return AuditOutcome(report: report, files: files, mlflowRunID: mlflowRun?.runID, baselineWindowDays: configuration.thresholds.baseline.windowDays)
    }

    /// Runs only `layers` (all when nil) and stores the run; a full audit also adds to the metric history.
    public func runScoped(_ layers: Set<Layer>?) async throws -> AuditRun {
        try await Workspace.withStore(configuration) { store in
            var checks = checks(store: store)
            var scoped = configuration
            if let layers {
                checks = checks.filter { layers.contains($0.layer) }
                scoped.verdictRules.requiredLayers = layers
            }
            let run = try await Auditor(checks: checks).audit(scoped)
            if layers == nil { try await save(run, to: store) } else { try await store.save(run) }
            return run
        }
    }

    /// Stores the audit with the metrics and environment state it adds to the history the next baselines are
    /// computed from, in one transaction.
    public func save(_ run: AuditRun, to store: any AuditStore) async throws {
        let environment = try BaselineCheck.environmentState(configuration, earlier: run.layers)
        try await store.save(run, environment: environment, points: RunHistory.points(run, environment: environment))
    }

    /// A stored audit rendered again (the latest when `id` is nil), its files written.
    public func report(id: String?, outputDirectory: String?) async throws -> AuditOutcome {
        let stored: AuditRun? = try await Workspace.withStore(configuration) { store in
            if let id { try await store.run(id: id) } else { try await store.latestRun() }
        }
        guard let stored else {
            throw AppError(
                id.map { "no stored audit with id \($0) (see assay report --list)" } ?? "the store holds no audit yet; run assay audit first",
                code: ExitStatus.missingInput)
        }
        let report = ReportBuilder(service: configuration.service, thresholds: configuration.thresholds).build(stored)
        return AuditOutcome(
            report: report, files: try writeReport(report, outputDirectory: outputDirectory), mlflowRunID: nil,
            baselineWindowDays: configuration.thresholds.baseline.windowDays)
    }

    /// Writes the report in the configured formats; `outputDirectory` is relative to the working directory,
    /// report.output to the workspace root.
    func writeReport(_ report: Report, outputDirectory: String?) throws -> [String] {
        let directory = outputDirectory.map(absolutePath) ?? configuration.resolve(configuration.report.output)
        let formats = configuration.report.formats.compactMap { ReportFormat(rawValue: $0.rawValue) }
        return try ReportWriter.write(
            report, formats: formats, to: directory, baselineWindowDays: configuration.thresholds.baseline.windowDays,
            traceFigures: formats.contains(.html) ? traceFlamegraphs(report) : [])
    }

    /// A still flamegraph of each trace the report's bottleneck rows cite, drawn from the file only while its
    /// sha256 is still the one cited (a trace replaced since that audit is not drawn as if it were the same).
    func traceFlamegraphs(_ report: Report) -> [Document.Figure] {
        var seen: Set<String> = []
        let cited = (report.layer(.latency)?.findings(in: .bottleneckAnalysis) ?? []).map(\.primaryEvidence)
            .filter { $0.locator?.hasPrefix("component ") == true && seen.insert($0.path).inserted }
        return cited.compactMap { evidence in
            let path = configuration.resolve(evidence.path)
            guard (try? FileDigest.sha256(ofFileAt: path)) == evidence.sha256, let lanes = try? TraceUseCases.lanes(path) else { return nil }
            var options = FlamegraphSVG.Options(title: "Flamegraph of \(evidence.path) (self time)")
            options.interactive = false
            options.width = 1100
            return Document.Figure(
                caption: "Where \(evidence.path) (sha256:\(evidence.shortDigest)) spent its time: width is the share of self time, bottom to top the call stack.",
                svg: FlamegraphSVG.render(FoldedStacks(lanes: lanes), options: options))
        }
    }
}

/// An audit's report and the files written for it.
public struct AuditOutcome: CommandOutput {
    public var report: Report
    public var files: [String]
    public var mlflowRunID: String?
    var baselineWindowDays: Double

    public var exitCode: Int32 { report.exitCode }

    public func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
    }

    public func markdown() -> String {
        (try? ReportWriter.render(report, as: .markdown, baselineWindowDays: baselineWindowDays)) ?? ""
    }

    /// The layers' counts, the verdict with up to ten reasons, and the files written.
    public func text() -> String { text(verdict: report.verdict.rawValue) }

    /// The text summary with the verdict as the caller paints it.
    public func text(verdict: String) -> String {
        var lines = ["Assay audit \(report.run.id) — \(report.service)"]
        for layer in report.layers {
            let name = layer.layer.rawValue.padded(16)
            if let reason = layer.notVerifiedReason {
                lines.append("  \(name) not verified: \(reason)")
            } else {
                let counts = Dictionary(grouping: layer.findings, by: \.status).mapValues(\.count)
                let parts = FindingStatus.allCases.compactMap { status in counts[status].map { "\($0) \(status.rawValue)" } }
                lines.append("  \(name) \(parts.isEmpty ? "no findings" : parts.joined(separator: ", "))")
            }
        }
        lines.append("Verdict: \(verdict)")
        lines += report.verdictReasons.prefix(10).map { "  - \($0)" }
        if report.verdictReasons.count > 10 { lines.append("  … \(report.verdictReasons.count - 10) more in the report") }
        lines += files.map { "Wrote \($0)" }
        if let mlflowRunID { lines.append("Logged to MLflow run \(mlflowRunID)") }
        return lines.joined(separator: "\n")
    }
}

/// The audits a store holds, newest first.
public struct StoredRuns: CommandOutput {
    public var runs: [RunSummary]

    public static func list(_ configuration: Configuration, limit: Int = 50) async throws -> StoredRuns {
        StoredRuns(runs: try await Workspace.withStore(configuration) { try await $0.runs(limit: limit) })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(runs)
    }

    public func text() -> String {
        runs.map { "\($0.id)  \($0.verdict.rawValue.padded(9))  \($0.configurationPath)" }.joined(separator: "\n")
    }

    public func markdown() -> String {
        MarkdownTable(["Run", "Verdict", "Configuration"], rows: runs.map { [$0.id, $0.verdict.rawValue, $0.configurationPath] }).text
    }
}
