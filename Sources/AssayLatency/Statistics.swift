import AssayCore

/// Descriptive statistics of one stage's latencies, in milliseconds.
public struct LatencyStatistics: Sendable, Hashable, Codable {
    public var count: Int
    public var mean: Double
    /// Sample variance (n − 1 in the denominator); nil below two samples.
    public var variance: Double?
    public var p50: Double
    /// nil when there are fewer samples than `minimumSamples` asks for.
    public var p95: Double?
    public var p99: Double?

    /// Samples a percentile needs before it is reported: about 20 beyond the tail for P95 and P99.
    public struct MinimumSamples: Sendable, Hashable {
        public var p95: Int
        public var p99: Int
        public static let `default` = MinimumSamples(p95: 400, p99: 2000)

        public init(p95: Int, p99: Int) {
            self.p95 = p95
            self.p99 = p99
        }
    }

    public init?(_ values: [Double], minimumSamples: MinimumSamples = .default) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        count = values.count
        // Welford's algorithm: stable for large, close values.
        var mean = 0.0
        var m2 = 0.0
        for (index, value) in values.enumerated() {
            let delta = value - mean
            mean += delta / Double(index + 1)
            m2 += delta * (value - mean)
        }
        self.mean = mean
        variance = count > 1 ? m2 / Double(count - 1) : nil
        p50 = Quantile.type7(sorted: sorted, 0.5) ?? mean
        p95 = count >= minimumSamples.p95 ? Quantile.type7(sorted: sorted, 0.95) : nil
        p99 = count >= minimumSamples.p99 ? Quantile.type7(sorted: sorted, 0.99) : nil
    }
}
