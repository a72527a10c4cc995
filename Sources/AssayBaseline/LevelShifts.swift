import AssayCore
import Foundation

/// Change points of a metric series that hold on real data, the one detector the baseline layer, `assay watch`, the
/// dashboard and `assay baseline changes` share:
/// - seasonality (daily or weekly, detected from the times, or a given period) is removed first;
/// - the noise is modelled as AR(1) with a robust estimate of its autocorrelation (`NoiseModel`), so autocorrelated
///   wiggles are not steps; a series whose increments show it drifts (a random walk, an integrated series) is
///   segmented by its slope, and its drift is reported instead of a staircase;
/// - segments differ in mean and variance and are found by exact penalized segmentation (PELT; `Segmentation`) with
///   `penalty · log n` per change, after single outliers are clipped to the running median's band;
/// - a steady trend (Theil–Sen slope with Sen's CI95) is a trend, with the steps on it found on what it leaves, when
///   that model's penalized cost is lower.
/// Defaults were set once on the whole TCPD corpus (Benchmarks/changepoints). Deterministic.
public struct LevelShiftDetector: Sendable {
    /// Per change, in units of log n (the cost is −2 × the log-likelihood).
    public var penalty: Double
    /// The fewest points a segment has.
    public var minimumSegment: Int

    /// A change of slope (in a drifting series) costs this many level changes: its position rests on the increments,
    /// far noisier than the levels, so it needs stronger evidence. Penalty 6 and this factor were set once on the whole
    /// TCPD corpus: mean F1 0.752 (penalty 5 and factor 1: 0.722; 5 and 3: 0.746). The price: a 2σ step in AR(1) noise
    /// with φ = 0.7 is found less often (that family's F1 0.875 → 0.792, 1.3 changes reported where 2 are true).
    static let slopePenaltyFactor = 2.0

    public init(penalty: Double = 6, minimumSegment: Int = 5) {
        self.penalty = penalty
        self.minimumSegment = max(2, minimumSegment)
    }

    /// A change: `index` is the first point after it.
    public struct Shift: Sendable, Hashable, Codable {
        public enum Kind: String, Sendable, Hashable, Codable {
            /// The mean moved.
            case level
            /// The spread moved, the mean did not (significantly).
            case variance
            /// A drifting series' slope moved (`slopeBefore`, `slopeAfter`).
            case slope
        }

        public var index: Int
        public var kind: Kind
        public var meanBefore: Double
        public var meanAfter: Double
        /// The spread of the segments on either side (of their increments, for `.slope`).
        public var stddevBefore: Double
        public var stddevAfter: Double
        /// Per point, for `.slope`.
        public var slopeBefore: Double?
        public var slopeAfter: Double?
        /// Two-sided: Welch's test of the means (of the increments for `.slope`) with the segments' effective sizes
        /// under the AR(1) noise, or the F test of the variances for `.variance`.
        public var pValue: Double

        public init(
            index: Int, kind: Kind = .level, meanBefore: Double, meanAfter: Double, stddevBefore: Double = 0, stddevAfter: Double = 0,
            slopeBefore: Double? = nil, slopeAfter: Double? = nil, pValue: Double
        ) {
            self.index = index
            self.kind = kind
            self.meanBefore = meanBefore
            self.meanAfter = meanAfter
            self.stddevBefore = stddevBefore
            self.stddevAfter = stddevAfter
            self.slopeBefore = slopeBefore
            self.slopeAfter = slopeAfter
            self.pValue = pValue
        }

        public var magnitude: Double { meanAfter - meanBefore }
        public var relativeChange: Double { meanBefore == 0 ? 0 : meanAfter / meanBefore - 1 }
        public var confidence: Double { 1 - pValue }
    }

    /// A steady slope, per point and CI95.
    public struct Trend: Sendable, Hashable, Codable {
        public var slopePerPoint: Double
        public var low: Double
        public var high: Double
        /// The change the slope makes over the whole series.
        public var totalChange: Double
    }

    /// How a drifting series moves: the median increment per point and the spread of the increments.
    public struct Drift: Sendable, Hashable, Codable {
        public var slopePerPoint: Double
        public var stddevPerPoint: Double
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
        /// Set when the series drifts: its changes are then changes of slope.
        public var drift: Drift?
        /// The noise model the segmentation used (of the increments, for a drifting series).
        public var model: NoiseModel
        /// The robust standard deviation of the noise around the level.
        public var noise: Double { model.marginal }
    }

    /// Analyzes `values`; `times` (same count) let daily and weekly seasonality be detected; `period` (in points)
    /// forces a season.
    public func analyze(_ values: [Double], times: [Date]? = nil, period: Int? = nil) -> Result {
        let n = values.count
        guard n >= 2 * minimumSegment else { return Result(shifts: [], trend: nil, season: nil, drift: nil, model: .none) }
        var series = values
        var season: Season?
        if let found = Self.season(values, times: times, period: period) {
            season = found.season
            series = zip(values, found.profile).map { $0 - $1 }
            // Alternate: the level the changes fit without the season, then the season around that level, so a step
            // does not leak into the profile and the profile does not fake steps.
            for _ in 0..<2 {
                let level = Self.levels(series, changes: levelChanges(series, model: NoiseModel.estimate(series)).changes)
                let profile = Self.profile(zip(values, level).map { $0 - $1 }, phase: found.phase, bins: found.bins)
                series = zip(values, profile).map { $0 - $1 }
            }
        }
        let model = NoiseModel.estimate(series)
        guard model.marginal > 0 else {
            // No noise: every move of the level is a change.
            let changes = series.indices.dropFirst().filter { series[$0] != series[$0 - 1] }
            return Result(shifts: shifts(series, changes: changes, model: model), trend: nil, season: season, drift: nil, model: model)
        }
        let beta = penalty * log(Double(n))
        let steps = levelChanges(series, model: model)
        if model.integrated {
            // A drifting series: its increments are (close to) stationary, and their changes are changes of slope.
            // Kept when that model explains the series better than levels under AR(1) noise (by the penalized
            // likelihood, which both costs are).
            let increments = zip(series, series.dropFirst()).map { $1 - $0 }
            let incrementModel = NoiseModel.estimate(increments)
            let found = Segmentation(noise: incrementModel, penalty: beta * Self.slopePenaltyFactor, minimumSegment: minimumSegment)
                .run(increments)
            if incrementModel.innovation > 0, found.cost <= steps.cost {
                let drift = Drift(slopePerPoint: Self.median(increments), stddevPerPoint: NoiseModel.scale(increments))
                return Result(
                    shifts: slopeShifts(series, increments: increments, changes: found.changes.map { $0 + 1 }, model: incrementModel),
                    trend: nil, season: season, drift: drift, model: incrementModel)
            }
        }
        // A trend, then changes on what it leaves. Steps pull a Theil–Sen slope towards them (and the steps found on
        // what it leaves then make a staircase), so the median of the lag-n/10 differences, which a few steps barely
        // move, is tried too, and the slope that leaves the cheaper segmentation is kept. Its CI95 is Sen's, on the
        // series with the steps taken out.
        let indexed = series.enumerated().map { (Double($0.offset), $0.element) }
        let lag = max(1, n / 10)
        let slopes = [
            TheilSen.interval(indexed).0, Self.median(zip(series, series.dropFirst(lag)).map { ($1 - $0) / Double(lag) }),
        ]
        let fits = slopes.map { slope in
            let median = Self.median(series.enumerated().map { $0.element - slope * Double($0.offset) })
            let detrended = series.enumerated().map { $0.element - (median + slope * Double($0.offset)) }
            return (slope: slope, median: median, detrended: detrended, steps: levelChanges(detrended, model: model))
        }
        let (slope, median, detrended, trendSteps) = fits.min { $0.steps.cost < $1.steps.cost }!
        let stepLevels = Self.levels(detrended, changes: trendSteps.changes)
        let (_, low, high) = TheilSen.interval(series.enumerated().map { (Double($0.offset), $0.element - stepLevels[$0.offset]) })
        if trendSteps.cost + beta < steps.cost, low > 0 || high < 0 {
            let shifts = shifts(detrended, changes: trendSteps.changes, model: model).map { shift in
                // Report the levels of the series itself (trend included) on either side of the change.
                var shift = shift
                shift.meanBefore += median + slope * Double(shift.index - 1)
                shift.meanAfter += median + slope * Double(shift.index)
                return shift
            }
            return Result(
                shifts: shifts, trend: Trend(slopePerPoint: slope, low: low, high: high, totalChange: slope * Double(n - 1)),
                season: season, drift: nil, model: model)
        }
        return Result(shifts: shifts(series, changes: steps.changes, model: model), trend: nil, season: season, drift: nil, model: model)
    }

    func levelChanges(_ series: [Double], model: NoiseModel) -> (changes: [Int], cost: Double) {
        guard model.innovation > 0 else { return ([], 0) }
        return Segmentation(noise: model, penalty: penalty * log(Double(series.count)), minimumSegment: minimumSegment).run(series)
    }

    /// The changes of level or variance at `changes`, each tested between the segments on either side.
    func shifts(_ series: [Double], changes: [Int], model: NoiseModel) -> [Shift] {
        let bounds = [0] + changes + [series.count]
        let shrink = (1 - model.phi) / (1 + model.phi)
        return changes.enumerated().map { position, index in
            let before = Array(series[bounds[position]..<index])
            let after = Array(series[index..<bounds[position + 2]])
            let meanP = Self.welch(before, after, shrink: shrink)
            let spreadP = Self.varianceTest(before, after, shrink: shrink)
            let kind: Shift.Kind = meanP > 0.05 && spreadP < meanP ? .variance : .level
            return Shift(
                index: index, kind: kind, meanBefore: Self.mean(before), meanAfter: Self.mean(after),
                stddevBefore: Self.variance(before).squareRoot(), stddevAfter: Self.variance(after).squareRoot(),
                pValue: kind == .variance ? spreadP : meanP)
        }
    }

    /// The changes of slope of a drifting series: `changes` index the series (the first point after the change).
    func slopeShifts(_ series: [Double], increments: [Double], changes: [Int], model: NoiseModel) -> [Shift] {
        let bounds = [0] + changes + [series.count]
        let incrementBounds = [0] + changes.map { $0 - 1 } + [increments.count]
        let shrink = (1 - model.phi) / (1 + model.phi)
        return changes.enumerated().map { position, index in
            let slopesBefore = Array(increments[incrementBounds[position]..<(index - 1)])
            let slopesAfter = Array(increments[(index - 1)..<incrementBounds[position + 2]])
            let before = Array(series[bounds[position]..<index])
            let after = Array(series[index..<bounds[position + 2]])
            return Shift(
                index: index, kind: .slope, meanBefore: Self.mean(before), meanAfter: Self.mean(after),
                stddevBefore: Self.variance(slopesBefore).squareRoot(), stddevAfter: Self.variance(slopesAfter).squareRoot(),
                slopeBefore: Self.mean(slopesBefore), slopeAfter: Self.mean(slopesAfter),
                pValue: Self.welch(slopesBefore, slopesAfter, shrink: shrink))
        }
    }

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    static func median(_ values: [Double]) -> Double { Quantile.type7(sorted: values.sorted(), 0.5) ?? 0 }

    /// Welch's two-sided p-value for a difference in means, each sample counted as `shrink` × its size: the
    /// effective size of an AR(1) sample, (1 − φ)/(1 + φ) of it.
    static func welch(_ a: [Double], _ b: [Double], shrink: Double = 1) -> Double {
        guard a.count >= 2, b.count >= 2 else { return 1 }
        let na = max(2, Double(a.count) * shrink), nb = max(2, Double(b.count) * shrink)
        let ma = mean(a), mb = mean(b)
        let va = a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) } / Double(a.count - 1)
        let vb = b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) } / Double(b.count - 1)
        let se2 = va / na + vb / nb
        guard se2 > 0 else { return ma == mb ? 1 : 0 }
        let df = se2 * se2 / (pow(va / na, 2) / (na - 1) + pow(vb / nb, 2) / (nb - 1))
        return StudentT.twoSidedP((mb - ma) / se2.squareRoot(), degreesOfFreedom: df)
    }

    /// The two-sided F test of equal variances, with effective sizes as in `welch`.
    static func varianceTest(_ a: [Double], _ b: [Double], shrink: Double = 1) -> Double {
        guard a.count >= 2, b.count >= 2 else { return 1 }
        let va = variance(a), vb = variance(b)
        guard va > 0, vb > 0 else { return va == vb ? 1 : 0 }
        let d1 = max(1, Double(a.count) * shrink - 1), d2 = max(1, Double(b.count) * shrink - 1)
        let f = va / vb
        let lower = StudentT.regularizedIncompleteBeta(d1 * f / (d1 * f + d2), a: d1 / 2, b: d2 / 2)
        return min(1, 2 * min(lower, 1 - lower))
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
            // Bins of 5 minutes a day, 30 minutes a week: coarser ones leave a sawtooth whose spread follows the
            // phase, which the segmentation would take for changes of variance.
            for (name, seconds, maximumBins) in [("daily", 86_400.0, 288), ("weekly", 604_800.0, 336)]
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

    /// The segment means of `series` between `changes`, at each point.
    static func levels(_ series: [Double], changes: [Int]) -> [Double] {
        let bounds = [0] + changes + [series.count]
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
            ChangePoint(
                index: $0.index, qhat: 0, meanBefore: $0.meanBefore, meanAfter: $0.meanAfter, stddevBefore: $0.stddevBefore,
                stddevAfter: $0.stddevAfter, pValue: $0.pValue)
        }
    }
}
