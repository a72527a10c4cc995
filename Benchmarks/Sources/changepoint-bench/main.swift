import AssayBaseline
import AssayCore
import Foundation

// Scores change-point detectors as the Turing Change Point Detection benchmark does (van den Burg & Williams,
// 2020): F1 with a margin of 5 points against every annotator, and covering, on all 31 annotated univariate series
// of TCPD (../shared/datasets/tcpd: every `<name>.json` and `annotations.json`), then on production-shaped
// families with known truth (AR(1) noise, a random walk, a step on a trend, heavy tails, a daily season).
// "no change", binary segmentation and PELT are computed here, in the same run, on the same data.
//
//   swift run -c release --package-path Benchmarks changepoint-bench [--dataset DIR] [--detail]
// (--detail prints each series' change points as found and as annotated)

let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let arguments = CommandLine.arguments
let root = arguments.firstIndex(of: "--dataset").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
    ?? benchmarks.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/datasets/tcpd").path

/// TCPD's format: `series[0].raw`, with null for a missing value; gaps filled by linear interpolation (the
/// annotations index the original rows).
func load(_ name: String) throws -> [Double] {
    struct File: Decodable {
        struct Series: Decodable { var raw: [Double?] }
        var series: [Series]
    }
    let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: "\(root)/\(name).json")))
    var values = file.series[0].raw.map { $0 ?? .nan }
    for index in values.indices where values[index].isNaN {
        let before = values[..<index].lastIndex { !$0.isNaN }
        let after = values[(index + 1)...].firstIndex { !$0.isNaN }
        switch (before, after) {
        case let (b?, a?): values[index] = values[b] + (values[a] - values[b]) * Double(index - b) / Double(a - b)
        case let (b?, nil): values[index] = values[b]
        case let (nil, a?): values[index] = values[a]
        default: values[index] = 0
        }
    }
    return values
}

/// Points of `truth` matched by a distinct point of `found` within `margin`.
func truePositives(_ truth: [Int], _ found: [Int], margin: Int = 5) -> Int {
    var used = Set<Int>()
    var count = 0
    for t in truth {
        if let match = found.filter({ abs($0 - t) <= margin && !used.contains($0) }).min(by: { abs($0 - t) < abs($1 - t) }) {
            used.insert(match)
            count += 1
        }
    }
    return count
}

/// TCPD's F1: precision against the union of the annotations, recall averaged over annotators; 0 counts as a
/// change point in every set.
func f1(_ annotations: [[Int]], _ found: [Int]) -> Double {
    let predicted = Array(Set([0] + found)).sorted()
    let union = Array(Set([0] + annotations.flatMap { $0 })).sorted()
    let precision = Double(truePositives(union, predicted)) / Double(predicted.count)
    let recall = annotations.map { Double(truePositives(Array(Set([0] + $0)).sorted(), predicted)) / Double(Set([0] + $0).count) }
        .reduce(0, +) / Double(annotations.count)
    return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
}

func partition(_ points: [Int], count: Int) -> [Range<Int>] {
    let bounds = Array(Set([0] + points.filter { $0 > 0 && $0 < count } + [count])).sorted()
    return zip(bounds, bounds.dropFirst()).map { $0..<$1 }
}

/// TCPD's covering, averaged over annotators.
func covering(_ annotations: [[Int]], _ found: [Int], count: Int) -> Double {
    let predicted = partition(found, count: count)
    return annotations.map { truth in
        partition(truth, count: count).reduce(0.0) { total, a in
            let best = predicted.map { b -> Double in
                let overlap = max(0, min(a.upperBound, b.upperBound) - max(a.lowerBound, b.lowerBound))
                let union = max(a.upperBound, b.upperBound) - min(a.lowerBound, b.lowerBound)
                return Double(overlap) / Double(union)
            }.max() ?? 0
            return total + Double(a.count) * best
        } / Double(count)
    }.reduce(0, +) / Double(annotations.count)
}


/// The reference methods, as R's changepoint package runs them by default for a change in mean and variance
/// (cpt.meanvar, Normal likelihood, MBIC-like penalty 3·log n, minimum segment 2): binary segmentation with at
/// most Q = 5 changes, and PELT.
struct NormalMeanVar {
    let prefix: [Double], squares: [Double], floor: Double
    init(_ values: [Double]) {
        var prefix = [0.0], squares = [0.0]
        for value in values {
            prefix.append(prefix[prefix.count - 1] + value)
            squares.append(squares[squares.count - 1] + value * value)
        }
        self.prefix = prefix
        self.squares = squares
        let mean = prefix[values.count] / Double(values.count)
        floor = max(1e-12, (squares[values.count] / Double(values.count) - mean * mean) * 1e-6)
    }
    func cost(_ a: Int, _ b: Int) -> Double {
        let n = Double(b - a), sum = prefix[b] - prefix[a]
        let variance = max(floor, (squares[b] - squares[a] - sum * sum / n) / n)
        return n * log(variance) + n
    }
    func binarySegmentation(count: Int, penalty: Double, maximum: Int = 5) -> [Int] {
        var found: [Int] = []
        var segments = [(0, count)]
        while found.count < maximum {
            var best: (segment: Int, index: Int, gain: Double)?
            for (position, (a, b)) in segments.enumerated() where b - a >= 4 {
                let whole = cost(a, b)
                for t in (a + 2)...(b - 2) {
                    let gain = whole - cost(a, t) - cost(t, b)
                    if gain > (best?.gain ?? 0) { best = (position, t, gain) }
                }
            }
            guard let best, best.gain > penalty else { break }
            let (a, b) = segments[best.segment]
            segments.replaceSubrange(best.segment...best.segment, with: [(a, best.index), (best.index, b)])
            found.append(best.index)
        }
        return found.sorted()
    }
    func pelt(count: Int, penalty: Double) -> [Int] {
        var best = [-penalty] + [Double](repeating: .infinity, count: count)
        var previous = [Int](repeating: 0, count: count + 1)
        var alive = [0]
        for t in 2...max(2, count) where t <= count {
            var value = Double.infinity, from = 0
            for s in alive where t - s >= 2 {
                let total = best[s] + cost(s, t) + penalty
                if total < value { value = total; from = s }
            }
            best[t] = value
            previous[t] = from
            alive = alive.filter { t - $0 < 2 || best[$0] + cost($0, t) <= value } + [t - 1]
        }
        var changes: [Int] = []
        var t = count
        while t > 0 { let s = previous[t]; if s > 0 { changes.append(s) }; t = s }
        return changes.sorted()
    }
}

let methods: [(String, ([Double]) -> [Int])] = [
    ("no change", { _ in [] }),
    ("assay", { LevelShiftDetector().analyze($0).shifts.map(\.index) }),
    ("binseg (Q=5)", { NormalMeanVar($0).binarySegmentation(count: $0.count, penalty: 3 * log(Double($0.count))) }),
    ("PELT", { NormalMeanVar($0).pelt(count: $0.count, penalty: 3 * log(Double($0.count))) }),
]

let annotations = try JSONDecoder().decode([String: [String: [Int]]].self, from: Data(contentsOf: URL(fileURLWithPath: root + "/annotations.json")))
print("TCPD, all \(annotations.count) annotated univariate series (\(root)): F1 / covering (change points found)")
print("series               n  most " + methods.map { $0.0.padding(toLength: 24, withPad: " ", startingAt: 0) }.joined())
var totals = [(f1: Double, cover: Double)](repeating: (0, 0), count: methods.count)
var overCounted: [String] = []
var details: [String] = []
for name in annotations.keys.sorted() {
    let values = try load(name)
    let truth = Array(annotations[name]!.values)
    let most = truth.map(\.count).max() ?? 0
    var cells = ""
    for (index, method) in methods.enumerated() {
        let found = method.1(values)
        let score = (f1(truth, found), covering(truth, found, count: values.count))
        totals[index].f1 += score.0
        totals[index].cover += score.1
        cells += String(format: "%.3f / %.3f (%3d)       ", score.0, score.1, found.count)
        if index == 1, arguments.contains("--detail") { details.append("\(name) [\(LevelShiftDetector().analyze(values).drift != nil ? "drift" : LevelShiftDetector().analyze(values).trend != nil ? "trend" : "level")]: assay \(found) vs \(truth.filter { !$0.isEmpty })") }
        if index == 1, found.count > 3 * most { overCounted.append("\(name): \(found.count) > 3 × \(most)") }
    }
    print(name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(values.count).leftPad(5) + String(most).leftPad(5) + "  " + cells)
}
let count = Double(annotations.count)
print("mean                        " + totals.map { String(format: "%.3f / %.3f              ", $0.f1 / count, $0.cover / count) }.joined())
print("series where assay reports more than 3 × the largest annotator's count: " + (overCounted.isEmpty ? "none" : overCounted.joined(separator: ", ")))
if !details.isEmpty { print("assay's change points against the annotators' (--detail):\n  " + details.joined(separator: "\n  ")) }

// Production-shaped families with known truth, 20 seeds each, 500 points (hourly for the season): F1 (margin 5, the
// truth as the one annotation) and the mean count of change points reported.
nonisolated(unsafe) var familyNoise = SplitMix64(seed: 33)
func normal() -> Double { familyNoise.nextGaussian() }
func studentT3() -> Double {
    let z = normal(), a = normal(), b = normal(), c = normal()
    return z / ((a * a + b * b + c * c) / 3).squareRoot()
}
let families: [(String, () -> (values: [Double], truth: [Int]))] = [
    ("AR(1) φ=0.7, 2 steps", {
        var noise = 0.0
        return ((0..<500).map { t in noise = 0.7 * noise + normal(); return (t >= 150 ? 3.0 : 0) - (t >= 350 ? 3.0 : 0) + noise }, [150, 350])
    }),
    ("random walk, no change", {
        var level = 0.0
        return ((0..<500).map { _ in level += normal(); return level }, [])
    }),
    ("step on a trend", { ((0..<500).map { 0.05 * Double($0) + ($0 >= 250 ? 4 : 0) + normal() }, [250]) }),
    ("heavy tails (t3), 1 step", { ((0..<500).map { ($0 >= 250 ? 3 : 0) + studentT3() }, [250]) }),
    ("daily season, 1 step", {
        ((0..<500).map { 10 + 3 * sin(2 * Double.pi * Double($0 % 24) / 24) + ($0 >= 300 ? 2 : 0) + 0.7 * normal() }, [300])
    }),
]
let hourlyTimes = (0..<500).map { Date(timeIntervalSince1970: 1_800_000_000 + Double($0) * 3600) }
print("\nProduction-shaped families, 20 seeds each: mean F1 (mean change points reported)")
print("family                       " + methods.map { $0.0.padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
for (name, make) in families {
    var scores = [(f1: Double, count: Double)](repeating: (0, 0), count: methods.count)
    for _ in 0..<20 {
        let (values, truth) = make()
        for (index, method) in methods.enumerated() {
            // The detector is given the times, as the baseline layer does; the references take the values.
            let found = index == 1 ? LevelShiftDetector().analyze(values, times: hourlyTimes).shifts.map(\.index) : method.1(values)
            scores[index].f1 += f1([truth], found) / 20
            scores[index].count += Double(found.count) / 20
        }
    }
    print(name.padding(toLength: 29, withPad: " ", startingAt: 0) + scores.map { String(format: "%.3f (%5.1f)     ", $0.f1, $0.count) }.joined())
}

// The cases users met: a week of per-minute P95 with a daily cycle (±6 ms) and one +7 ms step, as hourly means and
// per minute; a steady trend with noise.
var generator = SplitMix64(seed: 20)
let start = Date(timeIntervalSince1970: 1_800_000_000)
let minutes = (0..<(7 * 1440)).map { minute -> (Date, Double) in
    let time = start.addingTimeInterval(Double(minute) * 60)
    let daily = 6 * sin(2 * Double.pi * Double(minute % 1440) / 1440)
    return (time, 40 + daily + (minute >= 4 * 1440 + 600 ? 7 : 0) + 1.5 * generator.nextGaussian())
}
let hourly = stride(from: 0, to: minutes.count, by: 60).map { start -> (Date, Double) in
    (minutes[start].0, minutes[start..<(start + 60)].map(\.1).reduce(0, +) / 60)
}
let stepHour = (4 * 1440 + 600) / 60
print("\nSeasonal P95 (7 days, daily ±6 ms cycle, +7 ms step at hour \(stepHour))")
for (label, series) in [("hourly means", hourly), ("per minute", minutes)] {
    let ours = LevelShiftDetector().analyze(series.map(\.1), times: series.map(\.0))
    let otava = ChangePointDetector().changePoints(series.map(\.1))
    print("  \(label): assay \(ours.shifts.map(\.index)) (season: \(ours.season?.name ?? "none")); E-divisive (Otava defaults) \(otava.count) change points")
}
let trend = (0..<816).map { 100 + 0.5 * Double($0) + 3 * generator.nextGaussian() }
let trendResult = LevelShiftDetector().analyze(trend)
print(String(format: "\nSteady trend (816 points, +0.5/point): assay %d level changes, trend %.3f [%.3f, %.3f] per point; E-divisive (Otava defaults) %d change points",
    trendResult.shifts.count, trendResult.trend?.slopePerPoint ?? 0, trendResult.trend?.low ?? 0, trendResult.trend?.high ?? 0,
    ChangePointDetector().changePoints(trend).count))

let long = (0..<100_000).map { 2 * Double($0 / 10_000) + generator.nextGaussian() }
let started = ContinuousClock.now
let found = LevelShiftDetector().analyze(long).shifts.count
print("100,000 points with 9 steps of 2σ: \(found) found in \(ContinuousClock.now - started)")

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
