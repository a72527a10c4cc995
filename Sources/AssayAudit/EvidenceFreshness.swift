import AssayConfig
import AssayCore
import Foundation

/// How old the recordings an audit judges are. A deployment gate must not certify last week's recording as this
/// run's picture: every finding of the resources, latency and capacity layers that rests on a file gets the time
/// span of what it read (the recording's own timestamps, else the file's modification time), and one whose
/// recording ended more than `workspace.max_evidence_age_hours` before the audit is stale: not verified, with its
/// age, which makes the verdict AT RISK. A workspace that replays recordings on purpose (a demo, a fixture)
/// declares `workspace.fixtures: true`, and each such row says "recorded 2026-11-29, replayed" instead.
public struct EvidenceFreshness: Sendable {
    public var maxAgeHours: Double
    public var fixtures: Bool
    /// Resolves an evidence path (relative to the workspace) to a file whose modification time can be read.
    public var resolve: @Sendable (String) -> String

    public init(maxAgeHours: Double, fixtures: Bool, resolve: @escaping @Sendable (String) -> String) {
        (self.maxAgeHours, self.fixtures, self.resolve) = (maxAgeHours, fixtures, resolve)
    }

    public init(_ configuration: Configuration) {
        self.init(maxAgeHours: configuration.maxEvidenceAgeHours, fixtures: configuration.fixtures) { configuration.resolve($0) }
    }

    /// The layers whose findings judge a recording rather than something checked now.
    public static let recordingLayers: Set<Layer> = [.resources, .latency, .capacity]

    /// The end of the recording a finding rests on: its `recorded_to` or `series_start` + `window_seconds`
    /// measurements, else the modification time of its primary evidence file; nil when it cites no file.
    func recordedEnd(_ finding: Finding) -> Date? {
        if let end = finding.measurements["recorded_to"] { return Date(timeIntervalSince1970: end) }
        if let start = finding.measurements["series_start"] {
            return Date(timeIntervalSince1970: start + (finding.measurements["window_seconds"] ?? 0))
        }
        let path = finding.primaryEvidence.path
        guard !path.isEmpty, !path.contains("://"),
            let modified = try? FileManager.default.attributesOfItem(atPath: resolve(path))[.modificationDate] as? Date
        else { return nil }
        return modified
    }

    /// The findings with their age applied: stale ones not verified, replayed ones marked.
    public func apply(_ results: [LayerResult], now: Date) -> [LayerResult] {
        results.map { result in
            guard Self.recordingLayers.contains(result.layer), result.isVerified else { return result }
            var result = result
            result.findings = result.findings.map { finding in
                guard let end = recordedEnd(finding) else { return finding }
                let age = now.timeIntervalSince(end)
                guard age > maxAgeHours * 3600 else { return finding }
                var finding = finding
                let day = end.formatted(.iso8601.year().month().day())
                if fixtures {
                    finding.attributes["recorded"] = "recorded \(day), replayed"
                } else {
                    finding.attributes["stale"] =
                        "stale: recorded \(day), \(Formatting.duration(seconds: age)) before this audit "
                        + "(limit \(Formatting.duration(seconds: maxAgeHours * 3600)), workspace.max_evidence_age_hours)"
                    finding.status = .unverified
                    finding.statusLabel = "⚠️ Stale"
                    finding.severity = .medium
                    finding.recommendation = "Record it again, or declare the workspace's recordings as fixtures (workspace.fixtures: true)"
                }
                return finding
            }
            return result
        }
    }
}
