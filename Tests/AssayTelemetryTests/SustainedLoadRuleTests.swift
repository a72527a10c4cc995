import AssayTelemetry
import Foundation
import Testing

@Suite struct SustainedLoadRuleTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Pending at once, firing after `for`, held through a dip that stays above the clear threshold, cleared
    /// below it; a short burst never fires.
    @Test func forDurationHysteresisAndClear() {
        var rule = SustainedLoadRule(threshold: 85, clearThreshold: 70, forSeconds: 10)
        var changes: [(Int, SustainedLoadRule.State)] = []
        let series: [Double] = [50, 90, 95, 92, 60, 50, 90, 91, 93, 95, 96, 97, 80, 75, 72, 65, 60]
        for (second, value) in series.enumerated() {
            // Readings every 2 s.
            if let state = rule.observe(value, at: Self.t0.addingTimeInterval(Double(second) * 2)) { changes.append((second * 2, state)) }
        }
        #expect(changes.map(\.1) == [.pending, .inactive, .pending, .firing, .inactive])
        #expect(changes.map(\.0) == [2, 8, 12, 22, 30])
    }

    @Test func keepFiringHoldsTheAlertAfterTheLoadDrops() {
        var rule = SustainedLoadRule(threshold: 85, clearThreshold: 70, forSeconds: 0, keepFiringSeconds: 5)
        #expect(rule.observe(90, at: Self.t0) == .firing)
        #expect(rule.observe(50, at: Self.t0.addingTimeInterval(2)) == nil)
        #expect(rule.observe(50, at: Self.t0.addingTimeInterval(6)) == .inactive)
    }
}
