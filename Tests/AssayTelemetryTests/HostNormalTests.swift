import AssayCore
import AssayTelemetry
import Foundation
import Testing

/// Each host's own normal, with known truths: a quiet host's small jump is an anomaly, a busy host's usual daily
/// peak is routine, the same rise at night is not, a fall to near zero is a drop, and a flat series has nothing.
struct HostNormalTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Five-minute samples over `days` days: `value(point, hour of day)` plus Gaussian noise of `noise`.
    static func series(days: Int, noise: Double, seed: UInt64 = 7, _ value: (Int, Double) -> Double) -> (times: [Date], values: [Double]) {
        var random = SplitMix64(seed: seed)
        let count = days * 288
        let times = (0..<count).map { start.addingTimeInterval(Double($0) * 300) }
        let values = (0..<count).map { max(0, value($0, Double($0 % 288) / 12) + noise * random.nextGaussian()) }
        return (times, values)
    }

    @Test func aQuietHostsSmallJumpIsAnAnomaly() {
        // Idling at 1% ± 0.3; at point 500 it runs at 12% for half an hour: under the seed's 20-point rule, far out
        // of this host's band.
        let (times, values) = Self.series(days: 2, noise: 0.3) { point, _ in (500..<506).contains(point) ? 12 : 1 }
        let found = HostNormal().excursions(values, times: times)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.kind == .spike && (500...501).contains(found.first?.start ?? 0) && found.first?.expected == false, "\(found)")
        #expect(found.first.map { $0.peak > 11 && $0.level < 2 && $0.reference == .recent } == true)
    }

    @Test func theUsualDailyPeakIsRoutineAndTheSameRiseAtNightIsNot() {
        // 20% at night, 70% from 12:00 to 16:00 every day; on the fifth day also from 02:00 to 03:00.
        let (times, values) = Self.series(days: 5, noise: 1.5) { point, hour in
            (12..<16).contains(hour) || (point / 288 == 4 && (2..<3).contains(hour)) ? 70 : 20
        }
        let found = HostNormal().excursions(values, times: times)
        // From the fourth day on the daily profile is known: the midday rises are routine, the night one is an alarm.
        let late = found.filter { $0.start >= 3 * 288 }
        let alarms = late.filter { !$0.expected }
        #expect(alarms.count == 1 && alarms.first.map { (4 * 288 + 24...4 * 288 + 26).contains($0.start) && $0.kind == .spike } == true, "\(late)")
        // The rises at 12:00 on the fourth and fifth days are no alarms (the resource layer counts them as routine).
        #expect(late.allSatisfy { !$0.expected || $0.kind == .spike })
    }

    @Test func aFallToNearZeroForAnHourIsADrop() {
        // Serving at 60% ± 3; at point 400 the traffic is gone for an hour: 1%.
        let (times, values) = Self.series(days: 2, noise: 3) { point, _ in (400..<412).contains(point) ? 1 : 60 }
        let found = HostNormal().excursions(values, times: times)
        #expect(found.count == 1 && found.first?.kind == .drop && (400...401).contains(found.first?.start ?? 0) && found.first?.expected == false, "\(found)")
        #expect(found.first.map { $0.peak < 5 && $0.level > 55 } == true)
    }

    @Test func aRiseThatStaysIsALevelShiftWithItsSize() {
        // 30% ± 2 for two days, then 75% ± 2 for two more: one level shift of +45 points, never a spike lasting days.
        let (times, values) = Self.series(days: 4, noise: 2) { point, _ in point >= 600 ? 75 : 30 }
        let alarms = HostNormal().excursions(values, times: times).filter { !$0.expected }
        #expect(alarms.count == 1 && alarms.first?.kind == .levelShift && (600...601).contains(alarms.first?.start ?? 0), "\(alarms)")
        #expect(alarms.first.map { abs(($0.size ?? 0) - 45) < 1 && abs($0.level - 30) < 1 && abs($0.peak - 75) < 1 } == true, "\(alarms)")
        // A fall that stays is one too.
        let fall = Self.series(days: 4, noise: 2) { point, _ in point >= 600 ? 5 : 60 }
        let down = HostNormal().excursions(fall.values, times: fall.times).filter { !$0.expected }
        #expect(down.count == 1 && down.first?.kind == .levelShift && (down.first?.size ?? 0) < -50, "\(down)")
    }

    @Test func aFlatOrNoisyHostHasNoExcursions() {
        let flat = Self.series(days: 2, noise: 0) { _, _ in 42 }
        #expect(HostNormal().excursions(flat.values, times: flat.times).isEmpty)
        for seed in [11, 12, 13] as [UInt64] {
            let noisy = Self.series(days: 8, noise: 2, seed: seed) { _, _ in 40 }
            let alarms = HostNormal().excursions(noisy.values, times: noisy.times).filter { !$0.expected }
            #expect(alarms.isEmpty, "seed \(seed): \(alarms)")
        }
    }

    @Test func nothingIsJudgedBeforeItsHistory() {
        let (times, values) = Self.series(days: 2, noise: 0.5) { point, _ in point == 10 ? 90 : 10 }
        let scores = HostNormal().scores(values, times: times)
        #expect(scores.historyPoints == 288)
        // 12 points for the recent level, 18 for the average, then 288 averages: nothing before point 317.
        #expect(scores.scores[.recent]?.prefix(317).allSatisfy { $0 == nil } == true)
        #expect(scores.scores[.recent]?[317] != nil)
        #expect(HostNormal().excursions(values, times: times).isEmpty)
        // Hourly samples: a day holds 24, so 24 points of history are enough.
        let hourly = (0..<100).map { Self.start.addingTimeInterval(Double($0) * 3600) }
        #expect(HostNormal().scores(Array(repeating: 1, count: 100), times: hourly).historyPoints == 24)
    }
}
