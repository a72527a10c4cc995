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
