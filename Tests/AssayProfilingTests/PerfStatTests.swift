import AssayCore
import AssayProfiling
import Foundation
import Testing

@Suite struct PerfStatTests {
    static func read(_ name: String) throws -> PerfStat {
        let path = try TraceTests.fixture(name)
        return try PerfStat(text: try String(contentsOfFile: path, encoding: .utf8), path: name)
    }

    /// A VM without hardware counters: software counters read, hardware ones "not measured", never zero.
    @Test func notSupportedCountersAreNotMeasured() throws {
        let human = try Self.read("perf-stat-default.txt")
        #expect(human.counters["task-clock"] == 78.34)
        #expect(human.counters["page-faults"] == 9389)
        #expect(human.counters["cycles"] == .some(nil))
        #expect(human.cacheMissPercent == nil && human.instructionsPerCycle == nil)
        #expect(human.elapsedSeconds == 0.084604397)
        let csv = try Self.read("perf-stat-csv.txt")
        #expect(csv.counters["task-clock"] == 77.74 && csv.counters["context-switches"] == 91)
        #expect(csv.counters["cache-misses"] == .some(nil))
        #expect(csv.cacheMissPercent == nil)
        let finding = PerfStat.cacheFinding(csv, evidence: Evidence(path: "perf.txt", sha256: String(repeating: "0", count: 64)))
        #expect(finding.observed == "not measured")
    }

    /// Counted runs give the same miss rate and IPC perf printed in its comments.
    @Test func countedCacheMissesMatchPerfsOwnRatio() throws {
        let counted = try Self.read("perf-stat-counted.txt")
        #expect(abs((counted.cacheMissPercent ?? 0) - 0.972) < 0.001)
        #expect(abs((counted.instructionsPerCycle ?? 0) - 1.16) < 0.005)
        let grouped = try Self.read("perf-stat-grouped.txt")
        #expect(grouped.counters["cache-references"] == 147_927)
        #expect(abs((grouped.cacheMissPercent ?? 0) - 8.933) < 0.001)
        #expect(abs((grouped.instructionsPerCycle ?? 0) - 1.43) < 0.005)
        let finding = PerfStat.cacheFinding(grouped, evidence: Evidence(path: "perf.txt", sha256: String(repeating: "0", count: 64)))
        #expect(finding.measurements["cache_miss_percent"] != nil)
    }

    @Test func textWithoutCountersIsAnError() {
        #expect(throws: TraceError.self) { try PerfStat(text: "hello\nworld\n", path: "notes.txt") }
    }
}
