import AssayCore
import AssayTelemetry
import Foundation
import Testing

/// The resource layer against each host's normal, with known truths: routine daily rises are counted but are not
/// alarms, a rise that stays is a level shift with its size, an hour's fall of memory is a drop, and a recording too
/// short for a normal says so.
struct ResourceAnomalyTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let evidence = Evidence(path: "telemetry.jsonl", sha256: String(repeating: "a", count: 64))

    /// Five-minute samples: CPU and memory from `cpu(point, hour)` and `memory(point)` plus Gaussian noise.
    static func points(days: Int, noise: Double, seed: UInt64 = 5, cpu: (Int, Double) -> Double, memory: (Int) -> Double = { _ in 40 }) -> [ResourcePoint] {
        var random = SplitMix64(seed: seed)
        return (0..<(days * 288)).map { point in
            ResourcePoint(
                time: start.addingTimeInterval(Double(point) * 300), intervalSeconds: 300,
                cpuPercent: max(0, cpu(point, Double(point % 288) / 12) + noise * random.nextGaussian()),
                memoryPercent: max(0, memory(point) + noise * random.nextGaussian()))
        }
    }

    static func finding(_ points: [ResourcePoint], _ check: String) throws -> Finding {
        try #require(ResourceAnalyzer(thresholds: Thresholds().resources).findings(points, evidence: evidence).first { $0.check == check })
    }

    @Test func theUsualDailyPeakIsRoutineAndTheSameRiseAtNightIsAnAlarm() throws {
        // 20% at night, 70% from 12:00 to 16:00 every day; on the fifth day also from 02:00 to 03:00.
        let points = Self.points(days: 5, noise: 1.5) { point, hour in
            (12..<16).contains(hour) || (point / 288 == 4 && (2..<3).contains(hour)) ? 70 : 20
        }
        let spikes = try Self.finding(points, "CPU Spike")
        func at(_ day: Int, _ hour: Double) -> Date { Self.start.addingTimeInterval(Double(day) * 86_400 + hour * 3600) }
        let night = spikes.events.filter { abs($0.start.timeIntervalSince(at(4, 2))) <= 600 }
        #expect(night.count == 1 && night.first?.expected == false, "\(spikes.events)")
        // Once the daily profile is known (three days), the midday rises are counted as routine, not alarms.
        let middays = spikes.events.filter { event in [3, 4].contains { abs(event.start.timeIntervalSince(at($0, 12))) <= 600 } }
        #expect(middays.count == 2 && middays.allSatisfy { $0.expected == true }, "\(spikes.events)")
        #expect(spikes.status == .watch && (spikes.measurements["routine"] ?? 0) >= 2, "\(spikes.observed)")
        #expect(spikes.observed.contains("within this host's usual pattern (not alarms)"), "\(spikes.observed)")
    }

    @Test func aRiseThatStaysIsALevelShiftWithItsSize() throws {
        // 30% for two days, then 75% for two more: a level shift of +45 points, not a spike that lasts two days.
        let points = Self.points(days: 4, noise: 2) { point, _ in point >= 576 ? 75 : 30 }
        let anomalies = try Self.finding(points, "Resource Anomalies")
        let shift = try #require(anomalies.events.first, "\(anomalies.observed)")
        #expect(anomalies.events.count == 1 && shift.kind == "level_shift" && shift.detail == "CPU" && shift.expected == false)
        #expect(abs((shift.rise ?? 0) - 45) < 1.5 && abs(shift.start.timeIntervalSince(Self.start.addingTimeInterval(576 * 300 - 300))) <= 300)
        #expect(anomalies.status == .watch && anomalies.observed.hasPrefix("CPU: 1 level shift; largest a level shift of +45 points to 75% at "), "\(anomalies.observed)")
        // The CPU Spike row does not count it again.
        #expect(try Self.finding(points, "CPU Spike").events.filter { $0.expected != true }.isEmpty)
    }

    @Test func memoryFallingForAnHourIsADrop() throws {
        let points = Self.points(days: 2, noise: 1, cpu: { _, _ in 30 }, memory: { (400..<412).contains($0) ? 5 : 60 })
        let anomalies = try Self.finding(points, "Resource Anomalies")
        #expect(anomalies.events.map(\.kind) == ["drop"] && anomalies.events.first?.detail == "memory", "\(anomalies.events)")
        #expect(anomalies.observed.hasPrefix("memory: 1 drop; largest a drop of -5"), "\(anomalies.observed)")
        #expect(anomalies.measurements["drops"] == 1)
    }

    @Test func aQuietHostHasNoneAndAShortRecordingSaysItIsNotJudged() throws {
        let quiet = try Self.finding(Self.points(days: 2, noise: 1) { _, _ in 30 }, "Resource Anomalies")
        #expect(quiet.status == .pass && quiet.observed == "none (judged: CPU, memory)", "\(quiet.observed)")
        let short = try Self.finding(Array(Self.points(days: 1, noise: 1) { _, _ in 30 }.prefix(120)), "Resource Anomalies")
        #expect(short.status == .notJudged && short.observed == "not judged: 120 samples; a host's normal needs more than 318", "\(short.observed)")
    }

    @Test func aHostHotEveryAfternoonIsRoutineAndHotAtNightIsNot() throws {
        // 20% with a 90% afternoon (13:00–17:00) every day for six days; on the sixth also 90% from 02:00 to 04:00.
        let points = Self.points(days: 6, noise: 1) { point, hour in
            (13..<17).contains(hour) || (point / 288 == 5 && (2..<4).contains(hour)) ? 90 : 20
        }
        let sustained = try Self.finding(points, "Sustained Load")
        func on(_ day: Int, _ hour: Double) -> [FindingEvent] {
            sustained.events.filter { abs($0.start.timeIntervalSince(Self.start.addingTimeInterval(Double(day) * 86_400 + hour * 3600))) <= 600 }
        }
        // One episode per afternoon (noise around the limit does not split it); before the daily profile is scored
        // (day 4 on) each is an alarm by the rule, after it each is routine.
        #expect(sustained.events.count == 7, "\(sustained.events.map(\.start))")
        #expect(on(0, 13).first?.expected == false && on(5, 13).first?.expected == true, "\(sustained.events)")
        #expect(on(5, 2).count == 1 && on(5, 2).first?.expected == false, "\(sustained.events)")
        let breach = try Self.finding(points, "CPU Utilization (%)")
        #expect(breach.events.filter { $0.expected == false }.count < breach.events.count, "\(breach.events)")
    }
}
