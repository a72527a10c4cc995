import AssayCore
import Foundation

/// A quantile estimated from cumulative histogram buckets, as Prometheus's `histogram_quantile` does (linear
/// interpolation inside the bucket holding the rank), with the bucket's bounds: the true quantile lies in
/// `lower...upper`, so `upper - lower` is the most the interpolation can be off.
public struct QuantileEstimate: Sendable, Hashable, Codable {
    public var value: Double
    public var lower: Double
    public var upper: Double

    public init(value: Double, lower: Double, upper: Double) {
        self.value = value
        self.lower = lower
        self.upper = upper
    }

    /// The largest possible error of `value`.
    public var maxError: Double { max(value - lower, upper - value) }

    /// Cumulative buckets (upper bound `le`, count of observations ≤ it), any order; nil without observations.
    /// A rank in the `+Inf` bucket gives the largest finite bound, with an unbounded `upper`.
    public static func estimate(_ q: Double, buckets: [(le: Double, count: Double)]) -> QuantileEstimate? {
        let sorted = buckets.sorted { $0.le < $1.le }
        guard let total = sorted.last?.count, total > 0, (0...1).contains(q) else { return nil }
        let rank = q * total
        var previousBound = 0.0
        var previousCount = 0.0
        for bucket in sorted {
            if bucket.count >= rank, bucket.count > previousCount {
                if bucket.le == .infinity { return QuantileEstimate(value: previousBound, lower: previousBound, upper: .infinity) }
                let lower = min(previousBound, bucket.le)
                let share = (rank - previousCount) / (bucket.count - previousCount)
                return QuantileEstimate(value: lower + (bucket.le - lower) * share, lower: lower, upper: bucket.le)
            }
            if bucket.le != .infinity { previousBound = bucket.le }
            previousCount = bucket.count
        }
        return nil
    }
}

/// One Prometheus histogram over a window: the after-scrape's `_count`, `_sum` and `_bucket` series (those matching
/// `labels`, summed) less the before-scrape's. A counter that went backwards (a restart) counts from zero: its name
/// goes to `resets`. Nil when the after-scrape has no `_count` or `_sum` for them.
public struct HistogramWindow: Sendable {
    public var count: Double
    public var sum: Double
    /// Cumulative buckets over the window, in the metric's unit.
    public var buckets: [(le: Double, count: Double)]

    public init?(
        _ name: String, matching labels: [String: String], before: PrometheusExposition?, after: PrometheusExposition, resets: inout [String]
    ) {
        guard let count = after.increase(name + "_count", matching: labels, since: before, resets: &resets),
            let sum = after.increase(name + "_sum", matching: labels, since: before, resets: &resets)
        else { return nil }
        var buckets: [(le: Double, count: Double)] = []
        for sample in after.values(name + "_bucket", matching: labels) {
            guard let bound = sample.labels["le"], let le = PrometheusExposition.number(Substring(bound)),
                let value = after.increase(name + "_bucket", matching: labels.merging(["le": bound]) { $1 }, since: before, resets: &resets)
            else { continue }
            buckets.append((le, value))
        }
        (self.count, self.sum, self.buckets) = (count, sum, buckets)
    }

    /// The `q` quantile, times `scale` (to milliseconds, say).
    public func quantile(_ q: Double, scale: Double = 1) -> QuantileEstimate? {
        QuantileEstimate.estimate(q, buckets: buckets).map { QuantileEstimate(value: $0.value * scale, lower: $0.lower * scale, upper: $0.upper * scale) }
    }
}
