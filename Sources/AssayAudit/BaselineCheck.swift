import AssayBaseline
import AssayConfig
import AssayCore
import AssayEnvironment
import Foundation

/// Baseline: this audit's metrics against the rolling baseline of past runs in the store, change points and
/// the environment changes behind them, and validated optimizations.
public struct BaselineCheck: LayerCheck {
    public let layer = Layer.baseline
    /// The store's history; nil when the audit runs without a store.
    public var history: (any MetricHistory)?
    public var now: @Sendable () -> Date

    public init(history: (any MetricHistory)?, now: @escaping @Sendable () -> Date = Date.init) {
        self.history = history
        self.now = now
    }

    public func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome {
        guard let history else { return .notVerified(reason: "no store to keep a history in: the audit ran with --no-store; audit without it to build one") }
        let current = MetricExtraction.current(from: earlier)
        let environment = try Self.environmentState(configuration, earlier: earlier)
        let findings = try await BaselineAnalyzer(thresholds: configuration.thresholds).findings(
            current: current, environment: environment, history: history, now: now())
        guard !findings.isEmpty else {
            guard !current.isEmpty else {
                return .notVerified(reason: "no metrics measured by this audit (latency logs or telemetry) to hold against a baseline")
            }
            let days = configuration.thresholds.baseline.windowDays
            var runs: Set<String> = []
            for metric in Set(current.map(\.name)) {
                runs.formUnion(try await history.points(metric: metric, since: now().addingTimeInterval(-days * 86_400)).map(\.runID))
            }
            let stored = runs.count
            return .notVerified(
                reason: "not enough history yet: a baseline needs \(configuration.thresholds.baseline.minRuns) earlier runs in "
                    + "\(Formatting.number(days, digits: 0)) days; \(stored) stored. Run the audit again: each audit adds to the history")
        }
        return .verified(findings)
    }

    /// The environment as this audit saw it: every artifact's digest from the environment layer, every locked
    /// package's version, and the environment manifest's digest.
    public static func environmentState(_ configuration: Configuration, earlier: [LayerResult]) throws -> EnvironmentState {
        var components = RunHistory.environmentComponents(of: earlier)
        for artifact in configuration.artifacts where artifact.kind == .lockfile {
            guard let lock = try? LockfileParser.parse(path: configuration.resolve(artifact.path), displayPath: artifact.path) else { continue }
            for package in lock.packages {
                components["\(package.ecosystem) \(package.name)\(package.qualifier.map { " [\($0)]" } ?? "")"] = package.version
            }
        }
        return EnvironmentState(components: components)
    }
}
