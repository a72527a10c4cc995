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
        #expect(found.first?.kind == .spike && found.first?.start == 500 && found.first?.expected == false, "\(found)")
        #expect(found.first.map { $0.peak > 11 && $0.level < 2 } == true)
    }

    @Test func theUsualDailyPeakIsRoutineAndTheSameRiseAtNightIsNot() {
        // 20% at night, 70% from 12:00 to 16:00 every day; on the fifth day also from 02:00 to 03:00.
        let (times, values) = Self.series(days: 5, noise: 1.5) { point, hour in
            (12..<16).contains(hour) || (point / 288 == 4 && (2..<3).contains(hour)) ? 70 : 20
        }
        let found = HostNormal().excursions(values, times: times)
        // From the fourth day on the daily profile is known: the midday rises are expected; the night one is not.
        let late = found.filter { $0.start >= 3 * 288 }
        let night = late.filter { $0.start == 4 * 288 + 24 }
        #expect(night.count == 1 && night.first?.expected == false && night.first?.kind == .spike, "\(late)")
        // (at 12:00, or a point later where the edge of the profile widens the band)
        let midday = late.filter { (12...12.1).contains(times[$0.start].timeIntervalSince(Self.start).truncatingRemainder(dividingBy: 86_400) / 3600) }
        // The fourth day's midday rise is routine. (On the fifth, the night's 50-point rise is over 1% of the 1.5 days
        // measured since the profile was known, so 50 points are inside the band: no excursion at all.)
        #expect(midday.count >= 1 && midday.allSatisfy(\.expected) && midday.first?.start == 3 * 288 + 144, "\(late)")
        // The falls back to 20% at 16:00 are routine too, and the fall after the night rise is a return, not a drop.
        #expect(late.filter { !$0.expected }.count == 1, "\(late.filter { !$0.expected })")
    }

    @Test func aFallToNearZeroIsADrop() {
        // Serving at 60% ± 3, then at point 400 the traffic is gone: 1%.
        let (times, values) = Self.series(days: 2, noise: 3) { point, _ in point >= 400 ? 1 : 60 }
        let found = HostNormal().excursions(values, times: times)
        #expect(found.first?.kind == .drop && found.first?.start == 400 && found.first?.expected == false, "\(found)")
        #expect(found.first.map { $0.peak < 5 && $0.level > 55 } == true)
    }

    @Test func aFlatOrNoisyHostHasNoExcursions() {
        let flat = Self.series(days: 2, noise: 0) { _, _ in 42 }
        #expect(HostNormal().excursions(flat.values, times: flat.times).isEmpty)
        let noisy = Self.series(days: 3, noise: 2, seed: 11) { _, _ in 40 }
        #expect(HostNormal().excursions(noisy.values, times: noisy.times).isEmpty)
    }

    @Test func nothingIsJudgedBeforeItsHistory() {
        let (times, values) = Self.series(days: 1, noise: 0.5) { point, _ in point == 10 ? 90 : 10 }
        let expectations = HostNormal().expectations(values, times: times)
        #expect(expectations.prefix(24).allSatisfy { $0 == nil })
        #expect(HostNormal().excursions(values, times: times).allSatisfy { $0.start > 24 })
    }
}
