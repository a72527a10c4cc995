import AssayConfig
import AssayCore
import AssayReproducibility

/// Reproducibility: the inference command run N times with the same seed; outputs must be identical.
public struct ReproducibilityCheck: LayerCheck {
    public let layer = Layer.reproducibility

    public init() {}

    public func run(_ configuration: Configuration) async throws -> LayerOutcome {
        guard configuration.inference != nil else {
            return .notVerified(reason: "no inference command configured under workspace.inference")
        }
        let runner = ReproducibilityCheckRunner(configuration: configuration)
        guard let outcome = try runner.run(id: "repro-" + Auditor.newRunID()) else {
            return .notVerified(reason: "no inference command configured under workspace.inference")
        }
        return .verified(outcome.findings)
    }
}
