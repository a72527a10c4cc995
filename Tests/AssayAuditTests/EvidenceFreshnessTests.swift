import AssayCore
import AssayTestSupport
import Foundation
import Testing

@testable import AssayAudit

/// Recordings older than `max_evidence_age_hours` are stale (not verified, AT RISK); declared fixtures are marked
/// "replayed"; checks made now (the environment) are never aged.
@Suite struct EvidenceFreshnessTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func results(recordedDaysAgo days: Double) -> [LayerResult] {
        let evidence = Evidence(path: "runs/telemetry.jsonl", sha256: String(repeating: "a", count: 64))
        let start = now.addingTimeInterval(-days * 86_400 - 60).timeIntervalSince1970
        let cpu = Finding(
            table: .resourceUtilization, check: "CPU Utilization (%)", status: .pass, observed: "40.0%", severity: .info,
            measurements: ["p95": 40, "series_start": start, "window_seconds": 60], evidence: evidence)
        let model = Finding(
            table: .environmentIntegrity, check: "Model Binary: weights", status: .pass, observed: "sha256:aaaa", severity: .info,
            measurements: ["series_start": start], evidence: evidence)
        return [
            LayerResult(layer: .environment, state: .verified, findings: [model], startedAt: now, durationSeconds: 0),
            LayerResult(layer: .resources, state: .verified, findings: [cpu], startedAt: now, durationSeconds: 0),
        ]
    }

    @Test func anEightDayOldRecordingIsStaleAndTheVerdictAtRisk() {
        let freshness = EvidenceFreshness(maxAgeHours: 24, fixtures: false) { $0 }
        let aged = freshness.apply(Self.results(recordedDaysAgo: 8), now: Self.now)
        let cpu = aged[1].findings[0]
        #expect(cpu.status == .unverified && cpu.statusLabel == "⚠️ Stale")
        #expect(cpu.attributes["stale"] == "stale: recorded 2027-01-07, 8 d before this audit (limit 24 h, workspace.max_evidence_age_hours)", "\(cpu.attributes)")
        #expect(aged[0].findings[0].status == .pass)  // the environment is checked now: never aged
        #expect(VerdictRules().judge(aged).verdict == .atRisk)
    }

    @Test func freshRecordingsAndDeclaredFixturesPass() {
        let fresh = EvidenceFreshness(maxAgeHours: 24, fixtures: false) { $0 }.apply(Self.results(recordedDaysAgo: 0.5), now: Self.now)
        #expect(fresh[1].findings[0].status == .pass && fresh[1].findings[0].attributes.isEmpty)
        let replayed = EvidenceFreshness(maxAgeHours: 24, fixtures: true) { $0 }.apply(Self.results(recordedDaysAgo: 8), now: Self.now)
        #expect(replayed[1].findings[0].status == .pass)
        #expect(replayed[1].findings[0].attributes["recorded"] == "recorded 2027-01-07, replayed")
        // A longer limit keeps a week-old recording current.
        let week = EvidenceFreshness(maxAgeHours: 24 * 9, fixtures: false) { $0 }.apply(Self.results(recordedDaysAgo: 8), now: Self.now)
        #expect(week[1].findings[0].status == .pass)
    }
}
