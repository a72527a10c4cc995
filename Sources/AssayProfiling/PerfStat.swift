import Foundation

/// Counters from `perf stat`, human-readable or CSV (`-x,`) output. Cache misses are not in profiler traces,
/// so this is the input that measures them; a counter the machine cannot count (`<not supported>`,
/// `<not counted>`) is kept as not measured rather than read as zero.
public struct PerfStat: Sendable, Hashable {
    /// Counter values by event name (`cache-misses`, `instructions`, `task-clock` in msec …); nil: not measured.
    public var counters: [String: Double?]
    public var elapsedSeconds: Double?

    /// Misses per reference, in percent; nil unless both counters were measured.
    public var cacheMissPercent: Double? {
        guard let misses = counters["cache-misses"] ?? nil, let references = counters["cache-references"] ?? nil, references > 0 else {
            return nil
        }
        return misses / references * 100
    }

    /// Instructions per cycle; nil unless both were measured.
    public var instructionsPerCycle: Double? {
        guard let instructions = counters["instructions"] ?? nil, let cycles = counters["cycles"] ?? nil, cycles > 0 else { return nil }
        return instructions / cycles
    }

    /// Parses either format. With several runs in one file (perf stat -r, or appended outputs) the last
    /// value of each counter wins. No counter line at all is an error naming the file.
    public init(text: String, path: String) throws {
        var counters: [String: Double?] = [:]
        var elapsed: Double?
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("Performance counter stats") { continue }
            if trimmed.hasSuffix("seconds time elapsed") {
                elapsed = Double(trimmed.split(separator: " ").first ?? "")
                continue
            }
            if let (event, value) = Self.csvLine(trimmed) ?? Self.humanLine(trimmed) {
                counters[event] = value
            }
        }
        guard !counters.isEmpty else {
            throw TraceError(path: path, byteOffset: 0, expected: "perf stat output (counter lines such as \"1234 cache-misses\")")
        }
        self.counters = counters
        elapsedSeconds = elapsed
    }

    /// `value,unit,event,runtime,percent,…` as `perf stat -x,` writes it.
    private static func csvLine(_ line: String) -> (String, Double?)? {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 3, !fields[2].isEmpty, !fields[2].contains(" ") else { return nil }
        let raw = fields[0]
        if raw.hasPrefix("<") { return (String(fields[2]), nil) }
        guard let value = Double(raw) else { return nil }
        return (String(fields[2]), value)
    }

    /// `   23,051,671      cache-misses   # …` or `3284.39 msec task-clock   # …`.
    private static func humanLine(_ line: String) -> (String, Double?)? {
        let beforeComment = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if beforeComment.hasPrefix("<not supported>") || beforeComment.hasPrefix("<not counted>") {
            let rest = beforeComment.drop { $0 != ">" }.dropFirst().split(separator: " ")
            return rest.first.map { (String($0), nil) }
        }
        let words = beforeComment.split(separator: " ")
        guard words.count >= 2, let value = Double(words[0].replacingOccurrences(of: ",", with: "")) else { return nil }
        // An optional unit between the value and the event: "msec task-clock".
        let event = words.count >= 3 && words[1] == "msec" ? words[2] : words[1]
        guard !event.hasPrefix("(") else { return nil }
        return (String(event), value)
    }
}
