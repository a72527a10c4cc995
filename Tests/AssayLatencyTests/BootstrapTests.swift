import AssayCore
@testable import AssayLatency
import AssayTestSupport
import Foundation
import Testing

@Suite struct BootstrapTests {
    static func pairedData(n: Int, shift: Double, seed: UInt64) -> ([Double], [Double]) {
        var rng = SplitMix64(seed: seed)
        var before: [Double] = []
        var after: [Double] = []
        for _ in 0..<n {
            let request = 20 + rng.nextGaussian() * 4
            before.append(request + rng.nextGaussian())
            after.append(request + shift + rng.nextGaussian())
        }
        return (before, after)
    }

    @Test func sameSeedSameInterval() throws {
        let (x, y) = Self.pairedData(n: 500, shift: 1, seed: 1)
        let bootstrap = Bootstrap(resamples: 2000, seed: 5)
        let first = try #require(bootstrap.paired(previous: x, current: y, statistic: .quantile(0.95)))
        #expect(bootstrap.paired(previous: x, current: y, statistic: .quantile(0.95)) == first)
        #expect(Bootstrap(resamples: 2000, seed: 6).paired(previous: x, current: y, statistic: .quantile(0.95)) != first)
    }

    @Test func detectsAKnownShiftAndNotANullOne() throws {
        let (x, y) = Self.pairedData(n: 800, shift: 1.5, seed: 2)
        let shifted = try #require(Bootstrap(resamples: 2000).paired(previous: x, current: y, statistic: .mean))
        #expect(shifted.low > 0)
        #expect(abs(shifted.estimate - 1.5) < 0.2)
        let (a, b) = Self.pairedData(n: 800, shift: 0, seed: 3)
        let null = try #require(Bootstrap(resamples: 2000).paired(previous: a, current: b, statistic: .mean))
        #expect(!null.excludesZero)
    }

    /// The CI95 should contain the true shift about 95% of the time.
    @Test func confidenceIntervalCoverageOnSyntheticData() {
        let trials = 120
        var covered = 0
        for trial in 0..<trials {
            let (x, y) = Self.pairedData(n: 80, shift: 0.5, seed: UInt64(1000 + trial))
            let interval = Bootstrap(resamples: 400, seed: UInt64(trial)).paired(previous: x, current: y, statistic: .mean)
            if let interval, interval.low <= 0.5, 0.5 <= interval.high { covered += 1 }
        }
        let coverage = Double(covered) / Double(trials)
        #expect(coverage >= 0.87 && coverage <= 1.0, "coverage \(coverage)")
    }

    @Test func twoSampleWorksForUnmatchedRuns() throws {
        var rng = SplitMix64(seed: 4)
        let x = (0..<300).map { _ in 10 + rng.nextGaussian() }
        let y = (0..<450).map { _ in 12 + rng.nextGaussian() }
        let interval = try #require(Bootstrap(resamples: 1000).twoSample(previous: x, current: y, statistic: .mean))
        #expect(interval.low > 1.7 && interval.high < 2.3)
    }

    /// Agreement with scipy.stats.bootstrap (percentile method, paired) on the same data, within Monte-Carlo error.
    @Test(.enabled(if: ExternalTool.pythonModulesAvailable(["scipy", "numpy"]), "needs scipy and numpy: pip install scipy numpy"))
    func agreesWithSciPy() throws {
        let (x, y) = Self.pairedData(n: 400, shift: 0.8, seed: 11)
        let ours = try #require(Bootstrap(resamples: 10_000).paired(previous: x, current: y, statistic: .quantile(0.95)))
        let directory = try TestFiles.temporaryDirectory("assay-scipy")
        let data = try JSONSerialization.data(withJSONObject: ["x": x, "y": y])
        try data.write(to: URL(fileURLWithPath: directory + "/data.json"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            """
            import json, sys, numpy as np
            from scipy import stats
            d = json.load(open(sys.argv[1])); x = np.array(d["x"]); y = np.array(d["y"])
            r = stats.bootstrap((x, y), lambda a, b, axis=-1: np.percentile(b, 95, axis=axis) - np.percentile(a, 95, axis=axis),
                                paired=True, vectorized=True, n_resamples=10000, method="percentile",
                                confidence_level=0.95, random_state=np.random.default_rng(0))
            print(json.dumps([r.confidence_interval.low, r.confidence_interval.high]))
            """,
            directory + "/data.json",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let scipy = try #require(try JSONSerialization.jsonObject(with: output) as? [Double])
        let width = scipy[1] - scipy[0]
        #expect(abs(ours.low - scipy[0]) < 0.1 * width, "ours \(ours), scipy \(scipy)")
        #expect(abs(ours.high - scipy[1]) < 0.1 * width, "ours \(ours), scipy \(scipy)")
    }
}

@Suite struct BlockBootstrapTests {
    /// Paired differences following an AR(1) process (φ = 0.8): neighbouring requests are correlated.
    static func correlated(n: Int, seed: UInt64) -> ([Double], [Double]) {
        var rng = SplitMix64(seed: seed)
        var noise = 0.0
        var before: [Double] = []
        var after: [Double] = []
        for _ in 0..<n {
            noise = 0.8 * noise + rng.nextGaussian()
            let base = 20 + rng.nextGaussian() * 0.1
            before.append(base)
            after.append(base + 0.3 + noise)
        }
        return (before, after)
    }

    /// Each resample draws from its own seeded stream: the interval is the same on 1, 2 or 3 threads, and the
    /// rank-count quantile equals a sort-based type-7 quantile of the same resample.
    @Test func sameIntervalOnAnyNumberOfThreads() throws {
        let (x, y) = Self.correlated(n: 700, seed: 9)
        for statistic in [Bootstrap.Statistic.mean, .quantile(0.95), .quantile(0.5), .quantile(0.01)] {
            var results: [Bootstrap.Interval?] = []
            for threads in [1, 2, 3] {
                var bootstrap = Bootstrap(resamples: 999, seed: 11)
                bootstrap.threads = threads
                results.append(bootstrap.paired(previous: x, current: y, statistic: statistic))
                results.append(bootstrap.twoSample(previous: x, current: Array(y.prefix(500)), statistic: statistic))
            }
            #expect(results[0] != nil && results[0] == results[2] && results[2] == results[4], "\(statistic)")
            #expect(results[1] != nil && results[1] == results[3] && results[3] == results[5], "\(statistic)")
        }
    }

    @Test func countedOrderStatisticsEqualSortedQuantiles() throws {
        var rng = SplitMix64(seed: 21)
        let values = (0..<257).map { _ in (rng.nextGaussian() * 10).rounded() }  // ties included
        let series = PreparedSeries(values)
        for p in [0.0, 0.01, 0.5, 0.95, 0.99, 1.0] {
            var counts = [Int32](repeating: 0, count: values.count)
            var drawn: [Double] = []
            for _ in 0..<values.count {
                let index = rng.index(below: values.count)
                counts[index] += 1
                drawn.append(values[index])
            }
            let (quantile, mean) = counts.withUnsafeBufferPointer { (series.statistic(.quantile(p), $0), series.statistic(.mean, $0)) }
            #expect(quantile == Quantile.type7(sorted: drawn.sorted(), p), "p=\(p)")
            #expect(abs(mean - drawn.reduce(0, +) / Double(drawn.count)) < 1e-9)
        }
    }

    /// One pass over many series and statistics gives exactly what one call per statistic gives.
    @Test func onePassEqualsOneCallPerStatistic() throws {
        let (x, y) = Self.correlated(n: 400, seed: 5)
        let x2 = x.map { $0 * 2 + 1 }, y2 = y.map { $0 * 2 + 3 }
        let bootstrap = Bootstrap(resamples: 300, seed: 9)
        let statistics: [Bootstrap.Statistic] = [.mean, .quantile(0.95), .quantile(0.99)]
        // Two series (both runs packed in one vector per request) and nine (more than a vector holds).
        let many = (0..<9).map { k in (x.map { $0 + Double(k) }, y.map { $0 * Double(k + 1) }) }
        for (pairs, paired) in [([(x, y), (x2, y2)], true), ([(x, y), (x2, y2)], false), (many, true), (many, false)] {
            let all = bootstrap.compare(previous: pairs.map(\.0), current: pairs.map(\.1), paired: paired, statistics: statistics)
            for (series, (before, after)) in pairs.enumerated() {
                for (k, statistic) in statistics.enumerated() {
                    let one = paired
                        ? bootstrap.paired(previous: before, current: after, statistic: statistic)
                        : bootstrap.twoSample(previous: before, current: after, statistic: statistic)
                    #expect(all[series][k] == one, "series \(series) \(statistic) paired \(paired)")
                }
            }
        }
    }

    @Test func blockLengthOneIsTheIIDBootstrap() throws {
        let (x, y) = Self.correlated(n: 300, seed: 1)
        let iid = Bootstrap(resamples: 500, seed: 3).paired(previous: x, current: y, statistic: .mean)
        let block1 = Bootstrap(resamples: 500, seed: 3, blockLength: 1).paired(previous: x, current: y, statistic: .mean)
        #expect(iid == block1)
    }

    /// For positively correlated data the i.i.d. interval is too narrow; blocks widen it towards the truth.
    @Test func blocksWidenTheIntervalForCorrelatedSeries() throws {
        let (x, y) = Self.correlated(n: 2000, seed: 2)
        let iid = try #require(Bootstrap(resamples: 1000, seed: 4).paired(previous: x, current: y, statistic: .mean))
        let blocks = try #require(Bootstrap(resamples: 1000, seed: 4, blockLength: 25).paired(previous: x, current: y, statistic: .mean))
        let ratio = (blocks.high - blocks.low) / (iid.high - iid.low)
        // Theory: the variance of the mean of an AR(1) with φ = 0.8 is (1 + φ)/(1 − φ) = 9 times the i.i.d. one (3× width).
        #expect(ratio > 2 && ratio < 4, "width ratio \(ratio)")
        #expect(blocks == Bootstrap(resamples: 1000, seed: 4, blockLength: 25).paired(previous: x, current: y, statistic: .mean))
    }
}
