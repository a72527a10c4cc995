import AssayConfig
import AssayCore
import AssayLatency

/// Latency: per-stage statistics from request logs, compared with the previous run.
public struct LatencyCheck: LayerCheck {
    public let layer = Layer.latency

    public init() {}

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard let latency = configuration.latency, !latency.logs.isEmpty else {
            return .notVerified(reason: "no latency logs configured under workspace.latency.logs")
        }
        return .verified(try LatencyAnalyzer(configuration: configuration, latency: latency).findings())
    }
}
