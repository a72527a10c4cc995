import AssayCore
import Foundation

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
    /// Worker threads; nil: one per core. Results are the same for any value.
    var threads: Int?

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
        let x = ResampledSample(previous, statistic)
        let y = ResampledSample(current, statistic)
        let block = min(blockLength, n)
        let deltas = resampleDeltas { rng, scratchX, scratchY in
            var i = 0
            while i < n {
                let start = rng.index(below: n)
                var k = 0
                while k < block, i < n {
                    let j = block == 1 ? start : (start + k) % n
                    x.add(j, to: &scratchX)
                    y.add(j, to: &scratchY)
                    i += 1
                    k += 1
                }
            }
            return y.finish(&scratchY) - x.finish(&scratchX)
        } scratch: {
            (x.scratch(), y.scratch())
        }
        return interval(deltas, estimate: Self.estimate(current, statistic) - Self.estimate(previous, statistic))
    }

    /// Two-sample bootstrap: each run resampled on its own, for runs whose requests do not match.
    public func twoSample(previous: [Double], current: [Double], statistic: Statistic) -> Interval? {
        guard previous.count > 1, current.count > 1 else { return nil }
        let x = ResampledSample(previous, statistic)
        let y = ResampledSample(current, statistic)
        let deltas = resampleDeltas { rng, scratchX, scratchY in
            for _ in 0..<previous.count { x.add(rng.index(below: previous.count), to: &scratchX) }
            for _ in 0..<current.count { y.add(rng.index(below: current.count), to: &scratchY) }
            return y.finish(&scratchY) - x.finish(&scratchX)
        } scratch: {
            (x.scratch(), y.scratch())
        }
        return interval(deltas, estimate: Self.estimate(current, statistic) - Self.estimate(previous, statistic))
    }

    /// Runs `resample` for every resample index on all cores. Resample `r` draws from its own generator,
    /// seeded from (seed, r), so the deltas do not depend on how many threads share the work.
    private func resampleDeltas(
        _ resample: (inout SplitMix64, inout Scratch, inout Scratch) -> Double, scratch: () -> (Scratch, Scratch)
    ) -> [Double] {
        let output = DeltaSlots(count: resamples)
        let workers = threads ?? max(1, min(ProcessInfo.processInfo.activeProcessorCount, resamples / 256))
        withoutActuallyEscaping(resample) { resample in
            withoutActuallyEscaping(scratch) { scratch in
                let work = UncheckedBox((resample, scratch))
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var (left, right) = work.value.1()
                    var r = worker
                    while r < resamples {
                        var seeder = SplitMix64(seed: seed ^ (UInt64(r) &* 0xD1B5_4A32_D192_ED03))
                        var rng = SplitMix64(seed: seeder.next())
                        output.values[r] = work.value.0(&rng, &left, &right)
                        r += workers
                    }
                }
            }
        }
        return Array(output.values)
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
        return copy.withUnsafeMutableBufferPointer { buffer in
            switch statistic {
            case .mean: buffer.reduce(0, +) / Double(buffer.count)
            case .quantile(let p): Quantile.select(buffer, p)
            }
        }
    }
}

/// Per-thread working memory of one resampled sample: a running sum (mean) or how often each rank was
/// drawn (quantiles).
struct Scratch {
    var sum = 0.0
    var counts: [Int32] = []
}

/// A sample prepared for resampling. For quantiles the values are ranked once, so a resample is a count per
/// rank and its order statistics are read by scanning the counts from the nearer end: no copying, no sorting.
struct ResampledSample: @unchecked Sendable {
    let values: [Double]
    let statistic: Bootstrap.Statistic
    let sorted: [Double]
    let rank: [Int32]

    init(_ values: [Double], _ statistic: Bootstrap.Statistic) {
        self.values = values
        self.statistic = statistic
        if case .quantile = statistic {
            let order = values.indices.sorted { values[$0] < values[$1] }
            sorted = order.map { values[$0] }
            var rank = [Int32](repeating: 0, count: values.count)
            for (position, index) in order.enumerated() { rank[index] = Int32(position) }
            self.rank = rank
        } else {
            sorted = []
            rank = []
        }
    }

    func scratch() -> Scratch {
        if case .quantile = statistic { return Scratch(counts: [Int32](repeating: 0, count: values.count)) }
        return Scratch()
    }

    @inline(__always)
    func add(_ index: Int, to scratch: inout Scratch) {
        switch statistic {
        case .mean: scratch.sum += values[index]
        case .quantile: scratch.counts[Int(rank[index])] &+= 1
        }
    }

    /// The statistic of the resample drawn since the last call; resets the scratch.
    func finish(_ scratch: inout Scratch) -> Double {
        switch statistic {
        case .mean:
            defer { scratch.sum = 0 }
            return scratch.sum / Double(values.count)
        case .quantile(let p):
            let n = values.count
            let h = Double(n - 1) * p
            let lower = Int(h.rounded(.down))
            let low = orderStatistic(lower, scratch.counts)
            let value = lower + 1 < n && h > Double(lower) ? low + (h - Double(lower)) * (orderStatistic(lower + 1, scratch.counts) - low) : low
            scratch.counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            return value
        }
    }

    /// The value at 0-based ascending position `position` of the resample whose rank counts are `counts`.
    private func orderStatistic(_ position: Int, _ counts: [Int32]) -> Double {
        let n = counts.count
        if position >= n / 2 {
            var above = 0  // drawn values with a higher rank than t
            var t = n - 1
            while t > 0 {
                above += Int(counts[t])
                if above > n - 1 - position { return sorted[t] }
                t -= 1
            }
            return sorted[0]
        }
        var below = 0
        for t in 0..<n {
            below += Int(counts[t])
            if below > position { return sorted[t] }
        }
        return sorted[n - 1]
    }
}

/// Resample results written from several threads, each slot by one thread only.
private final class DeltaSlots: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Double>

    init(count: Int) {
        values = .allocate(capacity: count)
        values.initialize(repeating: 0)
    }

    deinit {
        values.deallocate()
    }
}

/// Hands non-Sendable closures that only read shared, immutable state to concurrentPerform.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
