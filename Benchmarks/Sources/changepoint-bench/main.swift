import AssayBaseline
import AssayCore
import Foundation

// Scores change-point detectors as the Turing Change Point Detection benchmark does (van den Burg & Williams,
// 2020): F1 with a margin of 5 points against every annotator, and covering, on annotated real series from TCPD
// (Benchmarks/changepoints/tcpd, MIT-licensed annotations) and on the seasonal and trend cases users met.
//
//   swift run -c release --package-path Benchmarks changepoint-bench

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("changepoints/tcpd").path

/// Values one per line; `nan` gaps filled by linear interpolation (the annotations index the original rows).
func load(_ name: String) throws -> [Double] {
    let raw = try String(contentsOfFile: "\(root)/\(name).txt", encoding: .utf8).split(separator: "\n").map { Double($0) ?? .nan }
    var values = raw
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

let methods: [(String, ([Double]) -> [Int])] = [
    ("no change", { _ in [] }),
    ("assay (level shifts)", { LevelShiftDetector().analyze($0).shifts.map(\.index) }),
    ("binseg BIC", { LevelShiftDetector(penalty: 1, minimumShift: 0, minimumSegment: 2).segment($0, noise: LevelShiftDetector.noiseEstimate($0)).map(\.index) }),
    ("E-divisive (Otava)", { ChangePointDetector(windowLength: 30, maxPValue: 0.05).changePoints($0).map(\.index) }),
]

let annotations = try JSONDecoder().decode([String: [String: [Int]]].self, from: Data(contentsOf: URL(fileURLWithPath: root + "/annotations.json")))
print("Annotated real series (TCPD), F1 / covering")
print("series               n   " + methods.map { $0.0.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined())
var totals = [(f1: Double, cover: Double)](repeating: (0, 0), count: methods.count)
for name in annotations.keys.sorted() {
    let values = try load(name)
    let truth = Array(annotations[name]!.values)
    var cells = ""
    for (index, method) in methods.enumerated() {
        let found = method.1(values)
        let score = (f1(truth, found), covering(truth, found, count: values.count))
        totals[index].f1 += score.0
        totals[index].cover += score.1
        cells += String(format: "%.3f / %.3f (%2d)     ", score.0, score.1, found.count)
    }
    print(name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(values.count).leftPad(5) + "   " + cells)
}
let count = Double(annotations.count)
print("mean                      " + totals.map { String(format: "%.3f / %.3f          ", $0.f1 / count, $0.cover / count) }.joined())

// The cases users met: a week of per-minute P95 with a daily cycle (±6 ms) and one +7 ms step, as hourly means and
// per minute; a steady trend with noise.
var generator = SplitMix64(seed: 20)
func gaussian(_ generator: inout SplitMix64) -> Double {
    let u = max(1e-12, Double(generator.next() % 1_000_000) / 1_000_000), v = Double(generator.next() % 1_000_000) / 1_000_000
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
}
let start = Date(timeIntervalSince1970: 1_800_000_000)
let minutes = (0..<(7 * 1440)).map { minute -> (Date, Double) in
    let time = start.addingTimeInterval(Double(minute) * 60)
    let daily = 6 * sin(2 * Double.pi * Double(minute % 1440) / 1440)
    return (time, 40 + daily + (minute >= 4 * 1440 + 600 ? 7 : 0) + 1.5 * gaussian(&generator))
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
let trend = (0..<816).map { 100 + 0.5 * Double($0) + 3 * gaussian(&generator) }
let trendResult = LevelShiftDetector().analyze(trend)
print(String(format: "\nSteady trend (816 points, +0.5/point): assay %d level changes, trend %.3f [%.3f, %.3f] per point; E-divisive (Otava defaults) %d change points",
    trendResult.shifts.count, trendResult.trend?.slopePerPoint ?? 0, trendResult.trend?.low ?? 0, trendResult.trend?.high ?? 0,
    ChangePointDetector().changePoints(trend).count))

let long = (0..<100_000).map { 2 * Double($0 / 10_000) + gaussian(&generator) }
let started = ContinuousClock.now
let found = LevelShiftDetector().analyze(long).shifts.count
print("100,000 points with 9 steps of 2σ: \(found) found in \(ContinuousClock.now - started)")

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
