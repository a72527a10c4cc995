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
}
