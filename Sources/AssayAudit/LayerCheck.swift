import AssayConfig
import AssayCore

/// One layer of the audit as the auditor runs it.
public protocol LayerCheck: Sendable {
    var layer: Layer { get }
    /// Findings of the layer, or the reason it could not be verified. `earlier` holds the results of the
    /// layers that ran before it in this audit.
    func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome
}

/// What a layer check came back with.
public enum LayerOutcome: Sendable {
    case verified([Finding])
    case notVerified(reason: String)
}
