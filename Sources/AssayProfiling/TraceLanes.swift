import HeapModule

/// A trace's complete spans on one lane (pid, tid), sorted by start (longest first on ties), with each
/// span's enclosing parent and its self time (the time it is the innermost span running).
public struct TraceLane: Sendable {
    public var pid: String
    public var tid: String
    public var spans: [TraceEvent]
    public var parent: [Int?]
    public var selfTime: [Double]

    /// The lanes of a trace: `X` events and matched `B`/`E` pairs, in (pid, tid) order.
    public static func lanes(of trace: ChromeTrace) -> [TraceLane] {
        // Lane numbers first and event indices per lane, so the spans are copied once, into their lane.
        var laneNumbers: [LaneKey: Int] = [:]
        var members: [[Int32]] = []
        var closed: [Int: TraceEvent] = [:]  // B events, completed by their E
        var open: [Int: [Int]] = [:]
        for (position, event) in trace.events.enumerated() {
            let phase = event.phase
            guard phase == UInt8(ascii: "X") || phase == UInt8(ascii: "B") || phase == UInt8(ascii: "E") else { continue }
            let thread = trace.threads[Int(event.thread)]
            let key = LaneKey(pid: thread.pid, tid: thread.tid)
            let lane: Int
            if let known = laneNumbers[key] {
                lane = known
            } else {
                lane = members.count
                laneNumbers[key] = lane
                members.append([])
            }
            switch phase {
            case UInt8(ascii: "X"): members[lane].append(Int32(position))
            case UInt8(ascii: "B"): open[lane, default: []].append(position)
            default:
                if let begin = open[lane]?.popLast() {
                    var span = trace.events[begin]
                    span.duration = event.timestamp - span.timestamp
                    closed[begin] = span
                    members[lane].append(Int32(begin))
                }
            }
        }
        return laneNumbers.sorted { $0.key < $1.key }.map { key, lane in
            TraceLane(pid: key.pid, tid: key.tid, events: members[lane].map { closed[Int($0)] ?? trace.events[Int($0)] })
        }
    }

    init(pid: String, tid: String, events: [TraceEvent]) {
        self.pid = pid
        self.tid = tid
        spans = events.sorted { $0.timestamp == $1.timestamp ? $0.duration > $1.duration : $0.timestamp < $1.timestamp }
        // Parent: the innermost open span that contains the whole event. A span that started inside another
        // and outlives it (record_function ranges opened inside a short Python frame, clock rounding) nests
        // under the next enclosing span instead of under the frame it overlaps.
        let sorted = spans
        var parents = [Int?](repeating: nil, count: sorted.count)
        var stack: [Int] = []
        for (index, event) in sorted.enumerated() {
            while let top = stack.last, sorted[top].end <= event.timestamp { stack.removeLast() }
            parents[index] = stack.last { sorted[$0].end >= event.end }
            stack.append(index)
        }
        parent = parents
        selfTime = Self.sweepSelfTime(sorted)
    }

    /// Self time by sweeping the lane: every instant belongs to the latest-started span covering it, so self
    /// times add up to the time the lane is covered, however spans overlap.
    private static func sweepSelfTime(_ spans: [TraceEvent]) -> [Double] {
        var selfTime = [Double](repeating: 0, count: spans.count)
        var active = Heap<Int>()  // the latest-started span is the max
        var ending = Heap<SpanEnd>()
        var ended = [Bool](repeating: false, count: spans.count)
        var next = 0
        var now = spans.first?.timestamp ?? 0
        while next < spans.count || !ending.isEmpty {
            let endTime = ending.min?.time ?? .infinity
            let startTime = next < spans.count ? spans[next].timestamp : .infinity
            let time = min(endTime, startTime)
            while let top = active.max, ended[top] { active.removeMax() }
            if let owner = active.max { selfTime[owner] += time - now }
            now = time
            if endTime <= startTime {
                ended[ending.removeMin().index] = true
            } else {
                active.insert(next)
                ending.insert(SpanEnd(time: spans[next].end, index: next))
                next += 1
            }
        }
        return selfTime
    }

    /// The names from the lane's root down to `index`.
    public func stack(of index: Int) -> [String] {
        var names: [String] = []
        var cursor: Int? = index
        while let current = cursor {
            names.append(spans[current].name)
            cursor = parent[current]
        }
        return names.reversed()
    }

    /// The lane as one frame name: `pid/tid`.
    public var name: String { pid + "/" + tid }
}

private struct SpanEnd: Comparable {
    var time: Double
    var index: Int

    static func < (a: SpanEnd, b: SpanEnd) -> Bool { a.time == b.time ? a.index < b.index : a.time < b.time }
}

private struct LaneKey: Hashable, Comparable {
    var pid: String
    var tid: String

    static func < (a: LaneKey, b: LaneKey) -> Bool {
        a.pid == b.pid ? numericFirst(a.tid, b.tid) : numericFirst(a.pid, b.pid)
    }

    /// Integers in numeric order, before names.
    private static func numericFirst(_ a: String, _ b: String) -> Bool {
        switch (Int(a), Int(b)) {
        case let (x?, y?): x < y
        case (.some, nil): true
        case (nil, .some): false
        case (nil, nil): a < b
        }
    }
}

