import AssayCore
import Foundation

/// Level shifts of a metric series that hold on real data: seasonality (daily or weekly, detected from the times or
/// given as a period) is removed first; a gradual trend is reported as a trend (Theil–Sen slope with Sen's CI95),
/// not as a cascade of steps; the remaining steps are found by binary segmentation of the mean with a penalty of
/// `penalty · log n` noise variances per change (MBIC-like), each step at least `minimumShift` noise standard
/// deviations and `minimumSegment` points on either side. The noise is estimated robustly from first differences
/// (MAD), so neither the steps nor the trend inflate it. The model with steps, with a trend, or with both is chosen
/// by the same penalized cost. Deterministic.
public struct LevelShiftDetector: Sendable {
    public var penalty: Double
    public var minimumShift: Double
    public var minimumSegment: Int

    public init(penalty: Double = 3, minimumShift: Double = 1, minimumSegment: Int = 4) {
        self.penalty = penalty
        self.minimumShift = minimumShift
        self.minimumSegment = max(2, minimumSegment)
    }

    /// A step in the level: `index` is the first point of the new level.
    public struct Shift: Sendable, Hashable, Codable {
        public var index: Int
        public var meanBefore: Double
        public var meanAfter: Double
        /// Welch's two-sided p-value between the segments on either side.
        public var pValue: Double

        public var magnitude: Double { meanAfter - meanBefore }
        public var relativeChange: Double { meanBefore == 0 ? 0 : meanAfter / meanBefore - 1 }
    }

    /// A steady slope, per point and CI95.
    public struct Trend: Sendable, Hashable, Codable {
        public var slopePerPoint: Double
        public var low: Double
        public var high: Double
        /// The change the slope makes over the whole series.
        public var totalChange: Double
    }

    /// Seasonality that was removed: its period in points and the share of variance it explained.
    public struct Season: Sendable, Hashable, Codable {
        public var periodPoints: Double
        public var name: String
        public var strength: Double
    }

    public struct Result: Sendable, Hashable {
        public var shifts: [Shift]
        public var trend: Trend?
        public var season: Season?
        /// The robust noise standard deviation the penalties are measured in.
        public var noise: Double
    }

    /// Analyzes `values`; `times` (same count) let daily and weekly seasonality be detected; `period` (in points)
    /// forces a season.
    public func analyze(_ values: [Double], times: [Date]? = nil, period: Int? = nil) -> Result {
        let n = values.count
        guard n >= 2 * minimumSegment else { return Result(shifts: [], trend: nil, season: nil, noise: 0) }
        var series = values
        var season: Season?
        if let found = Self.season(values, times: times, period: period) {
            season = found.season
            series = zip(values, found.profile).map { $0 - $1 }
            // Alternate: the level the steps fit without the season, then the season around that level, so a step
            // does not leak into the profile and the profile does not fake steps.
            for _ in 0..<2 {
                let noise = Self.noiseEstimate(series)
                let level = Self.levels(series, shifts: segment(series, noise: max(noise, 1e-12)))
                let profile = Self.profile(zip(values, level).map { $0 - $1 }, phase: found.phase, bins: found.bins)
                series = zip(values, profile).map { $0 - $1 }
            }
        }
        let noise = Self.noiseEstimate(series)
        guard noise > 0 else {
            // A series without noise: exact steps only.
            let shifts = segment(series, noise: max(1e-12, Self.spread(series) * 1e-9))
            return Result(shifts: shifts, trend: nil, season: season, noise: 0)
        }
        let beta = penalty * log(Double(n))
        // Steps only.
        let steps = segment(series, noise: noise)
        let stepCost = Self.cost(series, shifts: steps) / (noise * noise) + beta * Double(steps.count)
        // A trend, then steps on what it leaves.
        let indexed = series.enumerated().map { (Double($0.offset), $0.element) }
        let (slope, low, high) = TheilSen.interval(indexed)
        let median = TheilSen.intercept(indexed, slope: slope)
        let detrended = series.enumerated().map { $0.element - (median + slope * Double($0.offset)) }
        let trendSteps = segment(detrended, noise: noise)
        let trendCost = Self.cost(detrended, shifts: trendSteps) / (noise * noise) + beta * Double(trendSteps.count + 1)
        if trendCost < stepCost, low > 0 || high < 0 {
            let shifts = trendSteps.map { shift in
                // Report the levels of the series itself (trend included) on either side of the step.
                var shift = shift
                shift.meanBefore += median + slope * Double(shift.index - 1)
                shift.meanAfter += median + slope * Double(shift.index)
                return shift
            }
            return Result(
                shifts: shifts, trend: Trend(slopePerPoint: slope, low: low, high: high, totalChange: slope * Double(n - 1)),
                season: season, noise: noise)
        }
        return Result(shifts: steps, trend: nil, season: season, noise: noise)
    }

    /// Binary segmentation of the mean: split where the squared-error reduction is largest while it exceeds the
    /// penalty and the step is large enough, then recurse on both sides.
    public func segment(_ series: [Double], noise: Double) -> [Shift] {
        let n = series.count
        var prefix = [0.0]
        var prefixSquares = [0.0]
        prefix.reserveCapacity(n + 1)
        for value in series {
            prefix.append(prefix[prefix.count - 1] + value)
            prefixSquares.append(prefixSquares[prefixSquares.count - 1] + value * value)
        }
        func sse(_ a: Int, _ b: Int) -> Double {
            let count = Double(b - a)
            let sum = prefix[b] - prefix[a]
            return max(0, prefixSquares[b] - prefixSquares[a] - sum * sum / count)
        }
        let beta = penalty * log(Double(n)) * noise * noise
        var found: [Int] = []
        var stack = [(0, n)]
        while let (a, b) = stack.popLast() {
            guard b - a >= 2 * minimumSegment else { continue }
            let whole = sse(a, b)
            var best: (index: Int, gain: Double)?
            for t in (a + minimumSegment)...(b - minimumSegment) {
                let gain = whole - sse(a, t) - sse(t, b)
                if gain > (best?.gain ?? 0) { best = (t, gain) }
            }
            guard let best, best.gain > beta else { continue }
            let left = (prefix[best.index] - prefix[a]) / Double(best.index - a)
            let right = (prefix[b] - prefix[best.index]) / Double(b - best.index)
            guard abs(right - left) >= minimumShift * noise else { continue }
            found.append(best.index)
            stack.append((a, best.index))
            stack.append((best.index, b))
        }
        found.sort()
        let bounds = [0] + found + [n]
        return found.enumerated().map { position, index in
            let before = Array(series[bounds[position]..<index])
            let after = Array(series[index..<bounds[position + 2]])
            return Shift(index: index, meanBefore: Self.mean(before), meanAfter: Self.mean(after), pValue: Self.welch(before, after))
        }
    }

    static func cost(_ series: [Double], shifts: [Shift]) -> Double {
        let bounds = [0] + shifts.map(\.index) + [series.count]
        return zip(bounds, bounds.dropFirst()).reduce(0) { total, range in
            let part = series[range.0..<range.1]
            let mean = part.reduce(0, +) / Double(part.count)
            return total + part.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        }
    }

    /// 1.4826 · MAD of first differences / √2: the noise standard deviation, robust to steps and trends (the root
    /// mean square of the differences when their MAD is 0).
    public static func noiseEstimate(_ series: [Double]) -> Double {
        let differences = zip(series, series.dropFirst()).map { $1 - $0 }
        guard !differences.isEmpty else { return 0 }
        let median = Self.median(differences)
        let robust = 1.4826 * Self.median(differences.map { abs($0 - median) }) / 2.0.squareRoot()
        if robust > 0 { return robust }
        // Mostly repeated differences (a quantized or patterned series): the root mean square instead.
        return (differences.reduce(0) { $0 + $1 * $1 } / Double(differences.count) / 2).squareRoot()
    }

    static func spread(_ series: [Double]) -> Double {
        (series.max() ?? 0) - (series.min() ?? 0)
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Welch's two-sided p-value for a difference in means.
    static func welch(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count >= 2, b.count >= 2 else { return 1 }
        let ma = mean(a), mb = mean(b)
        let va = a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) } / Double(a.count - 1)
        let vb = b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) } / Double(b.count - 1)
        let se2 = va / Double(a.count) + vb / Double(b.count)
        guard se2 > 0 else { return ma == mb ? 1 : 0 }
        let df = se2 * se2 / (pow(va / Double(a.count), 2) / Double(a.count - 1) + pow(vb / Double(b.count), 2) / Double(b.count - 1))
        return StudentT.twoSidedP((mb - ma) / se2.squareRoot(), degreesOfFreedom: df)
    }

    /// The seasonal profile to subtract, when the series has a daily or weekly cycle (from `times`) or `period`
    /// is given, over at least three periods: the median, per phase bin, of what a centered one-period moving
    /// average leaves; kept only when it explains at least 30% of that remainder's variance (and twice what as
    /// many bins would explain of pure noise).
    static func season(_ values: [Double], times: [Date]?, period: Int?) -> (season: Season, profile: [Double], phase: [Int], bins: Int)? {
        var candidates: [(name: String, phase: [Int], bins: Int, window: Int)] = []
        if let period, period >= 2, values.count >= 3 * period {
            candidates.append(("period \(period)", values.indices.map { $0 % period }, period, period))
        } else if let times, times.count == values.count, let first = times.first, let last = times.last, values.count >= 8 {
            let span = last.timeIntervalSince(first)
            let spacing = span / Double(values.count - 1)
            for (name, seconds, maximumBins) in [("daily", 86_400.0, 48), ("weekly", 604_800.0, 168)]
            where span >= 3 * seconds && spacing > 0 && spacing <= seconds / 4 {
                let bins = max(2, min(maximumBins, Int((seconds / spacing).rounded())))
                let phase = times.map { time -> Int in
                    let offset = time.timeIntervalSince1970.truncatingRemainder(dividingBy: seconds)
                    return min(bins - 1, Int(offset / seconds * Double(bins)))
                }
                candidates.append((name, phase, bins, max(3, Int((seconds / spacing).rounded()))))
            }
        }
        var best: (season: Season, profile: [Double], phase: [Int], bins: Int)?
        for candidate in candidates {
            let level = movingAverage(values, period: candidate.window)
            let remainder = zip(values, level).map { $0 - $1 }
            let profile = Self.profile(remainder, phase: candidate.phase, bins: candidate.bins)
            let total = variance(remainder)
            guard total > 0 else { continue }
            let strength = 1 - variance(zip(remainder, profile).map { $0 - $1 }) / total
            // A profile of `bins` medians explains about bins/n of pure noise: require well beyond that.
            if strength >= max(0.3, 2 * Double(candidate.bins) / Double(values.count)), strength > (best?.season.strength ?? 0) {
                let periodPoints = candidate.name.hasPrefix("period") ? Double(candidate.bins) : Double(candidate.window)
                best = (Season(periodPoints: periodPoints, name: candidate.name, strength: strength), profile, candidate.phase, candidate.bins)
            }
        }
        return best
    }

    /// The median of `remainder` per phase bin, centered, at each point.
    static func profile(_ remainder: [Double], phase: [Int], bins: Int) -> [Double] {
        var byBin = [[Double]](repeating: [], count: bins)
        for (index, bin) in phase.enumerated() { byBin[bin].append(remainder[index]) }
        let binMedians = byBin.map { $0.isEmpty ? 0 : median($0) }
        let center = mean(binMedians)
        return phase.map { binMedians[$0] - center }
    }

    /// The segment means of `series` between `shifts`, at each point.
    static func levels(_ series: [Double], shifts: [Shift]) -> [Double] {
        let bounds = [0] + shifts.map(\.index) + [series.count]
        var level = [Double](repeating: 0, count: series.count)
        for (a, b) in zip(bounds, bounds.dropFirst()) {
            let m = mean(Array(series[a..<b]))
            for index in a..<b { level[index] = m }
        }
        return level
    }

    static func variance(_ values: [Double]) -> Double {
        let m = mean(values)
        return values.isEmpty ? 0 : values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)
    }

    /// The centered moving average over exactly one period (for an even period, the classical 2×P average with
    /// half weights at both ends), which removes a cycle of that period whatever its shape; near the ends the
    /// window is cut to what exists.
    static func movingAverage(_ values: [Double], period: Int) -> [Double] {
        let n = values.count
        var prefix = [0.0]
        for value in values { prefix.append(prefix[prefix.count - 1] + value) }
        let half = period / 2
        return (0..<n).map { index in
            let low = index - half, high = index + half
            if period % 2 == 1 || low < 0 || high >= n {
                let a = max(0, low), b = min(n - 1, high)
                return (prefix[b + 1] - prefix[a]) / Double(b - a + 1)
            }
            let inner = prefix[high] - prefix[low + 1]
            return (inner + 0.5 * values[low] + 0.5 * values[high]) / Double(period)
        }
    }
}

extension LevelShiftDetector {
    /// The shifts as `ChangePoint`s, keeping those with a p-value at most `maxPValue`: the form the baseline layer,
    /// `assay watch` and the dashboard read.
    public func changePoints(_ series: [Double], times: [Date]? = nil, maxPValue: Double = 1) -> [ChangePoint] {
        analyze(series, times: times).shifts.filter { $0.pValue <= maxPValue }.map {
            ChangePoint(index: $0.index, qhat: 0, meanBefore: $0.meanBefore, meanAfter: $0.meanAfter, stddevBefore: 0, stddevAfter: 0, pValue: $0.pValue)
        }
    }
}
