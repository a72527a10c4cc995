import AssayConfig
import AssayCore
import AssayEnvironment

/// Environment integrity: configured artifacts against their approved checksums.
public struct EnvironmentCheck: LayerCheck {
    public let layer = Layer.environment

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        let environments = configuration.environments.filter { $0.manifest != nil || $0.artifacts != nil }
        guard !configuration.artifacts.isEmpty || !environments.isEmpty else {
            return .notVerified(reason: "no artifacts or environments configured under workspace")
        }
        return .verified(
            try ArtifactVerifier(settings: configuration.environmentSettings).verify()
                + EnvironmentsVerifier(settings: configuration.environmentSettings).verify())
    }
}
