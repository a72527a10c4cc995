import AssayCore
import AssayProfiling
import AssayTelemetry
import Foundation

// Scores anomaly detectors on the labelled series of ../shared/datasets/nab-dev (24 series of the Numenta Anomaly
// Benchmark: real AWS CloudWatch metrics, real known-cause incidents, artificial series; MIT licence), the way the
// issue asks and beside the detectors NAB's authors published, all in one run:
// - the first 15% of each file is NAB's probationary period: no detector is scored there;
// - an alarm is a point flagged anomalous (for the published detectors, a score at or above their `standard`
//   threshold in thresholds.json); the first of a run of alarmed points is one alarm onset;
// - windows found: labelled windows (windows.json) with at least one onset inside;
// - false alarms: onsets outside every window, per host-week (each series is one host);
// - precision: onsets inside a window over all onsets; F1 of precision and the share of windows found.
// Assay's detector is `HostNormal.excursions`, as shipped (marked) and with every threshold scaled, so the figures
// show its curve; then the audit's own rows (every event that is not routine) on the series that are percentages.
//
//   swift run -c release --package-path Benchmarks anomaly-bench [--dataset DIR]

let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let arguments = CommandLine.arguments
let root = arguments.firstIndex(of: "--dataset").flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
    ?? benchmarks.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/datasets/nab-dev").path

let formatter: DateFormatter = {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter
}()

func date(_ text: Substring) -> Date {
    guard let date = formatter.date(from: String(text.prefix(19))) else { fatalError("\(root): not a NAB time: \(text)") }
    return date
}

/// `timestamp,<value>` rows after the header; a row that is not one stops the run, naming the file and line.
func rows(_ text: String, path: String) -> [(Date, Double)] {
    text.split(whereSeparator: \.isNewline).enumerated().dropFirst().map { number, line in
        let fields = line.split(separator: ",")
        guard fields.count >= 2, let value = Double(fields[1]) else { fatalError("\(path):\(number + 1): expected timestamp,number: \(line)") }
        return (date(fields[0]), value)
    }
}

struct Series {
    var name: String
    var times: [Date]
    var values: [Double]
    var windows: [(Date, Date)]
    /// The first scored point (after the probationary 15%).
    var scoredFrom: Int { Int(Double(times.count) * 0.15) }
    var weeks: Double { (times.last!.timeIntervalSince(times[scoredFrom])) / (7 * 86_400) }
}

struct Score {
    var found = 0, windows = 0, inside = 0, outside = 0, weeks = 0.0
    var precision: Double { inside + outside == 0 ? 0 : Double(inside) / Double(inside + outside) }
    var recall: Double { windows == 0 ? 0 : Double(found) / Double(windows) }
    var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    var line: String {
        String(format: "%2d of %2d windows  %6.2f false alarms/host-week  precision %.3f  F1 %.3f", found, windows, Double(outside) / weeks, precision, f1)
    }

    mutating func add(_ series: Series, onsets: [Int]) {
        let scored = onsets.filter { $0 >= series.scoredFrom }
        windows += series.windows.count
        found += series.windows.filter { window in scored.contains { series.times[$0] >= window.0 && series.times[$0] <= window.1 } }.count
        for onset in scored {
            if series.windows.contains(where: { series.times[onset] >= $0.0 && series.times[onset] <= $0.1 }) { inside += 1 } else { outside += 1 }
        }
        weeks += series.weeks
    }
}

/// Onsets of runs of alarmed points.
func onsets(_ alarmed: [Bool]) -> [Int] {
    alarmed.indices.filter { alarmed[$0] && ($0 == 0 || !alarmed[$0 - 1]) }
}

let windowsFile = try JSONDecoder().decode([String: [[String]]].self, from: Data(contentsOf: URL(fileURLWithPath: root + "/windows.json")))
var corpus: [Series] = []
for name in windowsFile.keys.sorted() {
    let data = rows(try String(contentsOfFile: root + "/data/" + name, encoding: .utf8), path: root + "/data/" + name)
    corpus.append(Series(
        name: name, times: data.map(\.0), values: data.map(\.1),
        windows: windowsFile[name]!.map { (date(Substring($0[0])), date(Substring($0[1]))) }))
}
let weeks = corpus.map(\.weeks).reduce(0, +)
print("NAB development set (\(root)): \(corpus.count) series, \(corpus.map(\.windows.count).reduce(0, +)) labelled windows, "
    + String(format: "%.1f host-weeks scored (after each file's probationary 15%%)", weeks))

// The published detectors, as NAB's authors ran them, at their `standard` thresholds.
struct Thresholds: Decodable { struct Profile: Decodable { var threshold: Double }; var standard: Profile }
let thresholds = try JSONDecoder().decode([String: Thresholds].self, from: Data(contentsOf: URL(fileURLWithPath: root + "/thresholds.json")))
let detectors = try FileManager.default.contentsOfDirectory(atPath: root + "/results").sorted()
var table: [(String, Score)] = []
for detector in detectors {
    guard let threshold = thresholds[detector]?.standard.threshold else { continue }
    var score = Score()
    for series in corpus {
        let parts = series.name.split(separator: "/")
        let path = "\(root)/results/\(detector)/\(parts[0])/\(detector)_\(parts[1]).gz"
        let bytes = try Gzip.decompress(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let scores = rows(String(decoding: bytes, as: UTF8.self), path: path).map(\.1)
        guard scores.count == series.values.count else { fatalError("\(path): \(scores.count) scores for \(series.values.count) points") }
        score.add(series, onsets: onsets(scores.map { $0 >= threshold }))
    }
    table.append((detector, score))
}

// Assay: the alarms of each host's normal (`HostNormal`), as shipped and with every threshold scaled, so the
// figures show its curve around the default.
var elapsed = Duration.zero
var shipped: [String: [Int]] = [:]
for factor in [0.8, 0.9, 1.0, 1.1, 1.25] {
    var normal = HostNormal()
    normal.rules = normal.rules.map { HostNormal.Rule($0.reference, smoothingPoints: $0.smoothingPoints, threshold: $0.threshold * factor) }
    var score = Score()
    for series in corpus {
        let clock = ContinuousClock.now
        let onsets = normal.excursions(series.values, times: series.times).filter { !$0.expected }.map(\.start)
        if factor == 1 {
            elapsed += ContinuousClock.now - clock
            shipped[series.name] = onsets
        }
        score.add(series, onsets: onsets)
    }
    table.append((factor == 1 ? "assay (shipped) *" : String(format: "assay (thresholds ×%.2f)", factor), score))
}
// The audit's own rows on the series whose values are percentages (0–100), read as a host's CPU: every event it
// raises that is not routine (CPU Spike, Resource Anomalies, Sustained Load, utilization breaches) is an alarm.
let percent = corpus.filter { $0.values.allSatisfy { (0...100).contains($0) } }
var rows = Score()
var model = Score()
for series in percent {
    let step = series.times.count > 1 ? series.times[1].timeIntervalSince(series.times[0]) : 300
    let points = zip(series.times, series.values).map { ResourcePoint(time: $0.0, intervalSeconds: step, cpuPercent: $0.1) }
    let findings = ResourceAnalyzer(thresholds: AssayCore.Thresholds().resources).findings(points, evidence: Evidence(path: series.name, sha256: String(repeating: "0", count: 64)))
    let events = findings.flatMap { (finding: Finding) in finding.events }.filter { $0.expected != true }
    rows.add(series, onsets: events.map { event in series.times.firstIndex { $0 > event.start } ?? series.times.count - 1 })
    model.add(series, onsets: shipped[series.name] ?? [])
}
print("On the \(percent.count) series of percentages read as CPU (\(percent.map(\.windows.count).reduce(0, +)) windows):")
print("  the audit's rows, every event  " + rows.line)
print("  HostNormal alone               " + model.line)
for (name, score) in table.sorted(by: { $0.1.f1 > $1.1.f1 }) {
    print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + score.line)
}
print("* the defaults Assay ships; " + String(format: "%.2f s for the %d series (%d points)", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, corpus.count, corpus.map(\.values.count).reduce(0, +)))
