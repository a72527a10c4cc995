import AssayBaseline
import AssayCore
import Foundation
import Testing

@Suite struct RegressionWatchTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func window(p95: Double, mean: Double = 10, throughput: Double = 100) -> WindowStats {
        WindowStats(count: 500, mean: mean, p95: p95, throughput: throughput)
    }

    /// Evaluations every 15 s, a breach from t = 30 s: pending at once, firing at the first evaluation 180 s
    /// later (not at 165 s), still firing while it lasts, resolved at the first good window.
    @Test func escalatesAfterTheSustainWindowNotBefore() {
        var watch = RegressionWatch(thresholds: Thresholds(), baseline: WatchBaseline(p95: 20, mean: nil, throughput: nil))
        var timeline: [(Double, AlertEvent.Kind)] = []
        for step in 0...30 {
            let seconds = Double(step) * 15
            let breached = seconds >= 30 && seconds < 300
            for event in watch.evaluate(Self.window(p95: breached ? 26 : 21), at: Self.t0.addingTimeInterval(seconds)) {
                timeline.append((seconds, event.kind))
            }
        }
        #expect(timeline.first { $0.1 == .pending }?.0 == 30)
        #expect(timeline.first { $0.1 == .firing }?.0 == 210)
        #expect(timeline.filter { $0.1 == .firing }.count == 1)
        #expect(timeline.filter { $0.1 == .stillFiring }.map(\.0) == [225, 240, 255, 270, 285])
        #expect(timeline.first { $0.1 == .resolved }?.0 == 300)
        #expect(watch.states["p95_over_baseline"]?.phase == .inactive)
    }

    /// A breach shorter than the sustain window never fires; it clears.
    @Test func shortBreachOnlyPends() {
        var watch = RegressionWatch(thresholds: Thresholds(), baseline: WatchBaseline(p95: 20, mean: nil, throughput: nil))
        var kinds: [AlertEvent.Kind] = []
        for step in 0..<20 {
            kinds += watch.evaluate(Self.window(p95: step < 5 ? 30 : 21), at: Self.t0.addingTimeInterval(Double(step) * 15)).map(\.kind)
        }
        #expect(kinds == [.pending, .cleared])
    }

    /// Mean and throughput rules; the state survives a restart through Codable.
    @Test func meanAndThroughputRulesAndRestart() throws {
        var thresholds = Thresholds()
        thresholds.regression.escalateAfterSeconds = 0
        var watch = RegressionWatch(thresholds: thresholds, baseline: WatchBaseline(p95: nil, mean: 10, throughput: 100))
        let events = watch.evaluate(Self.window(p95: 1, mean: 11.5, throughput: 70), at: Self.t0)
        #expect(Set(events.filter { $0.kind == .firing }.map(\.rule)) == ["mean_increase", "throughput_drop"])
        let saved = try JSONEncoder().encode(watch.states)
        var restarted = RegressionWatch(
            thresholds: thresholds, baseline: watch.baseline, states: try JSONDecoder().decode([String: AlertState].self, from: saved))
        #expect(restarted.evaluate(Self.window(p95: 1, mean: 10.2, throughput: 95), at: Self.t0.addingTimeInterval(15)).map(\.kind) == [.resolved, .resolved])
    }

    @Test func windowStatistics() {
        let stats = WindowStats(totals: (1...100).map(Double.init), seconds: 10)
        #expect(stats.p95 == 95.05 && stats.mean == 50.5 && stats.throughput == 10)
        #expect(WindowStats(totals: [1, 2, 3], seconds: 1).p95 == nil)
    }
}
