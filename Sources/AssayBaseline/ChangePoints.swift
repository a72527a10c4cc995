/// A change in a metric's level: the first index after the change, both sides' statistics and the t-test.
public struct ChangePoint: Sendable, Hashable {
    /// Index of the first point of the new level.
    public var index: Int
    /// The E-divisive statistic that proposed it.
    public var qhat: Double
    public var meanBefore: Double
    public var meanAfter: Double
    public var stddevBefore: Double
    public var stddevAfter: Double
    public var pValue: Double

    /// Relative change after/before − 1.
    public var forwardChange: Double { meanBefore == 0 ? 0 : meanAfter / meanBefore - 1 }
    /// The larger of the forward and backward relative changes (Otava's magnitude).
    public var magnitude: Double {
        max(abs(forwardChange), abs(meanAfter == 0 ? 0 : meanBefore / meanAfter - 1))
    }
}

/// Change points as Apache Otava (formerly Hunter; Fleming et al., "Hunter: Using Change Point Detection to Hunt
/// for Performance Regressions", ICPE 2023) finds them: E-divisive means (Matteson & James) proposes splits in
/// sliding windows, a two-sided Student t-test decides each, weak points found at a relaxed p-value are merged
/// away bottom-up. No permutations, so the result is deterministic. Checked against Otava itself.
public struct ChangePointDetector: Sendable {
    public var windowLength: Int
    public var maxPValue: Double
    /// Keep only changes of at least this relative size (0: significance alone decides).
    public var minMagnitude: Double

    public init(windowLength: Int = 50, maxPValue: Double = 0.001, minMagnitude: Double = 0) {
        precondition(windowLength >= 2, "window length must be at least 2")
        self.windowLength = windowLength
        self.maxPValue = maxPValue
        self.minMagnitude = minMagnitude
    }

    public func changePoints(_ series: [Double]) -> [ChangePoint] {
        guard series.count >= 3 else { return [] }
        let firstPass = maxPValue < 0.05 ? maxPValue * 10 : (maxPValue < 0.5 ? maxPValue * 2 : maxPValue)
        return merge(split(series, maxPValue: firstPass), series)
    }

    /// Split step: E-divisive in windows of `windowLength` sliding by half a window.
    func split(_ series: [Double], maxPValue: Double) -> [ChangePoint] {
        var indices: [Int] = []
        var start = 0
        let step = windowLength / 2
        while start < series.count {
            let end = min(start + windowLength, series.count)
            let window = Array(series[start..<end])
            let found = detect(window, maxPValue: maxPValue).map { $0 + start }
            start = max(found.last ?? 0, start + step)
            for index in found where !indices.contains(index) { indices.append(index) }
        }
        indices.sort()
        return indices.map { index in
            Self.test(series, index: index, intervals: Self.intervals(indices, count: series.count))
        }
    }

    /// E-divisive on one window: repeatedly take the best split of any current interval while significant.
    func detect(_ window: [Double], maxPValue: Double) -> [Int] {
        let calculator = QHatCalculator(window)
        var points: [Int] = []
        while true {
            let intervals = Self.intervals(points, count: window.count)
            var best: (index: Int, qhat: Double)?
            for interval in intervals where interval.count > 1 {
                let candidate = calculator.candidate(interval)
                if best == nil || candidate.qhat > best!.qhat { best = candidate }
            }
            guard let best else { break }
            let point = Self.test(window, index: best.index, intervals: intervals)
            guard point.pValue <= maxPValue else { break }
            points.append(best.index)
            points.sort()
        }
        return points
    }

    /// Merge step: drop the weakest point (largest p-value above the limit, else the smallest change when it
    /// is not above `minMagnitude`) and re-test its neighbours, until every point passes.
    func merge(_ initial: [ChangePoint], _ series: [Double]) -> [ChangePoint] {
        var points = initial
        while !points.isEmpty {
            var weakest = points.indices.max { points[$0].pValue < points[$1].pValue }!
            if points[weakest].pValue < maxPValue {
                weakest = points.indices.min { points[$0].magnitude < points[$1].magnitude }!
                if points[weakest].magnitude > minMagnitude { return points }
            }
            points.remove(at: weakest)
            let intervals = Self.intervals(points.map(\.index), count: series.count)
            for neighbour in [weakest, weakest + 1] where neighbour < points.count {
                var retested = Self.test(series, index: points[neighbour].index, intervals: intervals)
                retested.qhat = points[neighbour].qhat
                points[neighbour] = retested
            }
        }
        return points
    }

    /// The segments between sorted change points.
    static func intervals(_ points: [Int], count: Int) -> [Range<Int>] {
        var bounds = [0] + points + [count]
        bounds = bounds.enumerated().filter { $0.offset == 0 || $0.element != bounds[$0.offset - 1] }.map(\.element)
        return zip(bounds, bounds.dropFirst()).map { $0..<$1 }.filter { !$0.isEmpty }
    }

    /// The t-test of a point: against the interval it splits, or, when it bounds two intervals, between them.
    static func test(_ series: [Double], index: Int, intervals: [Range<Int>]) -> ChangePoint {
        var left: Range<Int> = 0..<index
        var right: Range<Int> = index..<series.count
        for (position, interval) in intervals.enumerated() {
            if interval.upperBound == index, position + 1 < intervals.count {
                left = interval
                right = intervals[position + 1]
                break
            }
            if interval.lowerBound < index, index < interval.upperBound {
                left = interval.lowerBound..<index
                right = index..<interval.upperBound
                break
            }
        }
        let a = Array(series[left])
        let b = Array(series[right])
        let (meanA, sdA) = meanAndPopulationStddev(a)
        let (meanB, sdB) = meanAndPopulationStddev(b)
        // Otava passes numpy's population standard deviations to scipy's pooled-variance t-test; so does this.
        let df = Double(a.count + b.count - 2)
        var p = 1.0
        if df > 0 {
            let pooled = ((Double(a.count) - 1) * sdA * sdA + (Double(b.count) - 1) * sdB * sdB) / df
            let denominator = (pooled * (1 / Double(a.count) + 1 / Double(b.count))).squareRoot()
            if denominator > 0 {
                p = StudentT.twoSidedP((meanA - meanB) / denominator, degreesOfFreedom: df)
            } else {
                p = meanA == meanB ? 1 : 0
            }
        }
        return ChangePoint(
            index: index, qhat: 0, meanBefore: meanA, meanAfter: meanB, stddevBefore: a.count >= 2 ? sdA : 0,
            stddevAfter: b.count >= 2 ? sdB : 0, pValue: p)
    }

    static func meanAndPopulationStddev(_ values: [Double]) -> (Double, Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }
}

/// Matteson & James's divergence Q̂ between X = z[start..<τ] and Y = z[τ..<κ], maximized over τ and κ:
///   Q̂ = 2/(n+m) Σ|Xi−Yj| − 2m/((n+m)(n−1)) Σi<k |Xi−Xk| − 2n/((n+m)(m−1)) Σj<k |Yj−Yk|
/// (a term whose denominator is 0 counts 0), computed with running sums in O(length²) per interval.
struct QHatCalculator {
    let z: [Double]

    init(_ z: [Double]) {
        self.z = z
    }

    /// The τ of the best (τ, κ) in `interval`, scanning τ then κ upwards and keeping the first maximum.
    func candidate(_ interval: Range<Int>) -> (index: Int, qhat: Double) {
        let start = interval.lowerBound
        let stop = interval.upperBound
        var best: (index: Int, qhat: Double) = (start + 1, -.infinity)
        var withinX = 0.0  // Σ over pairs inside z[start..<τ]
        for tau in (start + 1)..<stop {
            // Add z[τ−1] to X.
            for i in start..<(tau - 1) { withinX += abs(z[i] - z[tau - 1]) }
            var withinY = 0.0
            var cross = 0.0
            for kappa in (tau + 1)...stop {
                let newest = kappa - 1  // z[newest] joins Y
                for j in tau..<newest { withinY += abs(z[j] - z[newest]) }
                for i in start..<tau { cross += abs(z[i] - z[newest]) }
                let n = Double(tau - start)
                let m = Double(kappa - tau)
                var q = 2 / (n + m) * cross
                if n > 1 { q -= 2 * m / ((n + m) * (n - 1)) * withinX }
                if m > 1 { q -= 2 * n / ((n + m) * (m - 1)) * withinY }
                if q > best.qhat { best = (tau, q) }
            }
        }
        return best
    }
}
