import AssayBaseline
import AssayCore
import Foundation
import Testing

/// Known truths for the level-shift detector, on the series that fooled the previous one.
@Suite struct LevelShiftTests {
    /// Standard normal noise from a seeded generator (Box–Muller).
    struct Noise {
        var generator: SplitMix64

        init(seed: UInt64) { generator = SplitMix64(seed: seed) }

        mutating func next() -> Double {
            let u = max(1e-12, Double(generator.next() % 1_000_000) / 1_000_000)
            let v = Double(generator.next() % 1_000_000) / 1_000_000
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
    }

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Seven days of per-minute P95 with a daily cycle (±6 ms) and one +7 ms step on day 5.
    static func seasonalMinutes(seed: UInt64) -> [(Date, Double)] {
        var noise = Noise(seed: seed)
        return (0..<(7 * 1440)).map { minute in
            let daily = 6 * sin(2 * Double.pi * Double(minute % 1440) / 1440)
            return (start.addingTimeInterval(Double(minute) * 60), 40 + daily + (minute >= 4 * 1440 + 600 ? 7 : 0) + 1.5 * noise.next())
        }
    }

    /// On hourly means the step is found within ±2 hours, with at most one other change; the daily season is removed.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func theSeasonalStepIsFoundOnHourlyMeans(seed: UInt64) {
        let minutes = Self.seasonalMinutes(seed: seed)
        let hourly = stride(from: 0, to: minutes.count, by: 60).map { start in
            (minutes[start].0, minutes[start..<(start + 60)].map(\.1).reduce(0, +) / 60)
        }
        let result = LevelShiftDetector().analyze(hourly.map(\.1), times: hourly.map(\.0))
        #expect(result.season?.name == "daily")
        let step = (4 * 1440 + 600) / 60
        #expect(result.shifts.contains { abs($0.index - step) <= 2 && abs($0.magnitude - 7) < 2 }, "\(result.shifts.map(\.index))")
        #expect(result.shifts.count <= 2, "\(result.shifts.map(\.index))")
        #expect(result.trend == nil)
    }

    /// Per minute too: one change, at the step, not 52 at the daily cycle.
    @Test func theSeasonalStepIsFoundPerMinute() {
        let minutes = Self.seasonalMinutes(seed: 9)
        let result = LevelShiftDetector().analyze(minutes.map(\.1), times: minutes.map(\.0))
        #expect(result.season?.name == "daily")
        #expect(result.shifts.count <= 2, "\(result.shifts.map(\.index))")
        #expect(result.shifts.contains { abs($0.index - (4 * 1440 + 600)) <= 30 })
    }

    /// A steady trend is a trend: no level change, the slope reported with a CI that holds it.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func aPureTrendIsATrend(seed: UInt64) throws {
        var noise = Noise(seed: seed)
        let series = (0..<816).map { 100 + 0.5 * Double($0) + 3 * noise.next() }
        let result = LevelShiftDetector().analyze(series)
        #expect(result.shifts.isEmpty, "\(result.shifts.map(\.index))")
        let trend = try #require(result.trend)
        #expect(trend.low <= 0.5 && 0.5 <= trend.high && abs(trend.slopePerPoint - 0.5) < 0.01)
    }

    /// Noise alone has no change and no trend; one clean step is one change at its index.
    @Test func noiseHasNothingAndAStepIsOneChange() {
        var noise = Noise(seed: 21)
        let flat = (0..<500).map { _ in 10 + noise.next() }
        let quiet = LevelShiftDetector().analyze(flat)
        #expect(quiet.shifts.isEmpty && quiet.trend == nil)
        let step = (0..<300).map { 10 + ($0 >= 180 ? 3 : 0) + noise.next() }
        let found = LevelShiftDetector().analyze(step)
        #expect(found.shifts.map(\.index).count == 1)
        #expect(abs((found.shifts.first?.index ?? 0) - 180) <= 3)
        #expect((found.shifts.first?.pValue ?? 1) < 1e-6)
    }

    /// The baseline layer's history: a level shift after a few audits re-bases the baseline.
    @Test func changePointsKeepTheirPValueFilter() {
        let series = [20.0, 20.2, 19.9, 20.1, 20.0, 20.1, 30.2, 30.0, 29.9, 30.1, 30.0, 30.2]
        let points = LevelShiftDetector(minimumSegment: 4).changePoints(series, maxPValue: 0.001)
        #expect(points.map(\.index) == [6])
        #expect(points.first.map { abs($0.meanAfter - 30.07) < 0.05 } == true)
    }

    static func autocorrelatedTwoSteps(seed: UInt64) -> [Double] {
        var noise = Noise(seed: seed)
        var ar = 0.0
        return (0..<500).map { t -> Double in
            ar = 0.7 * ar + noise.next()
            return (t >= 150 ? 3.0 : 0) - (t >= 350 ? 3.0 : 0) + ar
        }
    }

    /// AR(1) noise (φ = 0.7) with a +3 step at 150 and a −3 step at 350: the autocorrelation is measured, and the
    /// wiggles it makes are not steps (the previous detector reported 9.4 change points per series).
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func autocorrelatedNoiseWithTwoSteps(seed: UInt64) {
        let result = LevelShiftDetector().analyze(Self.autocorrelatedTwoSteps(seed: seed))
        #expect(abs(result.model.phi - 0.7) < 0.2, "\(result.model)")
        #expect(result.shifts.count <= 3, "\(result.shifts.map(\.index))")
        // Nothing reported is far from a true step.
        #expect(result.shifts.allSatisfy { abs($0.index - 150) <= 10 || abs($0.index - 350) <= 10 }, "\(result.shifts.map(\.index))")
    }

    /// The steps are 2.1σ of that noise: with the penalty set on TCPD (6 · log n), one of them at least is found in 4 of
    /// these 5 series (seed 1 finds neither), and at least 6 of the 10 steps in all.
    @Test func autocorrelatedStepsAreFoundInMostSeries() {
        let found = (1...5).map { seed in
            LevelShiftDetector().analyze(Self.autocorrelatedTwoSteps(seed: UInt64(seed))).shifts.map(\.index)
        }
        #expect(found.filter { $0.contains { abs($0 - 150) <= 10 || abs($0 - 350) <= 10 } }.count >= 4, "\(found)")
        let steps = found.map { indices in [150, 350].filter { step in indices.contains { abs($0 - step) <= 10 } }.count }
        #expect(steps.reduce(0, +) >= 6, "\(found)")
    }

    /// A random walk with nothing happening has no change point; it is reported as drifting (it was 28.4 change
    /// points per series).
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func aRandomWalkIsDriftNotAStaircase(seed: UInt64) throws {
        var noise = Noise(seed: seed)
        var level = 0.0
        let series = (0..<500).map { _ -> Double in level += noise.next(); return level }
        let result = LevelShiftDetector().analyze(series)
        #expect(result.shifts.isEmpty, "\(result.shifts.map(\.index))")
        let drift = try #require(result.drift)
        #expect(abs(drift.stddevPerPoint - 1) < 0.2)
    }

    /// A +4 step at 250 on a slope of 0.05 per point: found, and the slope with it (the step used to be absorbed).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func aStepOnATrendIsFound(seed: UInt64) throws {
        var noise = Noise(seed: seed)
        let series = (0..<500).map { 0.05 * Double($0) + ($0 >= 250 ? 4 : 0) + noise.next() }
        let result = LevelShiftDetector().analyze(series)
        #expect(result.shifts.contains { abs($0.index - 250) <= 5 && abs($0.magnitude - 4) < 1.5 }, "\(result.shifts.map(\.index))")
        // The benchmark's 20 seeds average 1.6 change points for this family (the truth is 1).
        #expect(result.shifts.count <= 3, "\(result.shifts.map(\.index))")
        let trend = try #require(result.trend)
        #expect(abs(trend.slopePerPoint - 0.05) < 0.01)
    }

    /// Heavy-tailed noise (Student's t, 3 degrees of freedom): single outliers are never change points; a +3 step is.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func outliersAreNotChanges(seed: UInt64) {
        var noise = Noise(seed: seed)
        func t3() -> Double {
            let z = noise.next(), a = noise.next(), b = noise.next(), c = noise.next()
            return z / ((a * a + b * b + c * c) / 3).squareRoot()
        }
        let quiet = (0..<500).map { _ in 10 + t3() }
        #expect(LevelShiftDetector().analyze(quiet).shifts.isEmpty)
        let step = (0..<500).map { 10 + ($0 >= 250 ? 3 : 0) + t3() }
        let found = LevelShiftDetector().analyze(step).shifts
        #expect(found.count == 1 && abs((found.first?.index ?? 0) - 250) <= 5, "\(found.map(\.index))")
    }

    /// A quantized series (two decimals, most differences 0) that only changes its spread: the noise is not taken
    /// for 0, and the change is one of variance.
    @Test func aChangeOfSpreadIsAVarianceChange() throws {
        var noise = Noise(seed: 8)
        let series = (0..<400).map { t in ((5 + (t >= 200 ? 0.4 : 0.05) * noise.next()) * 100).rounded() / 100 }
        let result = LevelShiftDetector().analyze(series)
        #expect(result.noise > 0)
        let change = try #require(result.shifts.first, "\(result.shifts.map(\.index))")
        #expect(result.shifts.count == 1 && abs(change.index - 200) <= 5 && change.kind == .variance, "\(result.shifts)")
        #expect(change.stddevAfter > 4 * change.stddevBefore && change.confidence > 0.999)
    }
}

