import AssayConfig
import AssayCore
import AssayEnvironment

/// Environment integrity: configured artifacts against their approved checksums.
public struct EnvironmentCheck: LayerCheck {
    public let layer = Layer.environment

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard !configuration.artifacts.isEmpty else {
            return .notVerified(reason: "no artifacts configured under workspace.artifacts")
        }
        return .verified(try ArtifactVerifier(configuration: configuration).verify())
    }
}
