import HeapModule

/// A trace's complete spans on one lane (pid, tid), sorted by start (longest first on ties), with each
/// span's enclosing parent and its self time (the time it is the innermost span running).
public struct TraceLane: Sendable {
    public var pid: String
    public var tid: String
    public var spans: LaneSpans
    public var parent: LaneParents
    public var selfTime: [Double]

    /// The lanes of a trace: `X` events and matched `B`/`E` pairs, in (pid, tid) order. The trace's events are
    /// reordered in place into one array that every lane views, so a trace taken as a temporary is never copied.
    public static func lanes(of trace: consuming ChromeTrace) -> [TraceLane] {
        let threads = trace.threads
        let count = trace.events.count
        // Kept positions: X events, and B events completed by their E (which gets the pair's duration).
        var kept: [Int32] = []
        kept.reserveCapacity(count)
        var open: [UInt32: [Int]] = [:]
        trace.events.withUnsafeMutableBufferPointer { events in
            for position in events.indices {
                switch events[position].phase {
                case UInt8(ascii: "X"): kept.append(Int32(position))
                case UInt8(ascii: "B"): open[events[position].thread, default: []].append(position)
                case UInt8(ascii: "E"):
                    if let begin = open[events[position].thread]?.popLast() {
                        events[begin].duration = events[position].timestamp - events[begin].timestamp
                        kept.append(Int32(begin))
                    }
                default: break
                }
            }
        }
        // Lanes in (pid, tid) order, each sorted by start, longest first, then file order.
        var rank = [Int32](repeating: 0, count: threads.count)
        for (order, thread) in threads.indices.sorted(by: { LaneKey(threads[$0]) < LaneKey(threads[$1]) }).enumerated() {
            rank[thread] = Int32(order)
        }
        trace.events.withUnsafeBufferPointer { events in
            kept.sort { a, b in
                let x = events[Int(a)], y = events[Int(b)]
                if x.thread != y.thread { return rank[Int(x.thread)] < rank[Int(y.thread)] }
                if x.timestamp != y.timestamp { return x.timestamp < y.timestamp }
                if x.duration != y.duration { return x.duration > y.duration }
                return a < b
            }
        }
        // Move each kept event to its slot by swaps (every swap settles one), then drop the rest.
        let keptCount = kept.count
        var destination = [Int32](repeating: -1, count: count)
        for (slot, position) in kept.enumerated() { destination[Int(position)] = Int32(slot) }
        kept = []
        trace.events.withUnsafeMutableBufferPointer { events in
            for position in events.indices {
                while destination[position] >= 0, Int(destination[position]) != position {
                    let target = Int(destination[position])
                    events.swapAt(position, target)
                    destination.swapAt(position, target)
                }
            }
        }
        destination = []
        trace.events.removeLast(count - keptCount)
        let storage = trace.events
        var lanes: [TraceLane] = []
        var start = 0
        while start < storage.count {
            let thread = storage[start].thread
            var end = start + 1
            while end < storage.count, storage[end].thread == thread { end += 1 }
            let key = threads[Int(thread)]
            lanes.append(TraceLane(pid: key.pid, tid: key.tid, spans: LaneSpans(storage: storage, range: start..<end)))
            start = end
        }
        return lanes
    }

    init(pid: String, tid: String, spans: LaneSpans) {
        self.pid = pid
        self.tid = tid
        self.spans = spans
        // Parent: the innermost open span that contains the whole event. A span that started inside another
        // and outlives it (record_function ranges opened inside a short Python frame, clock rounding) nests
        // under the next enclosing span instead of under the frame it overlaps.
        var parents = [Int32](repeating: -1, count: spans.count)
        var stack: [Int] = []
        for index in spans.indices {
            let event = spans[index]
            while let top = stack.last, spans[top].end <= event.timestamp { stack.removeLast() }
            parents[index] = stack.last { spans[$0].end >= event.end }.map(Int32.init) ?? -1
            stack.append(index)
        }
        parent = LaneParents(storage: parents)
        selfTime = Self.sweepSelfTime(spans)
    }

    /// Self time by sweeping the lane: every instant belongs to the latest-started span covering it, so self
    /// times add up to the time the lane is covered, however spans overlap.
    private static func sweepSelfTime(_ spans: LaneSpans) -> [Double] {
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

/// One lane's spans: a zero-based view of the array all lanes of a trace share.
public struct LaneSpans: RandomAccessCollection, Sendable {
    let storage: [TraceEvent]
    let range: Range<Int>

    public var startIndex: Int { 0 }
    public var endIndex: Int { range.count }
    public subscript(index: Int) -> TraceEvent { storage[range.lowerBound + index] }
}

/// Each span's enclosing span on its lane, nil for a root; stored as 32-bit indices.
public struct LaneParents: RandomAccessCollection, Sendable {
    let storage: [Int32]

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }
    public subscript(index: Int) -> Int? { storage[index] < 0 ? nil : Int(storage[index]) }
}

private struct LaneKey: Comparable {
    var pid: String
    var tid: String

    init(_ thread: TraceThread) {
        pid = thread.pid
        tid = thread.tid
    }

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

