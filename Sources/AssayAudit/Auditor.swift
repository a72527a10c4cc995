import AssayConfig
import AssayCore
import Foundation

/// Runs every layer in order and judges the result. A layer without a check, or whose check fails,
/// is recorded as not verified with the reason, never with an invented number.
public struct Auditor: Sendable {
    public var checks: [any LayerCheck]
    /// Reason recorded for layers that have no check in this build.
    public static let notBuiltReason = "this layer is not implemented in Assay \(AssayVersion.current) yet"

    /// The checks this build of Assay has.
    public static let standardChecks: [any LayerCheck] = [
        EnvironmentCheck(), ReproducibilityCheck(), ResourcesCheck(), LatencyCheck(), CapacityCheck(),
    ]

    public init(checks: [any LayerCheck] = Auditor.standardChecks) {
        self.checks = checks
    }

    public func audit(_ configuration: Configuration, id: String = Auditor.newRunID(), now: () -> Date = Date.init) async throws
        -> AuditRun
    {
        let started = now()
        let configEvidence = try Evidence.file(at: configuration.path, displayPath: configuration.path)
        var results: [LayerResult] = []
        for layer in Layer.allCases {
            let layerStart = now()
            guard let check = checks.first(where: { $0.layer == layer }) else {
                results.append(.notVerified(layer, reason: Auditor.notBuiltReason, at: layerStart))
                continue
            }
            let outcome: LayerOutcome
            do {
                outcome = try await check.run(configuration, earlier: results)
            } catch {
                outcome = .notVerified(reason: "check failed: \(error)")
            }
            let duration = now().timeIntervalSince(layerStart)
            switch outcome {
            case .verified(let findings):
                results.append(
                    LayerResult(layer: layer, state: .verified, findings: findings, startedAt: layerStart, durationSeconds: duration))
            case .notVerified(let reason):
                results.append(
                    LayerResult(layer: layer, state: .notVerified(reason: reason), startedAt: layerStart, durationSeconds: duration))
            }
        }
        results = EvidenceFreshness(configuration).apply(results, now: started)
        var run = AuditRun(
            id: id, startedAt: started, finishedAt: now(), configuration: configEvidence, layers: results,
            judgement: configuration.verdictRules.judge(results))
        run.host = ProcessInfo.processInfo.hostName
        return run
    }

    /// A sortable, unique run id: UTC timestamp plus random suffix, e.g. `20261129T032149Z-4f1a`.
    public static func newRunID(at date: Date = Date()) -> String {
        let stamp = date.formatted(
            .iso8601.year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false)
                .timeSeparator(.omitted).timeZone(separator: .omitted))
        let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
        return stamp + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
    }
}
