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
    /// Kernels, copies and sets on the GPU, linked to their launches; nil when the trace has no GPU ops.
    public var gpu: GPUActivity?

    /// Whether the trace shows GPU work: kernels, copies or sets on a device, or CUDA runtime calls.
    public static func hasGPUActivity(_ lanes: [TraceLane]) -> Bool {
        var last: String?
        for lane in lanes {
            for span in lane.spans where span.category != last {
                last = span.category
                if ["kernel", "gpu_memcpy", "gpu_memset", "cuda_runtime", "cuda_driver"].contains(span.category.lowercased()) { return true }
            }
        }
        return false
    }

    /// Groups an event under a component name, or nil when it is a container (an annotation, a profiler step).
    /// `aten::item` is a CUDA sync only in a trace with GPU work (`gpu`); on the CPU it is a CPU op like any other.
    public static func component(of event: TraceEvent, gpu: Bool = true, severalProviders: Bool = false) -> String? {
        let name = event.name
        let lowered = name.lowercased()
        if event.category == "Node" || event.category == "Session" {
            return OnnxRuntimeComponents.component(of: event, severalProviders: severalProviders)
        }
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
        case "cuda_sync": return "CUDA sync"
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
            if gpu, name == "aten::item" || name == "aten::_local_scalar_dense" { return "CUDA sync (aten::item)" }
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

    /// The stages to attribute when none are named: each `model_run` in an ONNX Runtime trace (so session setup is
    /// not counted as inference), else none (each lane's top-level spans).
    public static func defaultStages(_ lanes: [TraceLane]) -> [String] {
        OnnxRuntimeComponents.isOnnxRuntimeTrace(lanes) ? ["model_run"] : []
    }

    static func mentions(_ lanes: [TraceLane], _ matcher: StageMatcher) -> Bool {
        lanes.contains { $0.spans.contains { matcher.stage(of: $0.name) != nil } }
    }

    /// Attributes the time inside the named stages. Without stages the whole span of each lane's top-level
    /// events counts as one stage "trace" (an ONNX Runtime trace's stage is `model_run`).
    public static func analyze(_ trace: consuming ChromeTrace, stages wanted: [String]) -> TraceAttribution {
        analyze(lanes: TraceLane.lanes(of: trace), stages: wanted)
    }

    /// Attribution over lanes already built (so a caller that also draws flamegraphs builds them once).
    public static func analyze(lanes: [TraceLane], stages named: [String]) -> TraceAttribution {
        // An ONNX Runtime trace has none of the service's own stages (preprocess, inference …): its stage is model_run.
        let onnxRuntime = OnnxRuntimeComponents.isOnnxRuntimeTrace(lanes)
        let wanted = named.isEmpty || (onnxRuntime && !Self.mentions(lanes, StageMatcher(named))) ? defaultStages(lanes) : named
        let matcher = StageMatcher(wanted)
        var classifier = EventClassifier(gpu: hasGPUActivity(lanes))
        let severalProviders = OnnxRuntimeComponents.hasSeveralProviders(lanes)
        // Stages and (component, event name) pairs are numbered as first seen and their times kept in arrays: a
        // large trace has hundreds of thousands of events over a few hundred distinct names.
        var stageNumbers: [String: Int32] = [:]
        var stageNames: [String] = []
        var stageTimes: [(count: Int, total: Double, attributed: Double)] = []
        var pairs: [EventPair: Int] = [:]
        var pairRows: [(component: String?, name: String, time: Double)] = []
        var lastPair: (pair: EventPair, row: Int)?
        var totalStage = 0.0
        var totalAttributed = 0.0
        var launchStage: [Int: String] = [:]
        for lane in lanes {
            let sorted = lane.spans
            let parent = lane.parent
            // The stage each event falls in: its nearest enclosing stage event. Without stages, every top-level
            // span is one; the profiler's own range ("PyTorch Profiler", category Trace) is not work and is skipped.
            var stageOf = [Int32](repeating: -1, count: sorted.count)
            var isStageEvent = [Bool](repeating: false, count: sorted.count)
            var profilerRange = [Bool](repeating: false, count: sorted.count)
            for index in sorted.indices {
                let enclosing = parent[index]
                profilerRange[index] = classifier.category(sorted[index].category).isProfilerRange && (enclosing.map { profilerRange[$0] } ?? true)
                if profilerRange[index] { continue }
                let topLevel = enclosing.map { profilerRange[$0] } ?? true
                // A stage is the CPU-side annotation; Kineto mirrors each record_function on the GPU stream
                // (gpu_user_annotation), whose span is GPU time and would count every stage twice.
                let mirrored = sorted[index].category == "gpu_user_annotation"
                if let stage = wanted.isEmpty ? (topLevel ? "trace" : nil) : (mirrored ? nil : matcher.stage(of: sorted[index].name)) {
                    if let known = stageNumbers[stage] {
                        stageOf[index] = known
                    } else {
                        stageOf[index] = Int32(stageNames.count)
                        stageNumbers[stage] = stageOf[index]
                        stageNames.append(stage)
                        stageTimes.append((0, 0, 0))
                    }
                    isStageEvent[index] = true
                } else if let p = enclosing {
                    stageOf[index] = stageOf[p]
                }
            }
            for (index, event) in sorted.enumerated() {
                let stage = Int(stageOf[index])
                if let correlation = event.correlation, stage >= 0, classifier.category(event.category).isLaunch {
                    launchStage[correlation] = stageNames[stage]
                }
                guard stage >= 0 else { continue }
                if isStageEvent[index] {
                    stageTimes[stage].count += 1
                    stageTimes[stage].total += event.duration
                    totalStage += event.duration
                }
                let own = max(0, lane.selfTime[index])
                let pair = EventPair(category: event.category, name: event.name)
                let row: Int
                if let lastPair, lastPair.pair == pair {
                    row = lastPair.row
                } else if let known = pairs[pair] {
                    row = known
                } else {
                    row = pairRows.count
                    pairs[pair] = row
                    pairRows.append((component(of: event, gpu: classifier.gpu, severalProviders: severalProviders), event.name, 0))
                }
                lastPair = (pair, row)
                guard pairRows[row].component != nil else { continue }
                pairRows[row].time += own
                stageTimes[stage].attributed += own
                totalAttributed += own
            }
        }
        var componentTimes: [String: Double] = [:]
        var topEvents: [String: [String: Double]] = [:]
        for row in pairRows {
            guard let component = row.component else { continue }
            componentTimes[component, default: 0] += row.time
            topEvents[component, default: [:]][row.name, default: 0] += row.time
        }
        let stageOrder = wanted.isEmpty ? ["trace"] : wanted
        let stageRows = stageOrder.compactMap { name -> Stage? in
            guard let number = stageNumbers[name] else { return nil }
            let t = stageTimes[Int(number)]
            guard t.count > 0 else { return nil }
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
            unknownPercent: 100 - attributed, eventCount: lanes.reduce(0) { $0 + $1.spans.count },
            gpu: GPUActivity(lanes: lanes, launchStage: launchStage, classifier: &classifier))
    }
}

/// Stage names as written, or patterns with `*` (any run of characters): `ProfilerStep#*` matches every step
/// and counts them under the pattern's name.
struct StageMatcher {
    private let exact: Set<String>
    private let patterns: [(name: String, parts: [Substring])]

    init(_ stages: [String]) {
        exact = Set(stages.filter { !$0.contains("*") })
        patterns = stages.filter { $0.contains("*") }.map { ($0, $0.split(separator: "*", omittingEmptySubsequences: false)) }
    }

    func stage(of name: String) -> String? {
        if exact.contains(name) { return name }
        return patterns.first { Self.matches(name, $0.parts) }?.name
    }

    private static func matches(_ name: String, _ parts: [Substring]) -> Bool {
        guard let first = parts.first, name.hasPrefix(first) else { return false }
        var rest = name.dropFirst(first.count)
        for (offset, part) in parts.enumerated().dropFirst() {
            if offset == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) && rest.count >= part.count }
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.isEmpty
    }
}

/// Per-analysis memo of what a category classifies as: traces repeat a few categories over hundreds of thousands
/// of events, so each distinct one is lowercased and matched once. (Components are memoized by `analyze`, per
/// distinct category and name.)
struct EventClassifier {
    struct Category {
        var isProfilerRange: Bool
        var isLaunch: Bool
        /// Kernels, memcpy and memset on the device.
        var isGPUOp: Bool
    }

    private var categories: [String: Category] = [:]
    private var lastCategory: (name: String, category: Category)?
    /// Whether the trace has GPU work (decides whether `aten::item` is a CUDA sync).
    let gpu: Bool

    init(gpu: Bool = true) {
        self.gpu = gpu
    }

    mutating func category(_ name: String) -> Category {
        if let lastCategory, lastCategory.name == name { return lastCategory.category }
        if let known = categories[name] {
            lastCategory = (name, known)
            return known
        }
        let lowered = name.lowercased()
        let category = Category(
            isProfilerRange: lowered == "trace", isLaunch: lowered == "cuda_runtime" || lowered == "cuda_driver",
            isGPUOp: lowered == "kernel" || lowered == "gpu_memcpy" || lowered == "gpu_memset")
        categories[name] = category
        return category
    }
}

/// An event's category and name, which decide its component.
struct EventPair: Hashable {
    var category: String
    var name: String
}
