import AssayLatency
import Foundation
import Synchronization

/// Operators of two traces ranked by how much their time changed, with statistics rather than totals only:
/// per-occurrence mean and P95 of each operator's duration, Δmean with a seeded two-sample bootstrap CI95,
/// and the change in self time per step (per stage instance when stages are given, else per trace).
public struct TraceDiff: Sendable {
    public struct Row: Sendable, Hashable {
        public var name: String
        public var component: String
        public var before: LatencyStatistics?
        public var after: LatencyStatistics?
        /// Self time per step, microseconds.
        public var beforeSelfPerStep: Double
        public var afterSelfPerStep: Double
        /// Δ of the mean duration per occurrence (after − before), microseconds, with CI95.
        public var deltaMean: Bootstrap.Interval?

        public var deltaSelfPerStep: Double { afterSelfPerStep - beforeSelfPerStep }
        /// The change is real: its CI95 excludes 0.
        public var significant: Bool { deltaMean?.excludesZero ?? false }
    }

    public var rows: [Row]
    public var beforeSteps: Int
    public var afterSteps: Int
    /// Operators present in only one of the traces.
    public var added: Int
    public var removed: Int

    /// Compares two traces. `top` rows (largest |Δ self per step| first) get a bootstrap interval.
    public static func compare(
        before: [TraceLane], after: [TraceLane], stages: [String], top: Int = 20, bootstrap: Bootstrap = Bootstrap()
    ) -> TraceDiff {
        let a = OperatorTimes(lanes: before, stages: stages)
        let b = OperatorTimes(lanes: after, stages: stages)
        let names = Set(a.durations.keys).union(b.durations.keys)
        var rows = names.map { name in
            Row(
                name: name, component: a.components[name] ?? b.components[name] ?? "—",
                before: a.durations[name].flatMap { LatencyStatistics($0) },
                after: b.durations[name].flatMap { LatencyStatistics($0) },
                beforeSelfPerStep: (a.selfTime[name] ?? 0) / Double(a.steps),
                afterSelfPerStep: (b.selfTime[name] ?? 0) / Double(b.steps), deltaMean: nil)
        }
        rows.sort {
            abs($0.deltaSelfPerStep) == abs($1.deltaSelfPerStep) ? $0.name < $1.name : abs($0.deltaSelfPerStep) > abs($1.deltaSelfPerStep)
        }
        rows = Array(rows.prefix(max(0, top)))
        // Each row has its own seed, so the intervals do not depend on how the rows are spread over threads.
        let intervals = Mutex([Bootstrap.Interval?](repeating: nil, count: rows.count))
        let frozen = rows
        DispatchQueue.concurrentPerform(iterations: frozen.count) { index in
            guard let x = a.durations[frozen[index].name], let y = b.durations[frozen[index].name] else { return }
            var seeded = bootstrap
            seeded.seed = bootstrap.seed &+ UInt64(index)
            let interval = seeded.twoSample(previous: x, current: y, statistic: .mean)
            intervals.withLock { $0[index] = interval }
        }
        let computed = intervals.withLock { $0 }
        for index in rows.indices { rows[index].deltaMean = computed[index] }
        return TraceDiff(
            rows: rows, beforeSteps: a.steps, afterSteps: b.steps,
            added: Set(b.durations.keys).subtracting(a.durations.keys).count,
            removed: Set(a.durations.keys).subtracting(b.durations.keys).count)
    }
}

/// Each operator's durations and total self time in one trace.
private struct OperatorTimes {
    var durations: [String: [Double]] = [:]
    var selfTime: [String: Double] = [:]
    var components: [String: String] = [:]
    var steps = 1

    init(lanes: [TraceLane], stages: [String]) {
        let stageNames = Set(stages)
        var stageCount = 0
        for lane in lanes {
            for (index, span) in lane.spans.enumerated() {
                if stageNames.contains(span.name) { stageCount += 1 }
                durations[span.name, default: []].append(span.duration)
                selfTime[span.name, default: 0] += max(0, lane.selfTime[index])
                if components[span.name] == nil {
                    components[span.name] = TraceAttribution.component(of: span) ?? "annotation"
                }
            }
        }
        if !stages.isEmpty, stageCount > 0 { steps = max(1, stageCount / max(1, stages.count)) }
    }
}
