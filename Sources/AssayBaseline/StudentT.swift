import Foundation

/// Student's t distribution: tail probabilities through the regularized incomplete beta function
/// (continued fraction, as in Numerical Recipes), quantiles by bisection on the CDF.
public enum StudentT {
    /// P(T > t) for `df` degrees of freedom.
    public static func survival(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard t.isFinite else { return t > 0 ? 0 : 1 }
        let x = df / (df + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(x, a: df / 2, b: 0.5)
        return t > 0 ? tail : 1 - tail
    }

    /// Two-sided p-value of a t statistic.
    public static func twoSidedP(_ t: Double, degreesOfFreedom df: Double) -> Double {
        min(1, 2 * survival(abs(t), degreesOfFreedom: df))
    }

    /// The value with P(T ≤ t) = p.
    public static func quantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        precondition(p > 0 && p < 1, "p must be in (0, 1)")
        var low = -1e6
        var high = 1e6
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if 1 - survival(mid, degreesOfFreedom: df) < p { low = mid } else { high = mid }
            if high - low < 1e-12 * max(1, abs(mid)) { break }
        }
        return (low + high) / 2
    }

    /// I_x(a, b).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logBeta + logPowers)
        if x < (a + 1) / (a + b + 2) { return front * continuedFraction(x, a: a, b: b) / a }
        return 1 - front * continuedFraction(1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d
            if abs(d) < tiny { d = tiny }
            c = 1 + even / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d
            if abs(d) < tiny { d = tiny }
            c = 1 + odd / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
