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
        compare(previous: [previous], current: [current], paired: true, statistics: [statistic])[0][0]
    }

    /// Two-sample bootstrap: each run resampled on its own, for runs whose requests do not match.
    public func twoSample(previous: [Double], current: [Double], statistic: Statistic) -> Interval? {
        compare(previous: [previous], current: [current], paired: false, statistics: [statistic])[0][0]
    }

    /// Every statistic of every series from one pass of resamples: `previous[s]` and `current[s]` are series `s`
    /// (a stage) of the two runs, all of a run's series over the same requests. Resample `r` draws its request
    /// indices once (paired: one set for both runs; two-sample: one per run) and every (series, statistic) delta
    /// comes from those draws: means summed as requests are drawn, order statistics read from how often each
    /// request was drawn, scanning the requests in each series' sorted order from the nearer end. The draws are
    /// those `paired` and `twoSample` make for one statistic, so the intervals are the same. Returns
    /// `[series][statistic]`.
    public func compare(previous: [[Double]], current: [[Double]], paired: Bool, statistics: [Statistic]) -> [[Interval?]] {
        let nP = previous.first?.count ?? 0, nC = current.first?.count ?? 0
        let empty = [[Interval?]](repeating: [Interval?](repeating: nil, count: statistics.count), count: previous.count)
        guard previous.count == current.count, !previous.isEmpty, nP > 1, nC > 1, !paired || nP == nC,
            previous.allSatisfy({ $0.count == nP }), current.allSatisfy({ $0.count == nC })
        else { return empty }
        let needsMeans = statistics.contains(.mean)
        let needsCounts = statistics.contains { $0 != .mean }
        // Sorted only for order statistics; means need no preparation.
        let before = needsCounts ? previous.map { PreparedSeries($0) } : []
        let after = needsCounts ? current.map { PreparedSeries($0) } : []
        let cells = previous.count * statistics.count
        let output = SharedSlots<Double>(count: resamples * cells, empty: 0)
        let block = min(blockLength, nP)
        let workers = threads ?? max(1, min(ProcessInfo.processInfo.activeProcessorCount, resamples / 256))
        let shared = UncheckedBox((before, after))
        let seriesCount = previous.count
        // Means are summed as requests are drawn, four series per vector operation. Paired, a request's row holds
        // the change in each series (current − previous), so Δmean is the mean of the drawn rows; two-sample,
        // each run has its own rows. A row of up to four series is 32 bytes, so 10,000 requests stay in L2.
        let chunks = (seriesCount + 3) / 4
        func rowsOf(_ value: (Int, Int) -> Double, _ n: Int) -> [SIMD4<Double>] {
            guard needsMeans else { return [] }
            var rows = [SIMD4<Double>](repeating: .zero, count: n * chunks)
            for j in 0..<n {
                for s in 0..<seriesCount { rows[j * chunks + s / 4][s % 4] = value(s, j) }
            }
            return rows
        }
        let rows = UncheckedBox(
            paired
                ? (rowsOf({ current[$0][$1] - previous[$0][$1] }, nP), [])
                : (rowsOf({ previous[$0][$1] }, nP), rowsOf({ current[$0][$1] }, nC)))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let (before, after) = shared.value
            let countsP = UnsafeMutableBufferPointer<Int32>.allocate(capacity: needsCounts ? nP : 1)
            let countsC = UnsafeMutableBufferPointer<Int32>.allocate(capacity: needsCounts && !paired ? nC : 1)
            let sumsP = UnsafeMutableBufferPointer<SIMD4<Double>>.allocate(capacity: chunks)
            let sumsC = UnsafeMutableBufferPointer<SIMD4<Double>>.allocate(capacity: chunks)
            let spare = UnsafeMutableBufferPointer<SIMD4<Double>>.allocate(capacity: chunks)
            defer {
                countsP.deallocate()
                countsC.deallocate()
                sumsP.deallocate()
                sumsC.deallocate()
                spare.deallocate()
            }
            countsP.initialize(repeating: 0)
            countsC.initialize(repeating: 0)
            rows.value.0.withUnsafeBufferPointer { rowsP in
                rows.value.1.withUnsafeBufferPointer { rowsC in
                    @inline(__always) func draw(_ j: Int, _ counts: UnsafeMutableBufferPointer<Int32>,
                        _ rows: UnsafeBufferPointer<SIMD4<Double>>, _ sums: UnsafeMutableBufferPointer<SIMD4<Double>>) {
                        if needsCounts { counts[j] &+= 1 }
                        if needsMeans {
                            for k in 0..<chunks { sums[k] += rows[j * chunks + k] }
                        }
                    }
                    /// `n` uniform draws below `n`, summed alternately into `sums` and `spare`: two additions in flight
                    /// instead of one long chain.
                    @inline(__always) func drawAll(_ n: Int, _ rng: inout SplitMix64, _ counts: UnsafeMutableBufferPointer<Int32>,
                        _ rows: UnsafeBufferPointer<SIMD4<Double>>, _ sums: UnsafeMutableBufferPointer<SIMD4<Double>>) {
                        spare.update(repeating: .zero)
                        var i = 1
                        while i < n {
                            draw(rng.index(below: n), counts, rows, sums)
                            draw(rng.index(below: n), counts, rows, spare)
                            i += 2
                        }
                        if i == n { draw(rng.index(below: n), counts, rows, sums) }
                        if needsMeans {
                            for k in 0..<chunks { sums[k] += spare[k] }
                        }
                    }
                    var r = worker
                    while r < resamples {
                        var seeder = SplitMix64(seed: seed ^ (UInt64(r) &* 0xD1B5_4A32_D192_ED03))
                        var rng = SplitMix64(seed: seeder.next())
                        sumsP.update(repeating: .zero)
                        sumsC.update(repeating: .zero)
                        if paired {
                            if block == 1 {
                                drawAll(nP, &rng, countsP, rowsP, sumsP)
                            } else {
                                var i = 0
                                while i < nP {
                                    let start = rng.index(below: nP)
                                    var k = 0
                                    while k < block, i < nP {
                                        draw((start + k) % nP, countsP, rowsP, sumsP)
                                        i += 1
                                        k += 1
                                    }
                                }
                            }
                        } else {
                            drawAll(nP, &rng, countsP, rowsP, sumsP)
                            drawAll(nC, &rng, countsC, rowsC, sumsC)
                        }
                        var cell = r * cells
                        for series in 0..<seriesCount {
                            for statistic in statistics {
                                if case .mean = statistic {
                                    let x = sumsP[series / 4][series % 4] / Double(nP)
                                    output[cell] = paired ? x : sumsC[series / 4][series % 4] / Double(nC) - x
                                } else {
                                    let x = before[series].statistic(statistic, UnsafeBufferPointer(countsP))
                                    let y = after[series].statistic(statistic, UnsafeBufferPointer(paired ? countsP : countsC))
                                    output[cell] = y - x
                                }
                                cell += 1
                            }
                        }
                        if needsCounts {
                            countsP.update(repeating: 0)
                            if !paired { countsC.update(repeating: 0) }
                        }
                        r += workers
                    }
                }
            }
        }
        return previous.indices.map { series in
            statistics.enumerated().map { k, statistic in
                let deltas = (0..<resamples).map { output[$0 * cells + series * statistics.count + k] }
                return interval(
                    deltas, estimate: Self.estimate(current[series], statistic) - Self.estimate(previous[series], statistic))
            }
        }
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

/// A series prepared for resampling: sorted once, so a resample's order statistics are read from how often each
/// request was drawn, scanning the requests in sorted order from the nearer end: no copying, no sorting.
struct PreparedSeries: @unchecked Sendable {
    let values: [Double]
    let sorted: [Double]
    /// `order[t]` is the request with the t-th smallest value.
    let order: [Int32]

    init(_ values: [Double]) {
        self.values = values
        let order = values.indices.sorted { values[$0] < values[$1] }
        self.order = order.map { Int32($0) }
        sorted = order.map { values[$0] }
    }

    /// The statistic of the resample in which request `i` was drawn `counts[i]` times.
    @inline(__always)
    func statistic(_ statistic: Bootstrap.Statistic, _ counts: UnsafeBufferPointer<Int32>) -> Double {
        let n = values.count
        switch statistic {
        case .mean:
            return values.withUnsafeBufferPointer { v in
                var sum = 0.0
                for i in 0..<n { sum += Double(counts[i]) * v[i] }
                return sum / Double(n)
            }
        case .quantile(let p):
            let h = Double(n - 1) * p
            let lower = Int(h.rounded(.down))
            guard lower + 1 < n, h > Double(lower) else { return orderStatistic(lower, counts) }
            let (low, high) = adjacentOrderStatistics(lower, counts)
            return low + (h - Double(lower)) * (high - low)
        }
    }

    /// The values at positions `position` and `position + 1`, from one scan from the nearer end.
    private func adjacentOrderStatistics(_ position: Int, _ counts: UnsafeBufferPointer<Int32>) -> (Double, Double) {
        let n = counts.count < values.count ? counts.count : values.count
        return order.withUnsafeBufferPointer { o in
            sorted.withUnsafeBufferPointer { sorted in
                var low: Double?, high: Double?
                if position >= n / 2 {
                    var above = 0
                    var t = n - 1
                    while t >= 0 {
                        above += Int(counts[Int(o[t])])
                        if high == nil, above > n - 2 - position { high = sorted[t] }
                        if above > n - 1 - position { low = sorted[t]; break }
                        t -= 1
                    }
                } else {
                    var below = 0
                    for t in 0..<n {
                        below += Int(counts[Int(o[t])])
                        if low == nil, below > position { low = sorted[t] }
                        if below > position + 1 { high = sorted[t]; break }
                    }
                }
                return (low ?? sorted[0], high ?? sorted[n - 1])
            }
        }
    }

    /// The value at 0-based ascending position `position` of the resample.
    private func orderStatistic(_ position: Int, _ counts: UnsafeBufferPointer<Int32>) -> Double {
        let n = counts.count < values.count ? counts.count : values.count
        return order.withUnsafeBufferPointer { o in
            sorted.withUnsafeBufferPointer { sorted in
                if position >= n / 2 {
                    var above = 0
                    var t = n - 1
                    while t > 0 {
                        above += Int(counts[Int(o[t])])
                        if above > n - 1 - position { return sorted[t] }
                        t -= 1
                    }
                    return sorted[0]
                }
                var below = 0
                for t in 0..<n {
                    below += Int(counts[Int(o[t])])
                    if below > position { return sorted[t] }
                }
                return sorted[n - 1]
            }
        }
    }
}

/// Hands non-Sendable closures that only read shared, immutable state to concurrentPerform.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
