import AssayBaseline
import AssayCore
import Foundation

/// What is normal for one metric of one host, learnt only from the points before each one, and the excursions from
/// it. Three references predict each point:
/// - `recent`: the median of the last `recentPoints`;
/// - `daily`: the median of the same time of day (give or take one sample) on up to `maximumDays` earlier days, once
///   `minimumPeriods` days are there;
/// - `weekly`: the same on the same weekday of up to `maximumWeeks` earlier weeks, once `minimumPeriods` weeks are there.
///
/// For each reference, the error |value − prediction| is averaged over the last few points and compared with how
/// that average has behaved over the last week (`historySeconds`; three weeks for the weekly one): the score is how
/// many standard deviations it lies above its mean there. A point is an alarm when a score passes its reference's
/// threshold. A rise against the recent level that the daily or weekly profile explains (its score there at most
/// `routineScore`) is routine: it is reported, `expected`, and is not an alarm. So a host's usual daily peak is
/// routine, the same rise at night is not, a quiet host's small jump is an anomaly and a busy host's noise is not.
///
/// The defaults were set once on the whole nab-dev corpus (`Benchmarks` anomaly-bench, scored as the issue asks):
/// F1 0.730 there (28 of 38 windows, 0.16 false alarms per host-week), beside NAB's best published detector
/// (numenta) at 0.596.
public struct HostNormal: Sendable {
    public enum Reference: String, Sendable, Hashable, Codable, CaseIterable {
        case recent, daily, weekly
    }

    /// How one reference's errors are judged: averaged over `smoothingPoints`, an alarm above `threshold` standard
    /// deviations of that average's last week.
    public struct Rule: Sendable, Hashable {
        public var reference: Reference
        public var smoothingPoints: Int
        public var threshold: Double

        public init(_ reference: Reference, smoothingPoints: Int, threshold: Double) {
            self.reference = reference
            self.smoothingPoints = max(1, smoothingPoints)
            self.threshold = threshold
        }
    }

    /// Points whose median is the recent level.
    public var recentPoints = 12
    public var maximumDays = 7
    public var maximumWeeks = 4
    /// Days (weeks) of history before the daily (weekly) profile is used.
    public var minimumPeriods = 3
    /// The window the averaged errors' mean and spread are learnt over, seconds (three weeks at least for `weekly`).
    public var historySeconds = 7 * 86_400.0
    /// Points of that history needed before a score is given: this many, or a day's worth where a day holds fewer.
    public var minimumHistoryPoints = 288
    public var rules = [
        Rule(.recent, smoothingPoints: 18, threshold: 5), Rule(.daily, smoothingPoints: 24, threshold: 6),
        Rule(.weekly, smoothingPoints: 6, threshold: 4.5),
    ]
    /// A rise against the recent level is routine when the profile's score is at most this.
    public var routineScore = 1.0
    /// Alarmed points this close (in points) are one excursion.
    public var mergePoints = 12

    public init() {}

    /// Each point's prediction by each reference, and each reference's score; nil where not yet known.
    public struct Scores: Sendable {
        public var predictions: [Reference: [Double?]]
        public var scores: [Reference: [Double?]]
        /// The points of history a score needs.
        public var historyPoints: Int
    }

    public func scores(_ values: [Double], times: [Date]) -> Scores {
        let n = values.count
        precondition(times.count == n, "one time per value")
        let step = Self.medianStep(times)
        let perDay = step > 0 ? max(1, Int((86_400 / step).rounded())) : n + 1
        let historyPoints = max(recentPoints, min(perDay, minimumHistoryPoints))
        var predictions: [Reference: [Double?]] = [:]
        var window = [Double](repeating: 0, count: recentPoints)
        predictions[.recent] = (0..<n).map { i in
            guard i >= recentPoints else { return nil }
            for k in 0..<recentPoints { window[k] = values[i - recentPoints + k] }
            window.sort()
            return Quantile.type7(sorted: window, 0.5)
        }
        if step > 0, perDay > 1 {
            predictions[.daily] = profile(values, times: times, period: 86_400, count: maximumDays, step: step)
            predictions[.weekly] = profile(values, times: times, period: 7 * 86_400, count: maximumWeeks, step: step)
        }
        // Scores do not depend on the unit: errors are measured in units of the largest value, so the running sums stay
        // well inside a double's precision; the spread has a floor of a millionth of it.
        let scale = max(values.map(abs).max() ?? 0, .leastNormalMagnitude)
        var scores: [Reference: [Double?]] = [:]
        for rule in rules {
            guard let predicted = predictions[rule.reference] else { continue }
            var history = step > 0 ? Int((historySeconds / step).rounded()) : n
            if rule.reference == .weekly, step > 0 { history = max(history, Int((3 * 7 * 86_400 / step).rounded())) }
            scores[rule.reference] = Self.score(
                values.indices.map { i in predicted[i].map { abs(values[i] - $0) / scale } }, smoothing: rule.smoothingPoints,
                history: max(1, history), needed: historyPoints)
        }
        return Scores(predictions: predictions, scores: scores, historyPoints: historyPoints)
    }

    /// The median of the values within one sample of the same time `period` seconds earlier, for up to `count` periods,
    /// once `minimumPeriods` are there.
    func profile(_ values: [Double], times: [Date], period: Double, count: Int, step: Double) -> [Double?] {
        let seconds = times.map(\.timeIntervalSince1970)
        return values.indices.map { i in
            guard seconds[i] - seconds[0] >= Double(minimumPeriods) * period + step else { return nil }
            var same: [Double] = []
            for back in 1...count {
                let target = seconds[i] - Double(back) * period
                guard target - step >= seconds[0] else { break }
                let at = Self.nearest(target, in: seconds, before: i)
                guard abs(seconds[at] - target) <= 1.5 * step else { continue }
                same += values[max(0, at - 1)...min(i - 1, at + 1)]
            }
            return same.count >= 3 * minimumPeriods ? Self.median(same) : nil
        }
    }

    /// The score of each point's averaged error: (average − its mean over the last `history` scored points) / their
    /// standard deviation, once `needed` of them are known. Alarms are learnt too: not learning them made every level
    /// shift an alarm for a week, and F1 on nab-dev fell from 0.73 to 0.53.
    static func score(_ errors: [Double?], smoothing: Int, history: Int, needed: Int) -> [Double?] {
        let n = errors.count
        var averages = [Double?](repeating: nil, count: n)
        var run = 0
        var sum = 0.0
        for i in 0..<n {
            guard let error = errors[i] else { (run, sum) = (0, 0); continue }
            run += 1
            sum += error
            if run > smoothing, let old = errors[i - smoothing] { sum -= old }
            if run >= smoothing { averages[i] = sum / Double(smoothing) }
        }
        // Running sums over the known averages, in order, so each window's mean and spread cost O(1).
        var prefix = [0.0]
        var prefixSquares = [0.0]
        var known: [Int] = []
        var result = [Double?](repeating: nil, count: n)
        for i in 0..<n {
            guard let average = averages[i] else { continue }
            let count = min(history, known.count)
            if count >= needed {
                let from = known.count - count
                let mean = (prefix[known.count] - prefix[from]) / Double(count)
                let variance = max(0, (prefixSquares[known.count] - prefixSquares[from]) / Double(count) - mean * mean)
                result[i] = (average - mean) / max(variance.squareRoot(), 1e-6)
            }
            known.append(i)
            prefix.append(prefix[prefix.count - 1] + average)
            prefixSquares.append(prefixSquares[prefixSquares.count - 1] + average * average)
        }
        return result
    }

    /// One excursion from normal, from its first point to its last.
    public struct Excursion: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, Codable {
            case spike, drop
            case levelShift = "level_shift"
        }

        public var kind: Kind
        public var start: Int
        public var end: Int
        /// The farthest value reached (highest for a spike, lowest for a drop; the new level for a level shift).
        public var peak: Double
        /// The predicted value it left: the level it rose from or fell from (the old level for a level shift).
        public var level: Double
        /// The reference that found it, and its highest score.
        public var reference: Reference
        public var score: Double
        /// Within this host's usual pattern at that time: routine, not an alarm.
        public var expected: Bool
        /// For a level shift: the change of the mean the change-point detector measured.
        public var size: Double?
    }

    /// Every excursion: alarms (`expected` false) and routine rises (`expected` true), in order. A rise or fall that
    /// stays (a change of level the project's change-point detector finds inside the excursion) is a level shift.
    public func excursions(_ values: [Double], times: [Date]) -> [Excursion] { judge(values, times: times).excursions }

    /// The excursions, and the first point any reference scored (nil when the series is too short for any).
    public struct Judgement: Sendable {
        public var excursions: [Excursion]
        public var judgedFrom: Int?
        public var historyPoints: Int
        /// Whether each point is usual for its time: a daily or weekly profile is known and scores it within its
        /// threshold (a host that runs hot every afternoon is routine when it does).
        public var usual: [Bool]
        /// Whether the daily or weekly profile explains each point's move from the recent level: the value is nearer
        /// the usual value at that time than the level it moved from (less than half as far).
        public var explained: [Bool]
    }

    public func judge(_ values: [Double], times: [Date]) -> Judgement {
        let scores = scores(values, times: times)
        let judgedFrom = scores.scores.values.compactMap { $0.firstIndex { $0 != nil } }.min()
        var found = excursions(values, scores: scores)
        if found.contains(where: { !$0.expected }) { found = Self.levelShifts(found, values: values, times: times) }
        let recent = scores.predictions[.recent] ?? []
        let profiles = [Reference.daily, .weekly].compactMap { scores.predictions[$0] }
        let explained = values.indices.map { i in
            guard let level = recent[i] else { return false }
            return profiles.contains { $0[i].map { usual in 2 * abs(values[i] - usual) < abs(values[i] - level) } ?? false }
        }
        let profileScores = rules.filter { $0.reference != .recent }.compactMap { rule in scores.scores[rule.reference].map { (rule.threshold, $0) } }
        let usual = values.indices.map { i in
            let judged = profileScores.compactMap { threshold, scored in scored[i].map { $0 <= threshold } }
            return !judged.isEmpty && !judged.contains(false)
        }
        return Judgement(excursions: found, judgedFrom: judgedFrom, historyPoints: scores.historyPoints, usual: usual, explained: explained)
    }

    /// The excursions from scores already made, without the level-shift test.
    public func excursions(_ values: [Double], scores: Scores) -> [Excursion] {
        let n = values.count
        var alarm = [Reference?](repeating: nil, count: n)
        var routine = [Bool](repeating: false, count: n)
        let profiles = [Reference.daily, .weekly].compactMap { scores.scores[$0] }
        let ruled = rules.compactMap { rule in scores.scores[rule.reference].map { (rule, $0) } }
        for i in 0..<n {
            var profile: Double?
            for scored in profiles { if let score = scored[i] { profile = max(profile ?? score, score) } }
            // The reference whose score passes its threshold by the largest factor.
            var best: (Reference, Double)?
            for (rule, scored) in ruled {
                guard let score = scored[i], score > rule.threshold else { continue }
                if rule.reference == .recent, let profile, profile <= routineScore {
                    routine[i] = true
                    continue
                }
                let factor = score / rule.threshold
                if best.map({ factor > $0.1 }) ?? true { best = (rule.reference, factor) }
            }
            alarm[i] = best?.0
        }
        var found: [Excursion] = []
        for expected in [false, true] {
            var i = 0
            while i < n {
                guard expected ? routine[i] && alarm[i] == nil : alarm[i] != nil else { i += 1; continue }
                let reference = alarm[i] ?? .recent
                var end = i
                var j = i + 1
                while j < n, j - end <= mergePoints {
                    if expected ? routine[j] && alarm[j] == nil : alarm[j] != nil { end = j }
                    j += 1
                }
                guard let predicted = scores.predictions[reference]?[i] ?? nil else { i = end + 1; continue }
                let run = values[i...end]
                let direction = run.reduce(0) { $0 + $1 - predicted }
                let score = (i...end).compactMap { scores.scores[reference]?[$0] ?? nil }.max() ?? 0
                found.append(
                    Excursion(
                        kind: direction >= 0 ? .spike : .drop, start: i, end: end, peak: direction >= 0 ? run.max()! : run.min()!,
                        level: predicted, reference: reference, score: score, expected: expected, size: nil))
                i = end + 1
            }
        }
        return found.sorted { $0.start < $1.start }
    }

    /// Alarms inside which the change-point detector finds a change of level that lasts become level shifts, with that
    /// change's size. The series is averaged into at most 1,000 buckets first, so a day at 1 Hz costs little.
    static func levelShifts(_ found: [Excursion], values: [Double], times: [Date]) -> [Excursion] {
        let width = max(1, (values.count + 999) / 1000)
        let buckets = stride(from: 0, to: values.count, by: width).map { from in
            let slice = values[from..<min(values.count, from + width)]
            return slice.reduce(0, +) / Double(slice.count)
        }
        let bucketTimes = stride(from: 0, to: values.count, by: width).map { times[$0] }
        let shifts = LevelShiftDetector().analyze(buckets, times: bucketTimes).shifts.filter { $0.kind == .level }
        return found.map { excursion in
            guard !excursion.expected else { return excursion }
            // A change within the excursion (give or take a bucket), in its direction, whose new level holds past the
            // excursion's end for at least as long again: a burst that falls back is a spike, not a level.
            let held = excursion.end + max(excursion.end - excursion.start + 1, 12)
            guard let at = shifts.firstIndex(where: { shift in
                let index = shift.index * width
                return index >= excursion.start - width && index <= excursion.end + width
                    && (shift.magnitude > 0) == (excursion.kind == .spike)
            }), (shifts.indices.contains(at + 1) ? shifts[at + 1].index * width : values.count) >= min(held, values.count)
            else { return excursion }
            let shift = shifts[at]
            var excursion = excursion
            excursion.kind = .levelShift
            excursion.size = shift.magnitude
            excursion.level = shift.meanBefore
            excursion.peak = shift.meanAfter
            return excursion
        }
    }

    /// The index of the time nearest `target` among `seconds[..<before]` (ascending).
    static func nearest(_ target: Double, in seconds: [Double], before: Int) -> Int {
        var (low, high) = (0, before)
        while low < high {
            let middle = (low + high) / 2
            if seconds[middle] < target { low = middle + 1 } else { high = middle }
        }
        if low >= before { return before - 1 }
        if low > 0, target - seconds[low - 1] < seconds[low] - target { return low - 1 }
        return low
    }

    static func median(_ values: [Double]) -> Double { Quantile.type7(sorted: values.sorted(), 0.5) ?? 0 }

    /// The median spacing of the times, seconds.
    public static func medianStep(_ times: [Date]) -> Double {
        median(zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }.filter { $0 > 0 })
    }
}
