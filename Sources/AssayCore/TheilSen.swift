/// Theil–Sen regression: the median of pairwise slopes, with Sen's CI95.
public enum TheilSen {
    /// Slope, CI95 low and high of (x, y), from every pair of up to 300 points (a fixed stride beyond).
    public static func interval(_ points: [(Double, Double)]) -> (Double, Double, Double) {
        let stride = max(1, points.count / 300)
        let sample = Swift.stride(from: 0, to: points.count, by: stride).map { points[$0] }
        var slopes: [Double] = []
        slopes.reserveCapacity(sample.count * sample.count / 2)
        for i in sample.indices {
            for j in (i + 1)..<sample.count where sample[j].0 != sample[i].0 {
                slopes.append((sample[j].1 - sample[i].1) / (sample[j].0 - sample[i].0))
            }
        }
        guard !slopes.isEmpty else { return (0, 0, 0) }
        slopes.sort()
        let count = slopes.count
        let median = count % 2 == 1 ? slopes[count / 2] : (slopes[count / 2 - 1] + slopes[count / 2]) / 2
        let n = Double(sample.count)
        let c = 1.959964 * (n * (n - 1) * (2 * n + 5) / 18).squareRoot()
        let lower = max(0, min(count - 1, Int(((Double(count) - c) / 2).rounded(.down))))
        let upper = max(0, min(count - 1, Int(((Double(count) + c) / 2).rounded(.up))))
        return (median, slopes[lower], slopes[upper])
    }

    /// The intercept that makes the median residual 0.
    public static func intercept(_ points: [(Double, Double)], slope: Double) -> Double {
        let residuals = points.map { $0.1 - slope * $0.0 }.sorted()
        guard !residuals.isEmpty else { return 0 }
        let middle = residuals.count / 2
        return residuals.count % 2 == 1 ? residuals[middle] : (residuals[middle - 1] + residuals[middle]) / 2
    }
}
