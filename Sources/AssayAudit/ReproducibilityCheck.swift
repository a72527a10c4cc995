import AssayConfig
import AssayCore
import AssayEnvironment
import AssayReproducibility

/// Reproducibility: the inference command run N times with the same seed; outputs must be identical.
public struct ReproducibilityCheck: LayerCheck {
    public let layer = Layer.reproducibility
    /// Extra checks of recorded runs (e.g. MLflow runs), injected by the caller that owns the network clients.
    public var recordedRuns: (@Sendable (Configuration) async throws -> [Finding])?

    public init(recordedRuns: (@Sendable (Configuration) async throws -> [Finding])? = nil) {
        self.recordedRuns = recordedRuns
    }

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        let recorded = try Registries.findings(configuration.environmentSettings) + (try await recordedRuns?(configuration) ?? [])
        guard let settings = configuration.reproSettings else {
            return recorded.isEmpty
                ? .notVerified(reason: "no inference command configured under workspace.inference") : .verified(recorded)
        }
        let outcome = try ReproducibilityCheckRunner(settings: settings)
            .run(id: "repro-" + Auditor.newRunID(), environmentIssues: Self.environmentIssues(earlier))
        return .verified(outcome.findings + recorded)
    }

    /// Environment components that did not verify, for the rebuild ticket.
    static func environmentIssues(_ earlier: [LayerResult]) -> [String] {
        earlier.filter { $0.layer == .environment }.flatMap(\.findings).filter { $0.status != .pass }.map { finding in
            "\(finding.check): \(finding.observed)" + (finding.expected.map { " (approved \($0))" } ?? "")
                + " — \(finding.primaryEvidence.reference)"
        }
    }
}
