import AssayCore
import AssayLatency
import Foundation
import Testing

@Suite struct StatisticsTests {
    @Test func type7MatchesNumPyDefinition() {
        // Values printed by numpy 2.4 `numpy.percentile(x, q)` (default linear method, Hyndman–Fan type 7).
        #expect(Quantile.type7(sorted: [1, 2, 3, 4], 0.95) == 3.8499999999999996)
        #expect(Quantile.type7(sorted: [15, 20, 35, 40, 50], 0.4) == 29)
        #expect(Quantile.type7(sorted: [7], 0.99) == 7)
        #expect(Quantile.type7(sorted: [], 0.5) == nil)
        #expect(Quantile.type7(sorted: [1, 2, 3, 4, 5], 1.0) == 5)
        #expect(Quantile.type7(sorted: [1, 2, 3, 4, 5], 0.0) == 1)
    }

    @Test(arguments: [0.0, 0.05, 0.5, 0.95, 0.99, 1.0])
    func selectionAgreesWithSorting(_ p: Double) {
        var rng = SplitMix64(seed: 7)
        for n in [1, 2, 3, 10, 101, 1000] {
            let values = (0..<n).map { _ in (rng.nextGaussian() * 10).rounded() }
            var scratch = values
            let selected = scratch.withUnsafeMutableBufferPointer { Quantile.select($0, p) }
            #expect(selected == Quantile.type7(sorted: values.sorted(), p), "n=\(n) p=\(p)")
        }
    }

    @Test func statisticsOfKnownData() throws {
        let stats = try #require(LatencyStatistics([2, 4, 4, 4, 5, 5, 7, 9], minimumSamples: .init(p95: 5, p99: 100)))
        #expect(stats.mean == 5)
        #expect(abs((stats.variance ?? 0) - 32.0 / 7.0) < 1e-12)
        #expect(stats.p50 == 4.5)
        #expect(stats.p95 != nil)
        #expect(stats.p99 == nil)
    }

    @Test func tooFewSamplesGiveNoPercentile() throws {
        let stats = try #require(LatencyStatistics(Array(repeating: 1.0, count: 399)))
        #expect(stats.p95 == nil && stats.p99 == nil)
        let enough = try #require(LatencyStatistics(Array(repeating: 1.0, count: 2000)))
        #expect(enough.p95 == 1 && enough.p99 == 1)
    }

    @Test func indexSamplingIsUniformAndSeeded() {
        var a = SplitMix64(seed: 99)
        var b = SplitMix64(seed: 99)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 {
            let i = a.index(below: 7)
            #expect(i == b.index(below: 7))
            counts[i] += 1
        }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
    }
}
