import AssayCore
import AssayTelemetry
import Foundation

// Calibrates the resource anomaly detectors on recordings made with `assay telemetry record` on a real host:
// spike recall on injected bursts, false alarms per hour on the untouched recordings, GPU memory growth decisions
// for leaks and warm-ups, Theil–Sen against scipy.stats.theilslopes, and the time of a day's analysis.
//
//   swift run -c release --package-path Benchmarks anomaly-calibration [RECORDING.jsonl …]
// With no argument it reads Benchmarks/recordings/*.jsonl.

let recordingsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("recordings").path
let arguments = Array(CommandLine.arguments.dropFirst())
let recordings = arguments.isEmpty
    ? ((try? FileManager.default.contentsOfDirectory(atPath: recordingsDirectory)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
        .map { recordingsDirectory + "/" + $0 }
    : arguments
let thresholds = Thresholds().resources

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// The alarms of the CPU Spike row as an audit reports them (each host's normal once known, the seed's rule before
/// it); rises the host's normal calls routine are not alarms.
struct Alarm { var start: Date; var end: Date; var peak: Double; var rise: Double; var seconds: Double { end.timeIntervalSince(start) } }
func spikes(_ series: [(Date, Double, Double)]) -> [Alarm] {
    let points = series.map { ResourcePoint(time: $0.0, intervalSeconds: $0.2, cpuPercent: $0.1) }
    let row = ResourceAnalyzer(thresholds: thresholds).findings(points, evidence: Evidence(path: "recording", sha256: String(repeating: "0", count: 64)))
        .first { $0.check == "CPU Spike" }
    return (row?.events ?? []).filter { $0.expected != true }.map { Alarm(start: $0.start, end: $0.end, peak: $0.peak ?? 0, rise: $0.rise ?? 0) }
}

print("CPU Spike alarms as the audit reports them: outside the host's normal, rising > \(Int(thresholds.spikeRisePercent))% of the level, once the normal is known; before, > \(Int(thresholds.spikeRisePercent)) points over the median of the previous 10 samples, \(thresholds.spikePersistenceSamples)+ samples")
print("recording                      samples  hours  alarms untouched  per hour  injected  found  recall   detectable  recall")
var quietAlarms = 0
var quietRecall: [Double] = []
for path in recordings {
    let points = try TelemetryLog.read(path: path)
    let series = points.compactMap { p in p.cpuPercent.map { (p.time, $0, p.intervalSeconds) } }
    let hours = series.map(\.2).reduce(0, +) / 3600
    let untouched = spikes(series)
    // Twenty trials of ten bursts each, at random times and sizes: rises of 25–60 points for 5–60 s.
    var generator = SplitMix64(seed: 2026)
    var injected = 0
    var found = 0
    var detectable = 0
    var foundDetectable = 0
    for _ in 0..<20 {
        var trial = series
        var bursts: [(Int, Int)] = []
        var detectableStarts = Set<Int>()
        let slot = series.count / 10
        for burst in 0..<10 {
            let length = Int.random(in: 5...60, using: &generator)
            guard slot > length + 40 else { continue }
            let start = burst * slot + 20 + Int.random(in: 0..<(slot - length - 30), using: &generator)
            let rise = Double.random(in: 25...60, using: &generator)
            // A burst lands on top of what the host was doing, capped at 100%.
            for index in start..<min(series.count, start + length) { trial[index].1 = min(100, trial[index].1 + rise) }
            bursts.append((start, start + length))
            // On a saturated host the capped burst may not rise 20 points: count those apart.
            let end = min(series.count, start + length)
            let effective = (start..<end).map { trial[$0].1 - series[$0].1 }.sorted()
            if effective[effective.count / 2] > thresholds.spikeRisePercent + 2 { detectableStarts.insert(start) }
        }
        let events = spikes(trial)
        for (start, end) in bursts {
            injected += 1
            let from = series[start].0.addingTimeInterval(-series[start].2), to = series[end - 1].0
            let hit = events.contains(where: { $0.start <= to && $0.end >= from })
            if hit { found += 1 }
            if detectableStarts.contains(start) {
                detectable += 1
                if hit { foundDetectable += 1 }
            }
        }
    }
    let recall = Double(found) / Double(max(injected, 1)) * 100
    let name = URL(fileURLWithPath: path).lastPathComponent
    if name.contains("quiet") {
        quietAlarms += untouched.count
        quietRecall.append(recall)
    }
    print(
        "\(name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(String(series.count).leftPad(7)) \(String(format: "%6.2f", hours))  \(String(untouched.count).leftPad(16))  \(String(format: "%8.1f", Double(untouched.count) / max(hours, 1e-9)))  \(String(injected).leftPad(8))  \(String(found).leftPad(5))  \(String(format: "%5.1f%%", recall))  \(String(detectable).leftPad(10))  \(String(format: "%5.1f%%", Double(foundDetectable) / Double(max(detectable, 1)) * 100))")
    for event in untouched.prefix(5) {
        print("    untouched alarm: +\(Int(event.rise)) points to \(Int(event.peak))% for \(Int(event.seconds)) s at \(event.start.formatted(.iso8601))")
    }
}

// GPU memory growth: three hours at 10 s of a card with 80 GiB, 30 GiB in use at the start, allocator jitter of
// ±128 MiB; leaks of 2, 6 and 10% of the memory in use per hour, and warm-ups that fill 30 GiB and plateau.
print("\nGPU memory growth (limit \(Int(thresholds.gpuMemoryGrowthPercentPerHour))%/h of the memory in use), 3 h at 10 s, 80 GiB card")
print("case                                  flagged  measured %/h   MiB/h   time to exhaustion")
var generator = SplitMix64(seed: 11)
var scipyInput: [String] = []
let cases: [(String, Bool, (Double) -> Double)] = [
    ("leak 2%/h", false, { 30_720 * (1 + 0.02 * $0) }),
    ("leak 6%/h", true, { 30_720 * (1 + 0.06 * $0) }),
    ("leak 10%/h", true, { 30_720 * (1 + 0.10 * $0) }),
    ("warm-up 15 min, plateau", false, { min(30_720, 30_720 * $0 / 0.25) }),
    ("warm-up 45 min, plateau", false, { min(30_720, 30_720 * $0 / 0.75) }),
    ("warm-up 90 min, plateau", false, { min(30_720, 30_720 * $0 / 1.5) }),
    ("sawtooth (cache fill and free)", false, { 30_720 + 4096 * ($0 * 12).truncatingRemainder(dividingBy: 1) }),
]
var correct = 0
for (name, leak, used) in cases {
    let points = (0...1080).map { step -> ResourcePoint in
        let hours = Double(step) * 10 / 3600
        var point = ResourcePoint(time: Date(timeIntervalSince1970: 1_800_000_000 + Double(step) * 10), intervalSeconds: 10, cpuPercent: 20)
        let jitter = Double(generator.next() % 257) - 128
        point.attach([GPUReading(index: 0, utilizationPercent: 80, memoryUsedMiB: used(hours) + jitter, memoryTotalMiB: 81_920)])
        return point
    }
    let finding = ResourceAnalyzer(thresholds: thresholds).findings(points, evidence: Evidence(path: "synthetic", sha256: String(repeating: "0", count: 64)))
        .first { $0.check == "GPU Memory Growth" }
    let flagged = finding?.status == .breach
    if flagged == leak { correct += 1 }
    let m = finding?.measurements ?? [:]
    let exhaustion = m["hours_to_exhaustion"].map { String(format: "%.0f h", $0) } ?? "—"
    print("\(name.padding(toLength: 37, withPad: " ", startingAt: 0)) \((flagged ? "yes" : "no").padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(format: "%12.2f", m["percent_per_hour"] ?? 0)) \(String(format: "%7.0f", m["per_hour"] ?? 0))   \(exhaustion)\(flagged == leak ? "" : "   WRONG")")
    if name == "leak 6%/h" {
        scipyInput = points.dropFirst(points.count / 10).map { "\($0.time.timeIntervalSince1970),\($0.gpuDevices?.first?.memoryUsedMiB ?? 0)" }
    }
}
print("decisions correct: \(correct) of \(cases.count)")

// Theil–Sen and Sen's CI95 against scipy.stats.theilslopes on the 6%/h leak past its warm-up, and the time of each.
let csv = FileManager.default.temporaryDirectory.appendingPathComponent("assay-theilsen-\(getpid()).csv").path
try scipyInput.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
let series = scipyInput.map { line -> (Double, Double) in
    let parts = line.split(separator: ",").compactMap { Double($0) }
    return (parts[0], parts[1])
}
var ours: (Double, Double, Double) = (0, 0, 0)
let oursSeconds = seconds { for _ in 0..<10 { ours = TheilSen.interval(series) } } / 10
let script = """
    import sys, time, numpy as np
    from scipy.stats import theilslopes
    d = np.loadtxt(sys.argv[1], delimiter=",")
    t0 = time.perf_counter()
    for _ in range(10): r = theilslopes(d[:, 1], d[:, 0], 0.95)
    print(r[0] * 3600, r[2] * 3600, r[3] * 3600, (time.perf_counter() - t0) / 10)
    """
let process = Process()
process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
process.arguments = ["python3", "-c", script, csv]
let pipe = Pipe()
process.standardOutput = pipe
if (try? process.run()) != nil {
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let values = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    if values.count == 4 {
        print(String(format: "\nTheil–Sen, 6%%/h leak (%d points): assay %.1f MiB/h [%.1f, %.1f] in %.4f s; scipy.stats.theilslopes %.1f MiB/h [%.1f, %.1f] in %.4f s; ratio %.1f×",
            series.count, ours.0 * 3600, ours.1 * 3600, ours.2 * 3600, oursSeconds, values[0], values[1], values[2], values[3], values[3] / oursSeconds))
    } else {
        print("\nscipy.stats.theilslopes: not run (python3 with scipy and numpy is needed)")
    }
}
try? FileManager.default.removeItem(atPath: csv)

// A day at 1 Hz through the whole analyzer.
let day = (0..<86_400).map { second -> ResourcePoint in
    var point = ResourcePoint(
        time: Date(timeIntervalSince1970: 1_800_000_000 + Double(second)), intervalSeconds: 1, cpuPercent: 5 + Double(second % 17), memoryPercent: 40)
    point.memoryTotalMiB = 24_000
    return point
}
// Five runs: the median, and the range (a 2-core machine's timings vary by a third from run to run).
let dayRuns = (0..<5).map { _ in
    seconds { _ = ResourceAnalyzer(thresholds: thresholds).findings(day, evidence: Evidence(path: "day", sha256: String(repeating: "0", count: 64))) }
}.sorted()
print(String(format: "A day at 1 Hz (86,400 samples) through every detector: %.3f s (median of 5; %.3f–%.3f)", dayRuns[2], dayRuns[0], dayRuns[4]))
let dayCPU = day.compactMap(\.cpuPercent)
let dayTimes = day.map(\.time)
let normalSeconds = seconds { _ = HostNormal().judge(dayCPU, times: dayTimes) }
print(String(format: "of which each host's normal (HostNormal) on its CPU: %.3f s", normalSeconds))
print("\nquiet recordings: \(quietAlarms) alarm(s) untouched; recall \(quietRecall.map { String(format: "%.1f%%", $0) }.joined(separator: ", "))")

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
