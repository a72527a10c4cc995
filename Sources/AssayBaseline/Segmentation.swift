import AssayCore
import Foundation

/// The noise a series' level moves in, estimated robustly from the spread of its lag-1 and lag-2 differences, so
/// that a few steps or outliers barely move it: AR(1) noise with autocorrelation φ, as AR1Seg does (Chakar,
/// Lebarbier, Lévy-Leduc and Robin, Bernoulli 2017) and as DeCAFS's lag-variance fit does for its AR(1) part
/// (Romano, Rigaill, Runge and Fearnhead, JASA 2022).
///
/// For AR(1) noise, Var(y[t+k] − y[t]) / Var(y[t+1] − y[t]) = (1 − φ^k)/(1 − φ); a random walk gives k (φ = 1)
/// and a drifting, integrated series more: such a series is `integrated`, and its changes are looked for in
/// its increments (changes of slope), not in its level, which wanders without any change.
public struct NoiseModel: Sendable, Hashable, Codable {
    /// The autocorrelation the segmentation uses: `rawPhi` kept within 0…`maximumPhi`.
    public var phi: Double
    /// The φ that the spreads of the lag-1…4 differences fit (1 for a random walk, more for a faster drift).
    public var rawPhi: Double
    /// The standard deviation of the noise around the level.
    public var marginal: Double
    /// The standard deviation of the AR(1) innovations: marginal · √(1 − φ²).
    public var innovation: Double
    /// Whether the series may drift (`rawPhi` ≥ `driftThreshold`).
    public var integrated: Bool

    /// Beyond this the level and the noise cannot be told apart (a step under φ = 0.95 is 1/20 of its size in the
    /// whitened series).
    public static let maximumPhi = 0.9
    /// A random walk gives `rawPhi` = 1 (give or take its sampling error): from here on the series is also tried as
    /// a drifting one, and the better model, by penalized likelihood, is kept.
    public static let driftThreshold = 0.8
    /// The fewest points φ is estimated from.
    public static let minimumForAutocorrelation = 30

    /// No noise at all (a constant series, or too few points to tell).
    public static let none = NoiseModel(phi: 0, rawPhi: 0, marginal: 0, innovation: 0, integrated: false)

    public static func estimate(_ series: [Double]) -> NoiseModel {
        guard series.count >= 4 else { return .none }
        // Var(y[t+k] − y[t]) / Var(y[t+1] − y[t]) = (1 − φ^k) / (1 − φ) for k = 2…4 (2 only under 100 points, where
        // a step would move too many of the longer differences), fitted on a grid of φ by least squares on the log
        // scale; beyond 1, the same formula describes a series that drifts faster than a random walk.
        let lags = series.count >= 100 ? 4 : 2
        let scales = (1...lags).map { lag in Self.scale(zip(series, series.dropFirst(lag)).map { $1 - $0 }) }
        let lag1 = scales[0]
        guard lag1 > 0 else { return .none }
        let observed = scales.dropFirst().map { 2 * log(max($0, 1e-300) / lag1) }
        func misfit(_ phi: Double) -> Double {
            zip(2...lags, observed).reduce(0) { total, pair in
                let ratio = abs(phi - 1) < 1e-9 ? Double(pair.0) : (1 - pow(phi, Double(pair.0))) / (1 - phi)
                return total + pow(log(max(ratio, 1e-300)) - pair.1, 2)
            }
        }
        // Under 30 points (a history of audits) the fit is too loose to lean on: the points count as independent.
        let rawPhi = series.count < minimumForAutocorrelation ? 0 : stride(from: -0.95, through: 3.0, by: 0.005).min { misfit($0) < misfit($1) } ?? 0
        let phi = min(maximumPhi, max(0, rawPhi))
        let marginal = lag1 / (2 * (1 - phi)).squareRoot()
        return NoiseModel(
            phi: phi, rawPhi: rawPhi, marginal: marginal, innovation: marginal * (1 - phi * phi).squareRoot(),
            integrated: rawPhi >= driftThreshold)
    }

    /// A robust standard deviation that quantized series do not defeat: the mean absolute deviation from the median
    /// of the closest values, divided by its expectation for a standard normal kept the same way. The 5% furthest
    /// are left out, and at least 2 (a step moves 2 of the lag-2 differences). (The MAD is 0 when most differences
    /// are 0, as in a series rounded to two decimals.)
    static func scale(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let center = LevelShiftDetector.median(values)
        let deviations = values.map { abs($0 - center) }.sorted()
        let dropped = deviations.count >= 5 ? max(2, Int((0.05 * Double(deviations.count)).rounded())) : 0
        let kept = deviations.count - dropped
        let share = Double(kept) / Double(deviations.count)
        // E|Z| over the central `share` of a standard normal: 2 (φ(0) − φ(z)) / share, z its (1 + share)/2 quantile.
        let z = share < 1 ? StudentT.quantile((1 + share) / 2, degreesOfFreedom: 1e7) : .infinity
        let expected = 2 * (1 - exp(-z * z / 2)) / (2 * Double.pi).squareRoot() / share
        return deviations[..<kept].reduce(0, +) / Double(kept) / expected
    }
}

/// Exact penalized segmentation of a series into segments with their own mean and variance, under AR(1) noise:
/// each segment's cost is −2 × its Gaussian AR(1) log-likelihood (φ fixed from the `NoiseModel`, mean and innovation
/// variance fitted, the variance floored at a tenth of the series' own so that flat stretches of a quantized series
/// are not free), plus `penalty` per change. Points further than `clip` marginal standard deviations from the
/// running median of 9 are pulled to that bound first, so a single outlier is never a change (the running median
/// keeps steps). The optimum is found by PELT (Killick, Fearnhead and Eckley 2012) over every point up to
/// `exactLimit` points; beyond, over the candidates a binary segmentation at half the penalty proposes.
struct Segmentation {
    var noise: NoiseModel
    var penalty: Double
    var minimumSegment: Int
    var clip: Double = 3
    static let exactLimit = 5000
    static let varianceFloor = 0.1

    /// The first indices of each new segment, and the penalized cost of the whole (changes included), comparable
    /// across noise models of the same points.
    func run(_ series: [Double]) -> (changes: [Int], cost: Double) {
        let n = series.count
        guard n >= 2 * minimumSegment, noise.innovation > 0 else { return ([], 0) }
        let cost = SegmentCost(series: winsorized(series), phi: noise.phi, innovation: noise.innovation)
        let candidates: [Int]
        if n <= Self.exactLimit {
            candidates = Array(0...n)
        } else {
            candidates = Array(Set([0, n] + binarySegmentation(cost, n: n, penalty: penalty / 2))).sorted()
        }
        let found = optimalPartition(cost, candidates: candidates)
        return (found.changes, found.cost + Double(n) * log(cost.innovationVariance))
    }

    func winsorized(_ series: [Double]) -> [Double] {
        guard clip > 0, noise.marginal > 0 else { return series }
        let bound = clip * noise.marginal
        let half = 4
        var window: [Double] = []
        return series.indices.map { index in
            window.removeAll(keepingCapacity: true)
            window.append(contentsOf: series[max(0, index - half)...min(series.count - 1, index + half)])
            window.sort()
            let center = Quantile.type7(sorted: window, 0.5) ?? series[index]
            return min(center + bound, max(center - bound, series[index]))
        }
    }

    /// Optimal partitioning over `candidates` (sorted, starting at 0 and ending at n) with PELT's pruning.
    func optimalPartition(_ cost: SegmentCost, candidates: [Int]) -> (changes: [Int], cost: Double) {
        let count = candidates.count
        var best = [Double](repeating: .infinity, count: count)
        var previous = [Int](repeating: 0, count: count)
        best[0] = -penalty
        var alive = [0]
        var next: [Int] = []
        // Each start's total, nil for one too recent to end a segment at `end` (it stays a candidate).
        var totals: [(start: Int, total: Double?)] = []
        for j in 1..<count {
            let end = candidates[j]
            var value = Double.infinity
            var from = 0
            totals.removeAll(keepingCapacity: true)
            for i in alive where best[i].isFinite {
                guard end - candidates[i] >= minimumSegment else { totals.append((i, nil)); continue }
                let total = best[i] + cost.cost(candidates[i], end) + penalty
                totals.append((i, total))
                if total < value { value = total; from = i }
            }
            best[j] = value
            previous[j] = from
            // PELT: a start whose cost so far already exceeds the best by more than a penalty never wins later.
            next.removeAll(keepingCapacity: true)
            for (i, total) in totals where total.map({ $0 - penalty <= value + penalty }) ?? true { next.append(i) }
            next.append(j)
            swap(&alive, &next)
        }
        var changes: [Int] = []
        var j = count - 1
        while j > 0 {
            let i = previous[j]
            if i > 0 { changes.append(candidates[i]) }
            j = i
        }
        return (changes.reversed(), best[count - 1])
    }

    /// Greedy binary segmentation with the same cost: the split that lowers it most, while that exceeds the penalty.
    func binarySegmentation(_ cost: SegmentCost, n: Int, penalty: Double) -> [Int] {
        var found: [Int] = []
        var stack = [(0, n)]
        while let (a, b) = stack.popLast(), found.count < 2000 {
            guard b - a >= 2 * minimumSegment else { continue }
            let whole = cost.cost(a, b)
            var split: (index: Int, gain: Double)?
            for t in (a + minimumSegment)...(b - minimumSegment) {
                let gain = whole - cost.cost(a, t) - cost.cost(t, b)
                if gain > (split?.gain ?? 0) { split = (t, gain) }
            }
            guard let split, split.gain > penalty else { continue }
            found.append(split.index)
            stack.append((a, split.index))
            stack.append((split.index, b))
        }
        return found
    }
}

/// −2 × the Gaussian AR(1) log-likelihood of a segment with its own mean and innovation variance (up to constants),
/// from prefix sums of the whitened series w[t] = y[t] − φ·y[t−1]: O(1) per segment.
struct SegmentCost {
    let series: [Double]
    let phi: Double
    let innovationVariance: Double
    private let sums: [Double]
    private let squares: [Double]

    init(series: [Double], phi: Double, innovation: Double) {
        self.series = series
        self.phi = phi
        innovationVariance = innovation * innovation
        var sums = [0.0, 0.0]
        var squares = [0.0, 0.0]
        sums.reserveCapacity(series.count + 1)
        squares.reserveCapacity(series.count + 1)
        for index in series.indices.dropFirst() {
            let w = series[index] - phi * series[index - 1]
            sums.append(sums[sums.count - 1] + w)
            squares.append(squares[squares.count - 1] + w * w)
        }
        self.sums = sums
        self.squares = squares
    }

    /// The residual sum of squares of points a..<b, the mean fitted: the first point with weight 1 − φ² (the
    /// stationary start), the rest through the whitened series, where the mean appears times 1 − φ.
    func residual(_ a: Int, _ b: Int) -> Double {
        let c = 1 - phi
        let r = 1 - phi * phi
        let m = Double(b - a - 1)
        let first = series[a]
        let quadratic = m * c * c + r
        let linear = c * (sums[b] - sums[a + 1]) + r * first
        let constant = (squares[b] - squares[a + 1]) + r * first * first
        return max(0, constant - linear * linear / quadratic)
    }

    func cost(_ a: Int, _ b: Int) -> Double {
        let length = Double(b - a)
        let variance = max(residual(a, b) / length, Segmentation.varianceFloor * innovationVariance)
        return length * log(variance / innovationVariance) + length
    }
}
