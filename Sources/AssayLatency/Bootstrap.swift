import AssayCore

/// Bootstrap confidence intervals for the change of a latency statistic between two runs
/// (percentile method), seeded so the same inputs always give the same interval.
public struct Bootstrap: Sendable, Hashable {
    /// The statistic compared.
    public enum Statistic: Sendable, Hashable {
        case mean
        case quantile(Double)
    }

    public struct Interval: Sendable, Hashable, Codable {
        /// current − previous on the original samples.
        public var estimate: Double
        public var low: Double
        public var high: Double

        public var excludesZero: Bool { low > 0 || high < 0 }
    }

    public var resamples: Int
    public var confidenceLevel: Double
    public var seed: UInt64
    /// 1: resample single requests (i.i.d.). More: circular block bootstrap over runs of this many consecutive
    /// requests, for latency series whose neighbours are correlated (queues, caches, GC pauses).
    public var blockLength: Int

    public init(resamples: Int = 10_000, confidenceLevel: Double = 0.95, seed: UInt64 = 20_251_014, blockLength: Int = 1) {
        self.resamples = resamples
        self.confidenceLevel = confidenceLevel
        self.seed = seed
        self.blockLength = max(1, blockLength)
    }

    /// Paired bootstrap: `previous[i]` and `current[i]` are the same request; pairs are resampled together.
    public func paired(previous: [Double], current: [Double], statistic: Statistic) -> Interval? {
        guard previous.count == current.count, previous.count > 1 else { return nil }
        let n = previous.count
        var rng = SplitMix64(seed: seed)
        var deltas = [Double](repeating: 0, count: resamples)
        var left = [Double](repeating: 0, count: n)
        var right = [Double](repeating: 0, count: n)
        previous.withUnsafeBufferPointer { x in
            current.withUnsafeBufferPointer { y in
                left.withUnsafeMutableBufferPointer { a in
                    right.withUnsafeMutableBufferPointer { b in
                        let block = min(blockLength, n)
                        for r in 0..<resamples {
                            var i = 0
                            while i < n {
                                let start = rng.index(below: n)
                                var k = 0
                                while k < block, i < n {
                                    let j = block == 1 ? start : (start + k) % n
                                    a[i] = x[j]
                                    b[i] = y[j]
                                    i += 1
                                    k += 1
                                }
                            }
                            deltas[r] = Self.evaluate(b, statistic) - Self.evaluate(a, statistic)
                        }
                    }
                }
            }
        }
        return interval(deltas, estimate: Self.estimate(current, statistic) - Self.estimate(previous, statistic))
    }

    /// Two-sample bootstrap: each run resampled on its own, for runs whose requests do not match.
    public func twoSample(previous: [Double], current: [Double], statistic: Statistic) -> Interval? {
        guard previous.count > 1, current.count > 1 else { return nil }
        var rng = SplitMix64(seed: seed)
        var deltas = [Double](repeating: 0, count: resamples)
        var left = [Double](repeating: 0, count: previous.count)
        var right = [Double](repeating: 0, count: current.count)
        previous.withUnsafeBufferPointer { x in
            current.withUnsafeBufferPointer { y in
                left.withUnsafeMutableBufferPointer { a in
                    right.withUnsafeMutableBufferPointer { b in
                        for r in 0..<resamples {
                            for i in 0..<x.count { a[i] = x[rng.index(below: x.count)] }
                            for i in 0..<y.count { b[i] = y[rng.index(below: y.count)] }
                            deltas[r] = Self.evaluate(b, statistic) - Self.evaluate(a, statistic)
                        }
                    }
                }
            }
        }
        return interval(deltas, estimate: Self.estimate(current, statistic) - Self.estimate(previous, statistic))
    }

    func interval(_ deltas: [Double], estimate: Double) -> Interval? {
        let sorted = deltas.sorted()
        let alpha = (1 - confidenceLevel) / 2
        guard let low = Quantile.type7(sorted: sorted, alpha), let high = Quantile.type7(sorted: sorted, 1 - alpha) else {
            return nil
        }
        return Interval(estimate: estimate, low: low, high: high)
    }

    static func estimate(_ values: [Double], _ statistic: Statistic) -> Double {
        var copy = values
        return copy.withUnsafeMutableBufferPointer { evaluate($0, statistic) }
    }

    static func evaluate(_ buffer: UnsafeMutableBufferPointer<Double>, _ statistic: Statistic) -> Double {
        switch statistic {
        case .mean:
            var sum = 0.0
            for value in buffer { sum += value }
            return sum / Double(buffer.count)
        case .quantile(let p):
            return Quantile.select(buffer, p)
        }
    }
}
