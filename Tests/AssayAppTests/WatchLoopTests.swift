import AssayApp
import AssayBaseline
import AssayConfig
import AssayCore
import AssayStore
import AssayTestSupport
import Foundation
import Synchronization
import Testing

/// A clock that advances when slept on, appending requests to the followed log first.
final class SimulatedClock: WatchClock {
    let time: Mutex<Date>
    let onSleep: @Sendable (Date) throws -> Void

    init(start: Date, onSleep: @escaping @Sendable (Date) throws -> Void) {
        time = Mutex(start)
        self.onSleep = onSleep
    }

    func now() -> Date { time.withLock { $0 } }

    func sleep(seconds: Double) async throws {
        let next = time.withLock { now in
            now = now.addingTimeInterval(seconds)
            return now
        }
        try onSleep(next)
    }
}

@Suite struct WatchLoopTests {
    /// `count` requests of `totalMs` each, started at `at`, as JSON lines.
    static func requests(_ count: Int, totalMs: Double, at: Date) -> String {
        (0..<count).map { i in
            #"{"request_id":"r\#(i)","started_at":"\#(at.formatted(.iso8601))","preprocess_ms":1,"inference_ms":\#(totalMs - 2),"postprocess_ms":1,"total_ms":\#(totalMs)}"#
                + "\n"
        }.joined()
    }

    static func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    /// A slow service escalates to firing after the 180 s sustain window, in simulated time: 14 evaluations 15 s
    /// apart run without sleeping.
    @Test func aSustainedBreachFiresAfterTheSustainWindowWithoutSleeping() async throws {
        let directory = try TestFiles.temporaryDirectory("assay-watch-loop")
        let log = directory + "/latency.jsonl"
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try AtomicFile.write(Array(Self.requests(30, totalMs: 90, at: start).utf8), to: log)
        let clock = SimulatedClock(start: start) { now in try Self.append(Self.requests(30, totalMs: 90, at: now), to: log) }
        let configuration = Configuration(path: directory + "/assay.yaml", root: directory)
        let loop = WatchLoop(
            configuration: configuration, source: .log(path: log, display: "latency.jsonl"), windowSeconds: 60, intervalSeconds: 15,
            statePath: directory + "/state.json", evaluations: 14)
        var evaluations: [WatchEvaluation] = []
        var warnings: [String] = []
        let began = ContinuousClock.now
        let code = try await loop.run(
            baseline: WatchBaseline(p95: 40, mean: 40, throughput: nil), clock: clock, report: { evaluations.append($0) },
            warn: { warnings.append($0) })
        #expect(ContinuousClock.now - began < .seconds(5))
        #expect(code == 1)
        #expect(warnings.isEmpty)
        #expect(evaluations.count == 14)
        let phases = evaluations.map { $0.states["p95_over_baseline"]?.phase }
        #expect(phases.first == .pending)
        let firstFiring = try #require(phases.firstIndex(of: .firing))
        #expect(evaluations[firstFiring].at.timeIntervalSince(start) == 180)
        #expect(evaluations[firstFiring].events.contains { $0.kind == .firing && $0.rule == "p95_over_baseline" })
        #expect(WatchStateFile.load(directory + "/state.json")["p95_over_baseline"]?.phase == .firing)
    }

    /// A line the log reader cannot parse is named with its line number, and the watch goes on.
    @Test func anUnreadableLineIsNamedAndSkipped() async throws {
        let directory = try TestFiles.temporaryDirectory("assay-watch-bad-line")
        let log = directory + "/latency.jsonl"
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try AtomicFile.write(Array((Self.requests(2, totalMs: 10, at: start) + "{not json\n").utf8), to: log)
        let loop = WatchLoop(
            configuration: Configuration(path: directory + "/assay.yaml", root: directory), source: .log(path: log, display: "latency.jsonl"),
            windowSeconds: 60, intervalSeconds: 15, statePath: directory + "/state.json", evaluations: 1)
        var warnings: [String] = []
        var counts: [Int] = []
        _ = try await loop.run(
            baseline: WatchBaseline(p95: 40, mean: 40, throughput: nil), clock: SimulatedClock(start: start) { _ in },
            report: { counts.append($0.stats.count) }, warn: { warnings.append($0) })
        #expect(counts == [2])
        #expect(warnings.count == 1 && warnings[0].hasPrefix("latency.jsonl:3: "))
    }

    /// The store baseline is the audit's: after a level shift the watch holds windows against the new level,
    /// not the mean of both.
    @Test func theStoreBaselineIsReBasedAtAChangePointAsTheAuditDoes() async throws {
        let directory = try TestFiles.temporaryDirectory("assay-watch-baseline")
        let store = try Store(path: directory + "/assay.sqlite")
        let now = Date()
        let before: [Double] = (0..<10).map { 20 + Double($0 % 3) / 10 }
        let after: [Double] = (0..<10).map { 40 + Double($0 % 3) / 10 }
        let values = before + after
        let points = values.enumerated().map { index, value in
            MetricPoint(metric: "latency.total.p95_ms", value: value, recordedAt: now.addingTimeInterval(Double(index - 20) * 3600), runID: "run-\(index)")
        }
        try store.saveMetrics(points)
        let configuration = Configuration(path: directory + "/assay.yaml", root: directory)
        let baseline = try await WatchLoop.baseline(store: store, configuration: configuration, now: now)
        let p95 = try #require(baseline.p95)
        #expect(abs(p95 - 40.1) < 0.2, "baseline \(p95): the plain mean would be about 30")
        let analyzer = BaselineAnalyzer(thresholds: configuration.thresholds)
        #expect(analyzer.baseline(points, now: now)?.mean == p95)
        await store.close()
    }

    /// Without enough history the watch refuses to start rather than compare against nothing.
    @Test func noHistoryIsAUsageErrorThatSaysWhatToDo() async throws {
        let directory = try TestFiles.temporaryDirectory("assay-watch-empty")
        let store = try Store(path: directory + "/assay.sqlite")
        let configuration = Configuration(path: directory + "/assay.yaml", root: directory)
        let error = await #expect(throws: AppError.self) { try await WatchLoop.baseline(store: store, configuration: configuration, now: Date()) }
        #expect(error?.exitCode == ExitStatus.usage)
        #expect(error?.message.contains("--baseline-log") == true)
        await store.close()
    }
}
