import Foundation

/// Erlang C: the M/M/c queue (Poisson arrivals at rate λ, c servers each serving at rate μ = 1/S).
public struct ErlangC: Sendable, Hashable {
    public var servers: Int
    /// Mean service time S, seconds.
    public var serviceTime: Double

    public init(servers: Int, serviceTime: Double) {
        self.servers = max(1, servers)
        self.serviceTime = serviceTime
    }

    /// Per-server utilization ρ = λS/c.
    public func utilization(arrivalRate: Double) -> Double { arrivalRate * serviceTime / Double(servers) }

    /// Probability an arrival waits, C(c, a) with offered load a = λS; nil at or beyond saturation.
    public func waitProbability(arrivalRate: Double) -> Double? {
        let a = arrivalRate * serviceTime
        let c = Double(servers)
        guard a < c else { return nil }
        // Σ_{k<c} a^k/k! and a^c/c!, computed by running terms to stay finite for large c.
        var term = 1.0
        var sum = 0.0
        for k in 0..<servers {
            if k > 0 { term *= a / Double(k) }
            sum += term
        }
        let last = term * a / c
        let top = last * c / (c - a)
        return top / (sum + top)
    }

    /// Mean time in queue W_q = C(c, a) · S / (c − a).
    public func meanWait(arrivalRate: Double) -> Double? {
        guard let p = waitProbability(arrivalRate: arrivalRate) else { return nil }
        return p * serviceTime / (Double(servers) - arrivalRate * serviceTime)
    }

    /// Mean response time R = S + W_q.
    public func meanResponse(arrivalRate: Double) -> Double? {
        meanWait(arrivalRate: arrivalRate).map { serviceTime + $0 }
    }

    /// The q-quantile of the response time: the waiting time is 0 with probability 1 − C and exponential with
    /// rate cμ − λ otherwise; the service time, exponential with mean S, is added at its mean (a documented
    /// approximation that is exact for the waiting part).
    public func responseQuantile(_ q: Double, arrivalRate: Double) -> Double? {
        guard let p = waitProbability(arrivalRate: arrivalRate) else { return nil }
        let rate = (Double(servers) - arrivalRate * serviceTime) / serviceTime
        let waitQuantile = q <= 1 - p ? 0 : -log((1 - q) / p) / rate
        return serviceTime + waitQuantile
    }
}

/// Gunther's Universal Scalability Law, X(N) = λN / (1 + σ(N − 1) + κN(N − 1)): contention σ, coherency κ,
/// and the concurrency of peak throughput N* = √((1 − σ)/κ).
public struct UniversalScalabilityLaw: Sendable, Hashable {
    public var lambda: Double
    public var sigma: Double
    public var kappa: Double

    public init(lambda: Double, sigma: Double, kappa: Double) {
        self.lambda = lambda
        self.sigma = sigma
        self.kappa = kappa
    }

    public func throughput(concurrency n: Double) -> Double {
        lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
    }

    /// Concurrency of peak throughput; nil when κ is 0 (throughput only flattens).
    public var peakConcurrency: Double? { kappa > 0 ? ((1 - sigma) / kappa).squareRoot() : nil }

    /// Least-squares fit to (concurrency, throughput) pairs, at least six: λ from the lowest load, then σ and κ
    /// from the linearization N·λ/X − 1 = σ(N − 1) + κN(N − 1), solved as 2×2 normal equations with σ, κ ≥ 0.
    public static func fit(_ levels: [(concurrency: Double, throughput: Double)]) -> UniversalScalabilityLaw? {
        let points = levels.filter { $0.concurrency > 0 && $0.throughput > 0 }.sorted { $0.concurrency < $1.concurrency }
        guard points.count >= 6, let first = points.first else { return nil }
        // λ: throughput per unit concurrency at the lightest load (where contention is least).
        let lambda = first.throughput / first.concurrency
        var sxx = 0.0, sxy = 0.0, syy = 0.0, sxz = 0.0, syz = 0.0
        for p in points {
            let x = p.concurrency - 1
            let y = p.concurrency * (p.concurrency - 1)
            let z = p.concurrency * lambda / p.throughput - 1
            sxx += x * x
            sxy += x * y
            syy += y * y
            sxz += x * z
            syz += y * z
        }
        let determinant = sxx * syy - sxy * sxy
        var sigma = 0.0
        var kappa = 0.0
        if abs(determinant) > 1e-12 {
            sigma = (sxz * syy - syz * sxy) / determinant
            kappa = (syz * sxx - sxz * sxy) / determinant
        }
        if sigma < 0 { sigma = 0; kappa = syy > 0 ? max(0, syz / syy) : 0 }
        if kappa < 0 { kappa = 0; sigma = sxx > 0 ? max(0, sxz / sxx) : 0 }
        return UniversalScalabilityLaw(lambda: lambda, sigma: sigma, kappa: kappa)
    }
}
