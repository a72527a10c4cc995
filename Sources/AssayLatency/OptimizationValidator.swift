import AssayCore
import Foundation

/// Decides whether a candidate run is a real optimization of a baseline run: accepted only if the CI95 of
/// ΔP95 (total latency, candidate − baseline) lies entirely below 0 and P95 drops by at least the configured
/// minimum (default 2 ms).
public struct OptimizationValidator: Sendable {
    public var thresholds: Thresholds
    public var stages: [String]

    public init(thresholds: Thresholds, stages: [String]) {
        self.thresholds = thresholds
        self.stages = stages
    }

    public struct Decision: Sendable, Hashable {
        public var accepted: Bool
        public var deltaP95: Bootstrap.Interval
        public var paired: Bool
        public var baselineCount: Int
        public var candidateCount: Int
        /// Why it was accepted or rejected, in one sentence.
        public var reason: String
    }

    public func validate(baseline: [LatencySample], candidate: [LatencySample]) -> Decision? {
        let bootstrap = Bootstrap(
            resamples: thresholds.latency.bootstrapResamples, confidenceLevel: thresholds.latency.confidenceLevel,
            seed: thresholds.latency.bootstrapSeed)
        let pairs = LatencyAnalyzer.pair(previous: baseline, current: candidate)
        let interval: Bootstrap.Interval?
        if let pairs {
            interval = bootstrap.paired(
                previous: pairs.map { baseline[$0.0].total }, current: pairs.map { candidate[$0.1].total },
                statistic: .quantile(0.95))
        } else {
            interval = bootstrap.twoSample(
                previous: baseline.map(\.total), current: candidate.map(\.total), statistic: .quantile(0.95))
        }
        guard let interval else { return nil }
        let minimum = thresholds.latency.optimizationMinP95DropMilliseconds
        let level = Int((thresholds.latency.confidenceLevel * 100).rounded())
        let ci = "CI\(level) [\(Formatting.signedMilliseconds(interval.low)), \(Formatting.signedMilliseconds(interval.high))] ms"
        let accepted = interval.high < 0 && -interval.estimate >= minimum
        let reason: String
        if accepted {
            reason = "P95 dropped \(Formatting.milliseconds(-interval.estimate)) ms (≥ \(Formatting.milliseconds(minimum)) ms) and \(ci) excludes 0."
        } else if interval.high >= 0 {
            reason = "\(ci) includes 0 or lies above it: the change is not a proven improvement."
        } else {
            reason = "\(ci) excludes 0 but P95 dropped only \(Formatting.milliseconds(-interval.estimate)) ms (< \(Formatting.milliseconds(minimum)) ms)."
        }
        return Decision(
            accepted: accepted, deltaP95: interval, paired: pairs != nil, baselineCount: baseline.count,
            candidateCount: candidate.count, reason: reason)
    }
}
