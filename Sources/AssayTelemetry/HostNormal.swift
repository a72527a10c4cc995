import AssayCore
import Foundation

/// What is normal for one metric of one host at each point, learnt only from the points before it: the recent level
/// (the median of the last `recentPoints`), the usual value at that time of day (the median of the same time on up to
/// `maximumDays` earlier days, once `minimumDays` are there) and the spread around them (the median absolute
/// one-step-ahead deviation over the last day, as a standard deviation). Every resource metric is judged against it:
/// a rise or fall is an anomaly only when it leaves this host's normal band at that time; one inside the usual daily
/// pattern is routine.
public struct HostNormal: Sendable {
    /// Points whose median is the recent level.
    public var recentPoints = 12
    /// The window the spread is measured over, seconds.
    public var spreadSeconds = 86_400.0
    /// The window whose usual largest deviation (its 99th percentile) is part of the band, seconds: bursts this host
    /// makes every few hours are its normal; one incident (under 1% of the window) does not widen it.
    public var rangeSeconds = 7 * 86_400.0
    public var rangeQuantile = 0.99
    /// Points of history before a point is judged.
    public var minimumHistory = 24
    /// Earlier days needed before the usual value at a time of day is known, and the most that are used.
    public var minimumDays = 3
    public var maximumDays = 7

    public init() {}

    public struct Expectation: Sendable, Hashable {
        /// The median of the last points.
        public var recent: Double
        /// The usual value at this time of day (the median of the last day while fewer than `minimumDays` days are known).
        public var usual: Double
        /// The spread of the one-step-ahead deviations, as a standard deviation (at least a small floor).
        public var spread: Double
        /// Whether `usual` comes from earlier days.
        public var daily: Bool
        /// The 99th percentile of the absolute one-step-ahead deviations over the last `rangeSeconds`.
        public var largest: Double
    }

    /// Each point's expectation from the points before it; nil while fewer than `minimumHistory` points are known.
    /// `times` are the points' times (same count), in order.
    public func expectations(_ values: [Double], times: [Date]) -> [Expectation?] {
        let n = values.count
        guard n > minimumHistory, times.count == n else { return [Expectation?](repeating: nil, count: n) }
        let step = Self.medianStep(times)
        let perDay = step > 0 ? Int((86_400 / step).rounded()) : 0
        let spreadPoints = max(minimumHistory, step > 0 ? Int((spreadSeconds / step).rounded()) : minimumHistory)
        var result = [Expectation?](repeating: nil, count: n)
        // Each point's absolute one-step-ahead deviation, in order; the last `spreadPoints` of them give the spread,
        // the last `rangePoints` (kept sorted too) the usual largest deviation.
        let rangePoints = max(spreadPoints, step > 0 ? Int((rangeSeconds / step).rounded()) : spreadPoints)
        var deviations: [(index: Int, size: Double)] = []
        var spreadHead = 0
        var rangeHead = 0
        var sortedRange: [Double] = []
        var wasDaily = false
        // The overall magnitude, so a flat series' spread has a floor.
        var magnitude = 0.0
        for index in 0..<n {
            defer { magnitude = max(magnitude, abs(values[index])) }
            guard index >= minimumHistory else { continue }
            let recent = Self.median(Array(values[max(0, index - recentPoints)..<index]))
            // Without a daily profile the usual value is the median of the last day.
            var usual = Self.median(Array(values[max(0, index - spreadPoints)..<index]))
            var daily = false
            if perDay > 1, index >= minimumDays * perDay {
                // The same time of day on earlier days, give or take one point.
                var same: [Double] = []
                for day in 1...maximumDays where index - day * perDay - 1 >= 0 {
                    let at = index - day * perDay
                    same += values[max(0, at - 1)...min(index - 1, at + 1)]
                }
                if same.count >= 3 * minimumDays {
                    usual = Self.median(same)
                    daily = true
                }
            }
            // Deviations from the recent level say nothing of deviations from the daily profile: once the profile is
            // known, the spread and the largest deviation are measured afresh against it.
            if daily, !wasDaily {
                deviations.removeAll()
                sortedRange.removeAll()
                (spreadHead, rangeHead) = (0, 0)
            }
            wasDaily = daily
            while spreadHead < deviations.count, deviations[spreadHead].index < index - spreadPoints { spreadHead += 1 }
            while rangeHead < deviations.count, deviations[rangeHead].index < index - rangePoints {
                sortedRange.remove(at: Self.insertionPoint(of: deviations[rangeHead].size, in: sortedRange))
                rangeHead += 1
            }
            let floor = max(1e-9, 0.001 * magnitude)
            if deviations.count - spreadHead >= minimumHistory {
                let spread = max(floor, 1.4826 * Self.median(deviations[spreadHead...].map(\.size)))
                let usualLargest = sortedRange.isEmpty ? 0 : sortedRange[Int(rangeQuantile * Double(sortedRange.count - 1))]
                result[index] = Expectation(recent: recent, usual: usual, spread: spread, daily: daily, largest: usualLargest)
            }
            let size = abs(values[index] - (daily ? usual : recent))
            deviations.append((index, size))
            sortedRange.insert(size, at: Self.insertionPoint(of: size, in: sortedRange))
        }
        return result
    }

    /// One excursion from normal: a rise (`spike`) or fall (`drop`) beyond the band, from its first point to its last.
    public struct Excursion: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, Codable { case spike, drop }
        public var kind: Kind
        public var start: Int
        public var end: Int
        /// The farthest value reached, and the level it rose from or fell to.
        public var peak: Double
        public var level: Double
        /// The largest deviation, in spreads.
        public var score: Double
        /// Within this host's usual pattern at that time of day: routine, not an alarm.
        public var expected: Bool
    }

    /// Every excursion: points more than `threshold` spreads, `margin` times the usual largest deviation of the last
    /// `rangeSeconds` and `floor` in the metric's unit above or below the recent level. The defaults (6 spreads, 1.5×)
    /// were set on the whole nab-dev set (Benchmarks anomaly-bench): 0.8 false alarms per host-week there. One that also leaves the band around the usual value is an anomaly; one the daily profile
    /// explains (within the band of the usual value at that time of day) is routine, `expected`; a move back towards
    /// the usual value (the fall after a spike) is neither. A run continues while the points stay beyond the band on
    /// the same side.
    public func excursions(_ values: [Double], times: [Date], threshold: Double = 6, margin: Double = 1.5, floor: Double = 0) -> [Excursion] {
        excursions(values, expectations: expectations(values, times: times), threshold: threshold, margin: margin, floor: floor)
    }

    /// The same from expectations already made (`expectations(_:times:)`), so several thresholds cost one pass.
    public func excursions(
        _ values: [Double], expectations: [Expectation?], threshold: Double = 6, margin: Double = 1.5, floor: Double = 0
    ) -> [Excursion] {
        var found: [Excursion] = []
        var open: Excursion?
        for (index, expectation) in expectations.enumerated() {
            guard let e = expectation else { continue }
            let value = values[index]
            let band = max(floor, threshold * e.spread, margin * e.largest)
            let routine = e.daily && abs(value - e.usual) <= band
            let kind: Excursion.Kind? =
                value - e.recent > band && (value - e.usual > band || routine) ? .spike
                : e.recent - value > band && (e.usual - value > band || routine) ? .drop : nil
            if var run = open, run.kind == kind {
                let score = abs(value - run.level) / e.spread
                if score > run.score { run.score = score }
                if kind == .spike ? value > run.peak : value < run.peak { run.peak = value }
                run.end = index
                run.expected = run.expected && routine
                open = run
                continue
            }
            if let run = open { found.append(run) }
            open = kind.map {
                Excursion(
                    kind: $0, start: index, end: index, peak: value, level: e.recent, score: abs(value - e.recent) / e.spread,
                    expected: routine)
            }
        }
        if let run = open { found.append(run) }
        return found
    }

    /// The first index of `sorted` whose element is not below `value`.
    static func insertionPoint(of value: Double, in sorted: [Double]) -> Int {
        var (low, high) = (0, sorted.count)
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func median(_ values: [Double]) -> Double { Quantile.type7(sorted: values.sorted(), 0.5) ?? 0 }

    static func medianStep(_ times: [Date]) -> Double {
        median(zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }.filter { $0 > 0 })
    }
}
