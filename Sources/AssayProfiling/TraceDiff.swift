import AssayLatency
import Foundation
import Synchronization

/// Operators of two traces ranked by how much their time changed, with statistics rather than totals only:
/// per-occurrence mean and P95 of each operator's duration, Δmean with a seeded two-sample bootstrap CI95, and
/// the change in self and inclusive time per step. Steps are the profiler's `ProfilerStep#N` annotations, else the
/// stage instances when stages are given, else the whole trace. Rows rank by the larger of the two changes, so an
/// operator whose callees grew (`aten::item` waiting on a device copy) ranks beside the leaves the time landed on.
/// The profiler's own bookkeeping (its range, `Iteration Start`, `[memory]`, the step markers) and Kineto's GPU-side
/// copies of annotations are left out.
public struct TraceDiff: Sendable {
    public struct Row: Sendable, Hashable {
        public var name: String
        public var component: String
        public var before: LatencyStatistics?
        public var after: LatencyStatistics?
        /// Self time per step, microseconds.
        public var beforeSelfPerStep: Double
        public var afterSelfPerStep: Double
        /// Inclusive time (the spans' durations, callees included) per step, microseconds.
        public var beforeInclusivePerStep: Double
        public var afterInclusivePerStep: Double
        /// Δ of the mean duration per occurrence (after − before), microseconds, with CI95.
        public var deltaMean: Bootstrap.Interval?
        /// Where an inclusive change is spent: the callee whose inclusive time per step changed most in the same
        /// direction, then its callee, and so on (`aten::_local_scalar_dense`, `cudaMemcpyAsync` below `aten::item`).
        public var callPath: [CallStep] = []

        public var deltaSelfPerStep: Double { afterSelfPerStep - beforeSelfPerStep }
        public var deltaInclusivePerStep: Double { afterInclusivePerStep - beforeInclusivePerStep }
        /// What the ranking uses: the larger of the two absolute changes.
        public var rank: Double { max(abs(deltaSelfPerStep), abs(deltaInclusivePerStep)) }
        /// The change is real: its CI95 excludes 0.
        public var significant: Bool { deltaMean?.excludesZero ?? false }
    }

    /// One callee on a row's call path, with its change in inclusive time per step (µs).
    public struct CallStep: Sendable, Hashable {
        public var name: String
        public var deltaInclusivePerStep: Double
    }

    public var rows: [Row]
    public var beforeSteps: Int
    public var afterSteps: Int
    /// Operators present in only one of the traces.
    public var added: Int
    public var removed: Int

    /// Compares two traces. `top` rows (largest change per step first) get a bootstrap interval.
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
                afterSelfPerStep: (b.selfTime[name] ?? 0) / Double(b.steps),
                beforeInclusivePerStep: (a.durations[name]?.reduce(0, +) ?? 0) / Double(a.steps),
                afterInclusivePerStep: (b.durations[name]?.reduce(0, +) ?? 0) / Double(b.steps), deltaMean: nil)
        }
        rows.sort { $0.rank == $1.rank ? $0.name < $1.name : $0.rank > $1.rank }
        rows = Array(rows.prefix(max(0, top)))
        for index in rows.indices { rows[index].callPath = callPath(from: rows[index], a, b) }
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

extension TraceDiff {
    /// From a row's operator down its callees, each time the one whose inclusive time per step changed most in the
    /// row's direction, while that callee carries at least a quarter of its caller's change; at most eight deep.
    fileprivate static func callPath(from row: Row, _ a: OperatorTimes, _ b: OperatorTimes) -> [CallStep] {
        let total = row.deltaInclusivePerStep
        guard total != 0 else { return [] }
        var path: [CallStep] = []
        var visited: Set<String> = [row.name]
        var current = row.name
        var change = total
        while path.count < 8 {
            let callees = Set((a.children[current] ?? [:]).keys).union((b.children[current] ?? [:]).keys).subtracting(visited)
            let changes = callees.map { callee in
                (callee, (b.children[current]?[callee] ?? 0) / Double(b.steps) - (a.children[current]?[callee] ?? 0) / Double(a.steps))
            }
            // The largest change in the row's direction (ties by name, so the path does not depend on set order).
            let direction = total < 0 ? -1.0 : 1.0
            guard let best = changes.max(by: { $0.1 * direction < $1.1 * direction || ($0.1 == $1.1 && $0.0 > $1.0) }),
                best.1 / change >= 0.25
            else { break }
            path.append(CallStep(name: best.0, deltaInclusivePerStep: best.1))
            visited.insert(best.0)
            current = best.0
            change = best.1
        }
        return path
    }
}

/// Each operator's durations, total self time and callees' inclusive time in one trace.
private struct OperatorTimes {
    var durations: [String: [Double]] = [:]
    var selfTime: [String: Double] = [:]
    var components: [String: String] = [:]
    /// Caller → callee → the callee's inclusive time under that caller, summed (µs).
    var children: [String: [String: Double]] = [:]
    var steps = 1

    init(lanes: [TraceLane], stages named: [String]) {
        let stages = named.isEmpty ? TraceAttribution.defaultStages(lanes) : named
        let matcher = StageMatcher(stages)
        let gpu = TraceAttribution.hasGPUActivity(lanes)
        let severalProviders = OnnxRuntimeComponents.hasSeveralProviders(lanes)
        var stageCount = 0
        var profilerSteps = 0
        for lane in lanes {
            for (index, span) in lane.spans.enumerated() {
                if span.category == "gpu_user_annotation" { continue }
                if Self.isProfilerStep(span.name) {
                    profilerSteps += 1
                    continue
                }
                if Self.isBookkeeping(span) { continue }
                if !stages.isEmpty, matcher.stage(of: span.name) != nil { stageCount += 1 }
                durations[span.name, default: []].append(span.duration)
                selfTime[span.name, default: 0] += max(0, lane.selfTime[index])
                if let parent = lane.parent[index], !Self.isProfilerStep(lane.spans[parent].name), !Self.isBookkeeping(lane.spans[parent]) {
                    children[lane.spans[parent].name, default: [:]][span.name, default: 0] += span.duration
                }
                if components[span.name] == nil {
                    components[span.name] = TraceAttribution.component(of: span, gpu: gpu, severalProviders: severalProviders) ?? "annotation"
                }
            }
        }
        if profilerSteps > 0 {
            steps = profilerSteps
        } else if !stages.isEmpty, stageCount > 0 {
            steps = max(1, stageCount / max(1, stages.count))
        }
    }

    /// `ProfilerStep#N`, the step marker torch.profiler's `step()` writes.
    static func isProfilerStep(_ name: String) -> Bool {
        name.hasPrefix("ProfilerStep#") && name.dropFirst("ProfilerStep#".count).allSatisfy(\.isNumber)
    }

    /// Spans the profiler writes about itself: its range (`PyTorch Profiler (0)`, category Trace), `Iteration Start`,
    /// `[memory]` instants.
    static func isBookkeeping(_ span: TraceEvent) -> Bool {
        span.category == "Trace" || span.name.hasPrefix("PyTorch Profiler") || span.name == "Iteration Start" || span.name == "[memory]"
    }
}
