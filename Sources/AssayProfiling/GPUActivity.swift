/// What the GPU did in a trace: time busy and idle per device, and each GPU op linked to the CUDA runtime
/// call that launched it by `args.correlation` (ops with no launch in the trace land in "unlinked").
public struct GPUActivity: Sendable, Hashable {
    /// Summed durations of kernels, copies and sets (streams overlap, so this can exceed the busy time).
    public var opMicroseconds: Double
    /// Time at least one op ran, per device, summed over devices.
    public var busyMicroseconds: Double
    /// From each device's first op to its last, summed over devices.
    public var windowMicroseconds: Double
    public var ops: Int
    public var linkedOps: Int
    public var unlinkedOps: Int
    public var unlinkedMicroseconds: Double
    /// GPU op time by the stage of the CPU call that launched it; "unlinked" and "outside stages" included.
    public var stageMicroseconds: [String: Double]

    public var idleMicroseconds: Double { max(0, windowMicroseconds - busyMicroseconds) }
    public var idlePercent: Double { windowMicroseconds > 0 ? idleMicroseconds / windowMicroseconds * 100 : 0 }
    public var linkedPercent: Double { ops > 0 ? Double(linkedOps) / Double(ops) * 100 : 0 }

    init?(lanes: [TraceLane], launchStage: [Int: String], classifier: inout EventClassifier) {
        var launches = Set<Int>()
        for lane in lanes {
            for event in lane.spans where classifier.category(event.category).isLaunch {
                if let correlation = event.correlation { launches.insert(correlation) }
            }
        }
        var perDevice: [String: [(start: Double, end: Double)]] = [:]
        var opTime = 0.0
        var count = 0
        var linked = 0
        var unlinkedTime = 0.0
        var byStage: [String: Double] = [:]
        for lane in lanes {
            var intervals: [(start: Double, end: Double)] = []
            for event in lane.spans where classifier.category(event.category).isGPUOp {
                count += 1
                opTime += event.duration
                intervals.append((event.timestamp, event.end))
                if let correlation = event.correlation, launches.contains(correlation) {
                    linked += 1
                    byStage[launchStage[correlation] ?? "outside stages", default: 0] += event.duration
                } else {
                    unlinkedTime += event.duration
                    byStage["unlinked", default: 0] += event.duration
                }
            }
            if !intervals.isEmpty { perDevice[lane.pid, default: []] += intervals }
        }
        guard count > 0 else { return nil }
        var busy = 0.0
        var window = 0.0
        for (_, intervals) in perDevice {
            let sorted = intervals.sorted { $0.start < $1.start }
            var current = sorted[0]
            window += (sorted.map(\.end).max() ?? current.end) - current.start
            for interval in sorted.dropFirst() {
                if interval.start <= current.end {
                    current.end = max(current.end, interval.end)
                } else {
                    busy += current.end - current.start
                    current = interval
                }
            }
            busy += current.end - current.start
        }
        opMicroseconds = opTime
        busyMicroseconds = busy
        windowMicroseconds = window
        ops = count
        linkedOps = linked
        unlinkedOps = count - linked
        unlinkedMicroseconds = unlinkedTime
        stageMicroseconds = byStage
    }
}
