import AssayBaseline
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayLatency
import AssayServing
import AssayStore
import Foundation

/// Where the watch's time comes from: the system's, or a test's that advances without sleeping.
public protocol WatchClock: Sendable {
    func now() -> Date
    func sleep(seconds: Double) async throws
}

/// The system clock.
public struct SystemClock: WatchClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(seconds: Double) async throws { try await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
}

/// `assay watch`: every interval, the latest window of requests held against the baseline, breaches escalated
/// when sustained, alerts delivered, the state saved.
public struct WatchLoop {
    /// Where the requests come from.
    public enum Source {
        /// A growing latency log (JSON lines).
        case log(path: String, display: String)
        /// An inference server's metrics, scraped each evaluation.
        case server(ServerWatch)
    }

    public var configuration: Configuration
    public var source: Source
    public var windowSeconds: Double
    public var intervalSeconds: Double
    public var statePath: String
    public var evaluations: Int?

    public init(configuration: Configuration, source: Source, windowSeconds: Double, intervalSeconds: Double, statePath: String, evaluations: Int?) {
        self.configuration = configuration
        self.source = source
        self.windowSeconds = windowSeconds
        self.intervalSeconds = intervalSeconds
        self.statePath = statePath
        self.evaluations = evaluations
    }

    var stages: [String] { configuration.latency?.stages ?? LatencyStages.defaults }
    var fields: [String: String] { configuration.latency?.fields ?? [:] }

    /// Runs until `evaluations` are done (or forever); returns 1 when an alert is firing at the end, else 0.
    /// `report` receives each evaluation; `warn` each line skipped or scrape or delivery that failed.
    public func run(
        baseline: WatchBaseline, clock: some WatchClock, report: (WatchEvaluation) -> Void, warn: (String) -> Void
    ) async throws -> Int32 {
        var watch = RegressionWatch(thresholds: configuration.thresholds, baseline: baseline, states: WatchStateFile.load(statePath))
        let notifier = AlertNotifier(
            alertmanagerURL: configuration.integrations.alertmanagerURL, webhooks: configuration.integrations.webhooks,
            service: configuration.service)
        var follower: LogFollower?
        var server: ServerWatch?
        var display = ""
        switch source {
        case .log(let path, let name):
            follower = LogFollower(path: path)
            display = name
        case .server(let watch):
            server = watch
        }
        var recent: [(time: Date, total: Double)] = []
        let started = clock.now()
        var count = 0
        while evaluations.map({ count < $0 }) ?? true {
            if count > 0 { try await clock.sleep(seconds: intervalSeconds) }
            count += 1
            let now = clock.now()
            let stats: WindowStats
            if var current = server {
                do {
                    stats = try await current.next(at: now)
                    server = current
                } catch let error as MetricsScrapeError {
                    warn(error.description)
                    continue
                }
            } else {
                try follower?.forEachNewLine { number, line in
                    guard let line else { return warn("\(display):\(number): longer than \(LogFollower.maxLineBytes) bytes (skipped)") }
                    do {
                        if let sample = try LatencyLog.sample(line: line, stages: stages, fields: fields) {
                            recent.append((sample.startedAt ?? now, sample.total))
                        }
                    } catch {
                        warn("\(display):\(number): \(error) (skipped)")
                    }
                }
                recent.removeAll { $0.time < now.addingTimeInterval(-windowSeconds) }
                let span = min(windowSeconds, now.timeIntervalSince(started) + intervalSeconds)
                stats = WindowStats(totals: recent.map(\.total), seconds: span)
            }
            let events = watch.evaluate(stats, at: now)
            do {
                try await notifier.deliver(events)
            } catch let error as AlertDeliveryError {
                warn(error.description)
            }
            try WatchStateFile.save(watch.states, to: statePath)
            report(WatchEvaluation(at: now, stats: stats, states: watch.states, events: events))
        }
        return watch.states.values.contains { $0.phase == .firing } ? 1 : 0
    }

    /// The baseline from a known-good log: its P95, mean and throughput.
    public static func baseline(log path: String, display: String, stages: [String], fields: [String: String]) throws -> WatchBaseline {
        try requireFile(path)
        let samples = try LatencyLog.read(path: path, displayPath: display, stages: stages, fields: fields)
        let stats = WindowStats(totals: samples.map(\.total), seconds: 0)
        let timed = samples.compactMap(\.startedAt)
        var throughput: Double?
        if let first = timed.min(), let last = timed.max(), last.timeIntervalSince(first) >= 1 {
            throughput = Double(timed.count) / last.timeIntervalSince(first)
        }
        return WatchBaseline(p95: stats.p95, mean: stats.mean, throughput: throughput)
    }

    /// The store's baseline of the total stage, as the audit computes it (`BaselineAnalyzer`: the window, cut at
    /// the latest change point, hour-of-week when the window allows).
    public static func baseline(store: any MetricHistory, configuration: Configuration, now: Date) async throws -> WatchBaseline {
        let analyzer = BaselineAnalyzer(thresholds: configuration.thresholds)
        let since = now.addingTimeInterval(-configuration.thresholds.baseline.windowDays * 86_400)
        func mean(_ metric: String) async throws -> Double? {
            analyzer.baseline(try await store.points(metric: metric, since: since), now: now)?.mean
        }
        let baseline = WatchBaseline(
            p95: try await mean("latency.total.p95_ms"), mean: try await mean("latency.total.mean_ms"),
            throughput: try await mean("latency.total.throughput_rps"))
        guard baseline.p95 != nil || baseline.mean != nil else {
            throw AppError(
                "no baseline: pass --baseline-log FILE, or audit at least \(configuration.thresholds.baseline.minRuns) times so the store holds one",
                code: ExitStatus.usage)
        }
        return baseline
    }
}

/// One evaluation of the watch, printed as a line of text or of JSON.
public struct WatchEvaluation: CommandOutput {
    public var at: Date
    public var stats: WindowStats
    public var states: [String: AlertState]
    public var events: [AlertEvent]

    struct Event: Encodable {
        var rule: String
        var kind: String
        var condition: String
    }

    enum CodingKeys: String, CodingKey {
        case at, count, states, events
        case throughput = "throughput_rps", p95 = "p95_ms", mean = "mean_ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(at.formatted(.iso8601), forKey: .at)
        try container.encode(stats.count, forKey: .count)
        try container.encode(stats.throughput, forKey: .throughput)
        try container.encodeIfPresent(stats.p95, forKey: .p95)
        try container.encodeIfPresent(stats.mean, forKey: .mean)
        try container.encode(states.mapValues(\.phase.rawValue), forKey: .states)
        try container.encode(events.map { Event(rule: $0.rule, kind: $0.kind.rawValue, condition: $0.condition) }, forKey: .events)
    }

    /// One JSON object on one line.
    public func jsonLine() throws -> String {
        String(decoding: try JSONCoding.encoder().encode(self), as: UTF8.self)
    }

    public func text() -> String {
        let phases = states.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.phase.rawValue)" }
        let p95 = stats.p95.map { Formatting.milliseconds($0) + " ms" } ?? "—"
        let mean = stats.mean.map { Formatting.milliseconds($0) + " ms" } ?? "—"
        let changes = events.filter { $0.kind != .stillFiring }.map { "\($0.kind.rawValue.uppercased()) \($0.rule): \($0.condition)" }
        return "\(at.formatted(.iso8601)) n=\(stats.count) P95 \(p95) mean \(mean) \(Formatting.number(stats.throughput, digits: 1)) req/s  \(phases.joined(separator: " "))"
            + (changes.isEmpty ? "" : "  " + changes.joined(separator: "; "))
    }

    public func markdown() -> String { text() }
}

/// The alert states, saved atomically after each evaluation, so a restarted watch continues them.
public enum WatchStateFile {
    public static func load(_ path: String) -> [String: AlertState] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONCoding.decoder().decode([String: AlertState].self, from: data)) ?? [:]
    }

    public static func save(_ states: [String: AlertState], to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let encoder = JSONCoding.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(states), to: path)
    }
}

/// Successive scrapes of an inference server, each pair a watch window.
public struct ServerWatch: Sendable {
    public var kind: InferenceServerKind
    public var model: String?
    public var scraper: MetricsScraper
    var previous: (time: Date, scrape: PrometheusExposition)?

    public init(kind: InferenceServerKind, model: String?, scraper: MetricsScraper) {
        self.kind = kind
        self.model = model
        self.scraper = scraper
    }

    /// The window since the previous scrape (empty on the first).
    public mutating func next(at now: Date) async throws -> WindowStats {
        let scrape = try PrometheusExposition(try await scraper.fetch(), source: scraper.url)
        defer { previous = (now, scrape) }
        guard let previous else { return WindowStats(count: 0, mean: nil, p95: nil, throughput: 0) }
        let seconds = now.timeIntervalSince(previous.time)
        let window = InferenceServerMetrics.window(kind: kind, model: model, before: previous.scrape, after: scrape, seconds: seconds)
        guard let total = window.figures("total") else { return WindowStats(count: 0, mean: nil, p95: nil, throughput: 0) }
        return WindowStats(
            count: Int(total.count), mean: total.meanMilliseconds, p95: total.p95?.value, throughput: window.throughputRPS ?? 0)
    }
}
