import AssayCore
import Foundation

/// Turns a stored audit into a `Report`: summary, assessments, recommendations, questions, verdict line.
public struct ReportBuilder: Sendable {
    public var service: String
    public var thresholds: Thresholds

    public init(service: String, thresholds: Thresholds = Thresholds()) {
        self.service = service
        self.thresholds = thresholds
    }

    public func build(_ run: AuditRun) -> Report {
        let layers = Layer.allCases.map { layer in
            var result = run.result(for: layer) ?? LayerResult.notVerified(layer, reason: "not run in this audit", at: run.startedAt)
            // Every drawn series names where it comes from, in report.json as in the chart captions.
            result.findings = result.findings.map { finding in
                var finding = finding
                if finding.seriesSources.isEmpty { finding.seriesSources = ReportFigures.sources(finding) }
                return finding
            }
            return result
        }
        let assessments = assess(layers, verdict: run.judgement.verdict)
        let summaryText = Summary.compose(summarySentences(run, layers), maxWords: thresholds.report.summaryMaxWords)
        return Report(
            schemaVersion: Report.schemaVersion,
            service: service,
            run: .init(
                id: run.id, startedAt: run.startedAt, finishedAt: run.finishedAt, assayVersion: run.assayVersion,
                configuration: run.configuration, mlflowRunID: run.mlflowRunID),
            verdict: run.judgement.verdict,
            exitCode: run.judgement.verdict.exitCode,
            verdictReasons: run.judgement.reasons,
            summary: .init(
                text: summaryText, wordCount: Summary.wordCount(summaryText),
                maxWords: thresholds.report.summaryMaxWords),
            layers: layers,
            assessments: assessments,
            recommendations: recommendations(layers),
            escalation: escalation(run.judgement, layers),
            nextReview: run.finishedAt.addingTimeInterval(thresholds.report.reviewIntervalHours * 3600),
            operatorQuestions: questions(layers),
            finalVerdictLine: finalLine(run.judgement.verdict, layers)
        )
    }

    // MARK: Summary

    func summarySentences(_ run: AuditRun, _ layers: [LayerResult]) -> [String] {
        var sentences = [
            "Audit \(run.id) of \(service) finished \(ReportFormatting.timestamp(run.finishedAt)) with verdict \(run.judgement.verdict.rawValue)."
        ]
        for layer in layers {
            sentences.append(layerSentence(layer))
        }
        let problems = run.judgement.reasons.prefix(5)
        if !problems.isEmpty {
            sentences.append("Issues found: " + problems.joined(separator: "; ") + ".")
        } else {
            sentences.append("No issues found.")
        }
        return sentences
    }

    func layerSentence(_ result: LayerResult) -> String {
        if let reason = result.notVerifiedReason {
            return "\(result.layer.title): not verified (\(reason))."
        }
        let counts = Dictionary(grouping: result.findings, by: \.status).mapValues(\.count)
        let passed = counts[.pass, default: 0]
        var parts = ["\(passed) of \(result.findings.count) checks passed"]
        for status in [FindingStatus.integrityFailure, .unverified, .breach, .watch] {
            if let count = counts[status] {
                parts.append("\(count) \(ReportFormatting.statusNoun(status))")
            }
        }
        if result.layer == .latency,
            let total = result.findings.first(where: { $0.table == .latencyProfile && $0.check == "Total" }),
            let p95 = total.measurements["p95_ms"]
        {
            parts.append("total P95 \(Formatting.milliseconds(p95)) ms")
        }
        return "\(result.layer.title): " + parts.joined(separator: ", ") + "."
    }

    // MARK: Assessments

    func assess(_ layers: [LayerResult], verdict: Verdict) -> Report.Assessments {
        func word(_ layer: Layer, ok: String) -> String {
            guard let result = layers.first(where: { $0.layer == layer }) else { return "NOT VERIFIED" }
            if let reason = result.notVerifiedReason { return "NOT VERIFIED — \(reason)" }
            let worst = result.findings.max { $0.status.gravity < $1.status.gravity }?.status ?? .pass
            switch worst {
            case .pass: return ok
            case .watch, .notJudged: return "\(ok), with items to watch"
            case .breach: return "NEEDS FIX — threshold breached"
            case .integrityFailure: return "AT RISK — integrity failure"
            case .unverified: return "AT RISK — unverified components"
            }
        }
        let performance = [Layer.latency, .baseline].map { word($0, ok: "MAINTAINED") }
        let overall: String
        switch verdict {
        case .stable: overall = "READY FOR DEPLOYMENT"
        case .needsFix: overall = "FIX BEFORE DEPLOYMENT"
        case .atRisk: overall = "DEPLOYMENT BLOCKED"
        }
        return Report.Assessments(
            environment: word(.environment, ok: "VERIFIED"),
            reproducibility: word(.reproducibility, ok: "REPRODUCIBLE"),
            resources: word(.resources, ok: "HEALTHY"),
            performance: "latency: \(performance[0]); baseline: \(performance[1])",
            capacity: word(.capacity, ok: "PLANNED"),
            overall: overall)
    }

    // MARK: Actions and questions

    func recommendations(_ layers: [LayerResult]) -> [String] {
        var actions: [String] = []
        let findings = layers.flatMap(\.findings).filter { $0.status != .pass }
            .sorted { ($0.status.gravity, $0.severity) > ($1.status.gravity, $1.severity) }
        for finding in findings {
            let cite = "(\(finding.primaryEvidence.reference), sha256 \(finding.primaryEvidence.shortDigest))"
            let action = finding.recommendation ?? defaultAction(finding)
            actions.append("\(finding.check): \(action) \(cite)")
        }
        for layer in layers {
            if let reason = layer.notVerifiedReason {
                // The baseline's reasons say what to do (run again, or store the audits); the other layers lack input.
                actions.append(
                    "\(layer.layer.title): not verified (\(reason))" + (layer.layer == .baseline ? "." : "; configure it and re-run the audit."))
            }
        }
        if actions.isEmpty { actions.append("No action required; keep the regular review cycle.") }
        return actions
    }

    func defaultAction(_ finding: Finding) -> String {
        switch finding.status {
        case .integrityFailure: "investigate the change and roll back unless it was approved."
        case .unverified: "record an approved checksum or restore the missing component."
        case .breach: "fix before rollout or raise the threshold with a recorded reason."
        case .watch: "monitor for one more cycle."
        case .notJudged: "record enough data for the check to judge (its row says what is missing)."
        case .pass: "none."
        }
    }

    func escalation(_ judgement: Judgement, _ layers: [LayerResult]) -> String? {
        let critical = layers.flatMap(\.findings).filter { $0.severity >= .high && $0.status != .pass }
        switch judgement.verdict {
        case .atRisk:
            return "Escalate to the release owner: the deployment is blocked until \(judgement.reasons.count) item(s) are resolved or formally accepted."
        case .needsFix where !critical.isEmpty:
            return "Escalate to the service on-call: \(critical.count) high-severity finding(s) (\(critical.map(\.check).joined(separator: ", ")))."
        default:
            return nil
        }
    }

    func questions(_ layers: [LayerResult]) -> [Report.Question] {
        var questions: [Report.Question] = []
        for finding in layers.flatMap(\.findings) where finding.status != .pass {
            let expected = finding.expected.map { " (expected \($0))" } ?? ""
            let text: String
            switch finding.status {
            case .integrityFailure:
                text = "\(finding.check) is \(finding.observed)\(expected). Was this change approved? If yes, record the new checksum; if not, roll back?"
            case .unverified:
                text = "\(finding.check) has no verified checksum (\(finding.observed)). Approve the current digest as the baseline, or hold the deployment?"
            case .breach:
                text = "\(finding.check) is \(finding.observed)\(expected). Fix before rollout, or accept the breach with a recorded reason?"
            case .watch:
                text = "\(finding.check) is \(finding.observed)\(expected). Watch one more cycle, or act now?"
            case .pass, .notJudged:
                continue
            }
            questions.append(.init(question: text, layer: finding.layer, check: finding.check))
        }
        for layer in layers {
            if let reason = layer.notVerifiedReason {
                questions.append(
                    .init(
                        question: "\(layer.layer.title) was not verified (\(reason)). Proceed without this evidence?",
                        layer: layer.layer, check: nil))
            }
        }
        return questions
    }

    // MARK: Final line

    func finalLine(_ verdict: Verdict, _ layers: [LayerResult]) -> String {
        func clause(_ layer: Layer, holds: String, failed: (Finding) -> String) -> String {
            guard let result = layers.first(where: { $0.layer == layer }), result.isVerified else {
                return "\(layer.title.lowercased()) not verified"
            }
            if let bad = result.findings.filter({ $0.status != .pass && $0.status != .watch })
                .max(by: { $0.status.gravity < $1.status.gravity })
            {
                return failed(bad)
            }
            return holds
        }
        let clauses = [
            clause(.environment, holds: "environment verified via hash audit") {
                "environment \($0.status == .unverified ? "unverified" : "integrity failed"): \($0.check)"
            },
            clause(.reproducibility, holds: "outputs reproducible") { "reproducibility failed: \($0.check)" },
            clause(.resources, holds: "resources within thresholds") { "resource threshold breached: \($0.check)" },
            clause(.latency, holds: "latency within thresholds") { "latency regression: \($0.check)" },
            clause(.baseline, holds: "performance baseline maintained") { "baseline breached: \($0.check)" },
            clause(.capacity, holds: "capacity planning complete") { "capacity short: \($0.check)" },
            "evidence traceable",
        ]
        return "**Final Verdict:** \(verdict.rawValue) — " + clauses.joined(separator: ", ") + "."
    }
}
