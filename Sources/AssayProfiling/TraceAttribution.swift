import AssayCore
import Foundation

/// Where a trace's time goes: per stage (user annotations), and inside the stages per component, by self
/// time on each lane (pid, tid), so nested events are never counted twice.
public struct TraceAttribution: Sendable, Hashable {
    public struct Stage: Sendable, Hashable {
        public var name: String
        public var count: Int
        public var totalMicroseconds: Double
        public var meanMicroseconds: Double
        /// Share of the stage's time attributed to named components.
        public var attributedPercent: Double
    }

    public struct Component: Sendable, Hashable {
        public var name: String
        public var microseconds: Double
        public var percent: Double
        /// The event that contributed most, for "what to profile next".
        public var topEvent: String
    }

    public var stages: [Stage]
    /// Components over all stage time; "Unknown" is the stage time no named component covers.
    public var components: [Component]
    public var stageMicroseconds: Double
    public var attributedPercent: Double
    public var unknownPercent: Double
    public var eventCount: Int

    /// Groups an event under a component name, or nil when it is a container (an annotation, a profiler step).
    public static func component(of event: TraceEvent) -> String? {
        let name = event.name
        let lowered = name.lowercased()
        switch event.category.lowercased() {
        case "user_annotation", "gpu_user_annotation", "trace": return nil
        case "kernel":
            if lowered.contains("nccl") { return "Kernels: communication" }
            if lowered.contains("memset") || lowered.contains("memcpy") { return "Kernels: memory" }
            return "Kernels: compute"
        case "gpu_memcpy":
            if name.contains("HtoD") { return "Memcpy HtoD" }
            if name.contains("DtoH") { return "Memcpy DtoH" }
            return "Memcpy DtoD"
        case "gpu_memset": return "Kernels: memory"
        case "cuda_runtime", "cuda_driver":
            if lowered.contains("synchronize") { return "CUDA sync" }
            if lowered.contains("memcpy") { return lowered.contains("async") ? "CUDA memcpy (async)" : "CUDA sync (synchronous copy)" }
            if lowered.contains("launch") { return "Kernel launch overhead" }
            if lowered.contains("malloc") || lowered.contains("free") { return "Allocation" }
            return "CUDA runtime"
        case "python_function":
            if lowered.contains("dataloader") || lowered.contains("__next__") { return "Data loading" }
            return "Python overhead"
        case "cpu_op", "operator":
            if name == "aten::item" || name == "aten::_local_scalar_dense" { return "CUDA sync (aten::item)" }
            if lowered.contains("dataloader") { return "Data loading" }
            if lowered.hasPrefix("aten::") { return "CPU ops" }
            return "CPU ops"
        case "cpu_instant_event", "python", "":
            return lowered.contains("dataloader") ? "Data loading" : (event.category.isEmpty ? nil : "Python overhead")
        default:
            if lowered.contains("dataloader") { return "Data loading" }
            if lowered.contains("read") || lowered.contains("write") || lowered.contains("load") { return "I/O" }
            return event.category
        }
    }

    /// Attributes the time inside the named stages. Without stages the whole span of each lane's top-level
    /// events counts as one stage "trace".
    public static func analyze(_ trace: ChromeTrace, stages wanted: [String]) -> TraceAttribution {
        // Complete events, with B/E pairs matched per lane.
        var spans: [TraceEvent] = []
        var open: [String: [TraceEvent]] = [:]
        for event in trace.events {
            switch event.phase {
            case UInt8(ascii: "X"): spans.append(event)
            case UInt8(ascii: "B"): open[event.pid + "/" + event.tid, default: []].append(event)
            case UInt8(ascii: "E"):
                if var begin = open[event.pid + "/" + event.tid]?.popLast() {
                    begin.duration = event.timestamp - begin.timestamp
                    spans.append(begin)
                }
            default: continue
            }
        }
        let lanes = Dictionary(grouping: spans) { $0.pid + "/" + $0.tid }
        var stageTimes: [String: (count: Int, total: Double, attributed: Double)] = [:]
        var componentTimes: [String: Double] = [:]
        var topEvents: [String: [String: Double]] = [:]
        var totalStage = 0.0
        var totalAttributed = 0.0
        for (_, events) in lanes {
            let sorted = events.sorted { $0.timestamp == $1.timestamp ? $0.duration > $1.duration : $0.timestamp < $1.timestamp }
            // Self time of every event: its duration minus its direct children's.
            var selfTime = sorted.map(\.duration)
            var stack: [Int] = []
            var parent = [Int?](repeating: nil, count: sorted.count)
            for (index, event) in sorted.enumerated() {
                while let top = stack.last, sorted[top].end <= event.timestamp { stack.removeLast() }
                if let top = stack.last {
                    parent[index] = top
                    selfTime[top] -= min(event.duration, sorted[top].end - event.timestamp)
                }
                stack.append(index)
            }
            // The stage each event falls in: its nearest enclosing stage event.
            var stageOf = [String?](repeating: nil, count: sorted.count)
            for index in sorted.indices {
                if wanted.isEmpty ? parent[index] == nil : wanted.contains(sorted[index].name) {
                    stageOf[index] = wanted.isEmpty ? "trace" : sorted[index].name
                } else if let p = parent[index] {
                    stageOf[index] = stageOf[p]
                }
            }
            for (index, event) in sorted.enumerated() {
                guard let stage = stageOf[index] else { continue }
                let isStage = wanted.isEmpty ? parent[index] == nil : wanted.contains(event.name)
                if isStage {
                    stageTimes[stage, default: (0, 0, 0)].count += 1
                    stageTimes[stage, default: (0, 0, 0)].total += event.duration
                    totalStage += event.duration
                }
                let own = max(0, selfTime[index])
                guard let component = Self.component(of: event) else { continue }
                componentTimes[component, default: 0] += own
                topEvents[component, default: [:]][event.name, default: 0] += own
                stageTimes[stage, default: (0, 0, 0)].attributed += own
                totalAttributed += own
            }
        }
        let stageOrder = wanted.isEmpty ? ["trace"] : wanted
        let stageRows = stageOrder.compactMap { name -> Stage? in
            guard let t = stageTimes[name], t.count > 0 else { return nil }
            return Stage(
                name: name, count: t.count, totalMicroseconds: t.total, meanMicroseconds: t.total / Double(t.count),
                attributedPercent: t.total > 0 ? min(100, t.attributed / t.total * 100) : 0)
        }
        var componentRows = componentTimes.map { name, time in
            Component(
                name: name, microseconds: time, percent: totalStage > 0 ? time / totalStage * 100 : 0,
                topEvent: topEvents[name]?.max { $0.value < $1.value }?.key ?? "")
        }.sorted { $0.microseconds > $1.microseconds }
        let attributed = totalStage > 0 ? min(100, totalAttributed / totalStage * 100) : 0
        if totalStage > 0 {
            componentRows.append(
                Component(name: "Unknown", microseconds: max(0, totalStage - totalAttributed), percent: 100 - attributed, topEvent: ""))
        }
        return TraceAttribution(
            stages: stageRows, components: componentRows, stageMicroseconds: totalStage, attributedPercent: attributed,
            unknownPercent: 100 - attributed, eventCount: spans.count)
    }
}
