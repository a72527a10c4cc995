import AssayCore
import Foundation

/// An audit as the rows both stores keep: one run row, its layer, finding and evidence rows, every enum as its raw
/// value and every dictionary as JSON text. The one place an `AuditRun` becomes rows and rows become an `AuditRun`;
/// SQLite and PostgreSQL only move these rows in and out.
package struct RunRows: Sendable {
    package struct Run: Sendable {
        package var id: String
        package var startedAt: Date
        package var finishedAt: Date
        package var configPath: String
        package var configSHA256: String
        package var verdict: String
        package var reasons: String
        package var assayVersion: String
        package var mlflowRunID: String?
        package var host: String?

        package init(
            id: String, startedAt: Date, finishedAt: Date, configPath: String, configSHA256: String, verdict: String, reasons: String,
            assayVersion: String, mlflowRunID: String?, host: String?
        ) {
            (self.id, self.startedAt, self.finishedAt, self.configPath, self.configSHA256) = (id, startedAt, finishedAt, configPath, configSHA256)
            (self.verdict, self.reasons, self.assayVersion, self.mlflowRunID, self.host) = (verdict, reasons, assayVersion, mlflowRunID, host)
        }
    }

    /// `key` orders the layers and links their findings: the layer's index when saving, the store's id when loading.
    package struct Layer: Sendable {
        package var key: Int64
        package var layer: String
        package var verified: Bool
        package var reason: String?
        package var startedAt: Date
        package var durationSeconds: Double

        package init(key: Int64, layer: String, verified: Bool, reason: String?, startedAt: Date, durationSeconds: Double) {
            (self.key, self.layer, self.verified, self.reason, self.startedAt, self.durationSeconds) = (key, layer, verified, reason, startedAt, durationSeconds)
        }
    }

    /// `key` links the finding's evidence: the finding's index in the run when saving, the store's id when loading.
    package struct Finding: Sendable {
        package var key: Int64
        package var layerKey: Int64
        package var position: Int
        package var table: String
        package var check: String
        package var status: String
        package var observed: String
        package var expected: String?
        package var severity: String
        package var measurements: String
        package var attributes: String
        package var statusLabel: String?
        package var verifiedBy: String?
        package var recommendation: String?
        package var events: String?
        package var series: String?

        package init(
            key: Int64, layerKey: Int64, position: Int, table: String, check: String, status: String, observed: String, expected: String?,
            severity: String, measurements: String, attributes: String, statusLabel: String?, verifiedBy: String?, recommendation: String?,
            events: String?, series: String?
        ) {
            (self.key, self.layerKey, self.position, self.table, self.check, self.status) = (key, layerKey, position, table, check, status)
            (self.observed, self.expected, self.severity, self.measurements, self.attributes) = (observed, expected, severity, measurements, attributes)
            (self.statusLabel, self.verifiedBy, self.recommendation, self.events) = (statusLabel, verifiedBy, recommendation, events)
            self.series = series
        }
    }

    package struct Evidence: Sendable {
        package var findingKey: Int64
        package var position: Int
        package var path: String
        package var sha256: String
        package var locator: String?
        package var mlflowRunID: String?
        package var gitCommit: String?

        package init(findingKey: Int64, position: Int, path: String, sha256: String, locator: String?, mlflowRunID: String?, gitCommit: String?) {
            (self.findingKey, self.position, self.path, self.sha256, self.locator, self.mlflowRunID, self.gitCommit) = (findingKey, position, path, sha256, locator, mlflowRunID, gitCommit)
        }
    }

    package var run: Run
    package var layers: [Layer]
    package var findings: [Finding]
    package var evidence: [Evidence]

    package init(run: Run, layers: [Layer], findings: [Finding], evidence: [Evidence]) {
        (self.run, self.layers, self.findings, self.evidence) = (run, layers, findings, evidence)
    }

    /// The rows of `audit` to save; layer keys are layer indices and finding keys finding indices in the run.
    package init(_ audit: AuditRun) throws {
        let encoder = StoredValue.encoder()
        run = Run(
            id: audit.id, startedAt: audit.startedAt, finishedAt: audit.finishedAt, configPath: audit.configuration.path,
            configSHA256: audit.configuration.sha256, verdict: audit.judgement.verdict.rawValue,
            reasons: try StoredValue.encode(audit.judgement.reasons, with: encoder), assayVersion: audit.assayVersion,
            mlflowRunID: audit.mlflowRunID, host: audit.host)
        layers = []
        findings = []
        evidence = []
        for (layerIndex, layer) in audit.layers.enumerated() {
            layers.append(
                Layer(
                    key: Int64(layerIndex), layer: layer.layer.rawValue, verified: layer.isVerified, reason: layer.notVerifiedReason,
                    startedAt: layer.startedAt, durationSeconds: layer.durationSeconds))
            for (position, finding) in layer.findings.enumerated() {
                let rows = try Self.rows(of: finding, key: Int64(findings.count), layerKey: Int64(layerIndex), position: position, encoder: encoder)
                findings.append(rows.finding)
                evidence += rows.evidence
            }
        }
    }

    /// The run row and layer rows of `audit`, its findings left to `rows(of:…)`.
    package static func head(_ audit: AuditRun) throws -> (run: Run, layers: [Layer]) {
        var skeleton = audit
        for index in skeleton.layers.indices { skeleton.layers[index].findings = [] }
        let rows = try RunRows(skeleton)
        return (rows.run, rows.layers)
    }

    /// One finding's row and its evidence rows.
    package static func rows(of finding: AssayCore.Finding, key: Int64, layerKey: Int64, position: Int, encoder: JSONEncoder) throws -> (
        finding: Finding, evidence: [Evidence]
    ) {
        let row = Finding(
            key: key, layerKey: layerKey, position: position, table: finding.table.rawValue, check: finding.check,
            status: finding.status.rawValue, observed: finding.observed, expected: finding.expected,
            severity: finding.severity.rawValue, measurements: try StoredValue.encode(finding.measurements, with: encoder),
            attributes: try StoredValue.encode(finding.attributes, with: encoder), statusLabel: finding.statusLabel,
            verifiedBy: finding.verifiedBy, recommendation: finding.recommendation, events: try StoredValue.encodeEvents(finding.events),
            series: try StoredValue.encodeSeries(finding.series))
        let evidence = finding.evidence.enumerated().map { index, cited in
            Evidence(
                findingKey: key, position: index, path: cited.path, sha256: cited.sha256, locator: cited.locator,
                mlflowRunID: cited.mlflowRunID, gitCommit: cited.gitCommit)
        }
        return (row, evidence)
    }

    /// The audit the rows hold (in any order); a value that cannot be read names its table and row.
    package func audit() throws -> AuditRun {
        let evidenceByFinding = Dictionary(grouping: evidence, by: \.findingKey).mapValues { $0.sorted { $0.position < $1.position } }
        let findingsByLayer = Dictionary(grouping: findings, by: \.layerKey).mapValues { $0.sorted { $0.position < $1.position } }
        let layers = try self.layers.sorted { $0.key < $1.key }.map { row -> LayerResult in
            let findings = try (findingsByLayer[row.key] ?? []).map { f -> AssayCore.Finding in
                let id = String(f.key)
                let cited = (evidenceByFinding[f.key] ?? []).map {
                    AssayCore.Evidence(path: $0.path, sha256: $0.sha256, locator: $0.locator, mlflowRunID: $0.mlflowRunID, gitCommit: $0.gitCommit)
                }
                guard let first = cited.first else { throw StoreError.corruptRow(table: "finding", id: id, reason: "finding without evidence") }
                var finding = AssayCore.Finding(
                    table: try StoredValue.parse(ReportTable.self, f.table, table: "finding", rowID: id), check: f.check,
                    status: try StoredValue.parse(FindingStatus.self, f.status, table: "finding", rowID: id), observed: f.observed,
                    expected: f.expected, severity: try StoredValue.parse(Severity.self, f.severity, table: "finding", rowID: id),
                    measurements: try StoredValue.decode([String: Double].self, f.measurements, table: "finding", rowID: id),
                    attributes: try StoredValue.decode([String: String].self, f.attributes, table: "finding", rowID: id),
                    statusLabel: f.statusLabel, verifiedBy: f.verifiedBy, recommendation: f.recommendation, evidence: first, Array(cited.dropFirst()))
                finding.events = try StoredValue.decodeEvents(f.events, rowID: id)
                finding.series = try StoredValue.decodeSeries(f.series, rowID: id)
                return finding
            }
            return LayerResult(
                layer: try StoredValue.parse(AssayCore.Layer.self, row.layer, table: "layer_result", rowID: String(row.key)),
                state: row.verified ? .verified : .notVerified(reason: row.reason ?? "not recorded"), findings: findings,
                startedAt: row.startedAt, durationSeconds: row.durationSeconds)
        }
        var audit = AuditRun(
            id: run.id, startedAt: run.startedAt, finishedAt: run.finishedAt,
            configuration: AssayCore.Evidence(path: run.configPath, sha256: run.configSHA256), layers: layers,
            judgement: Judgement(
                verdict: try StoredValue.parse(Verdict.self, run.verdict, table: "run", rowID: run.id),
                reasons: try StoredValue.decode([String].self, run.reasons, table: "run", rowID: run.id)),
            assayVersion: run.assayVersion)
        audit.mlflowRunID = run.mlflowRunID
        audit.host = run.host
        return audit
    }
}
