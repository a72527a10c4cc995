import ArgumentParser
import AssayBaseline
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayLatency
import AssayServing
import AssayStore
import Foundation

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate the regression rules continuously on a growing latency log; escalate sustained breaches.",
        discussion: """
            Every --interval seconds, the requests of the last --window seconds (by their started_at, else by when \
            they were read) give P95, mean and throughput, held against the baseline: --baseline-log, else the \
            store's rolling baseline of latency.total.*. A breach is pending at once and fires when it has held for \
            regression.escalate_after_seconds (180 s), judged at the next evaluation; it resolves at the first window \
            within bounds. Firing alerts go to integrations.alertmanager (API v2, re-sent each evaluation) and \
            integrations.webhooks (on firing and on resolve). The state is saved after every evaluation, so a \
            restarted watch continues pending and firing alerts. Prints one line per evaluation. With --server-url \
            instead of --log, each evaluation scrapes the server's /metrics and its window is the time since the \
            previous scrape: the total stage's Δduration / Δrequests gives the mean, its histogram (vLLM) or \
            summary (Triton) the P95, and Δrequests / seconds the throughput.
            """)

    func validate() throws {
        guard window > 0, interval > 0 else { throw ValidationError("--window and --interval must be > 0") }
        guard (log == nil) != (serverURL == nil) else { throw ValidationError("pass either --log FILE or --server-url URL") }
        if serverURL != nil {
            guard let serverKind, InferenceServerKind(rawValue: serverKind) != nil else {
                throw ValidationError("--server-kind: one of triton, vllm, torchserve")
            }
        }
    }

    @OptionGroup var options: ConfigOption

    @Option(help: "Latency log (JSON lines) to follow.")
    var log: String?

    @Option(name: .customLong("server-url"), help: "Instead of a log: an inference server's metrics URL, scraped each evaluation.")
    var serverURL: String?

    @Option(name: .customLong("server-kind"), help: "triton, vllm or torchserve (with --server-url).")
    var serverKind: String?

    @Option(name: .customLong("server-model"), help: "Only this model (with --server-url).")
    var serverModel: String?

    @Option(help: "Seconds of requests each evaluation looks at.")
    var window: Double = 60

    @Option(help: "Seconds between evaluations.")
    var interval: Double = 15

    @Option(name: .customLong("baseline-log"), help: "Latency log of a known-good run to hold the windows against.")
    var baselineLog: String?

    @Option(help: "Where the alert state is kept across restarts (default: .assay/watch-state.json under the workspace).")
    var state: String?

    @Option(help: "Stop after this many evaluations (default: run until interrupted).")
    var evaluations: Int?

    @Option(help: "How to print each evaluation: text or json.")
    var format: OutputFormat = .text


    func run() async throws {
        try await runMapped {
            let configuration = try configurationOrDefaults(options.config)
            let stages = configuration.latency?.stages ?? ["preprocess", "inference", "postprocess"]
            let fields = configuration.latency?.fields ?? [:]
            let baseline = try await watchBaseline(configuration, stages: stages, fields: fields)
            let statePath = state.map(absolutePath) ?? configuration.resolve(".assay/watch-state.json")
            var watch = RegressionWatch(
                thresholds: configuration.thresholds, baseline: baseline, states: WatchState.load(statePath))
            let notifier = AlertNotifier(
                alertmanagerURL: configuration.integrations.alertmanagerURL, webhooks: configuration.integrations.webhooks,
                service: configuration.service)
            var follower = log.map { LogFollower(path: absolutePath($0)) }
            var server = try serverURL.map { url -> ServerWatch in
                guard let kind = serverKind.flatMap(InferenceServerKind.init(rawValue:)) else { throw ValidationError("--server-kind") }
                return ServerWatch(kind: kind, model: serverModel, scraper: MetricsScraper(url: url))
            }
            var recent: [(time: Date, total: Double)] = []
            let started = Date()
            var count = 0
            while evaluations.map({ count < $0 }) ?? true {
                if count > 0 { try await Task.sleep(for: .milliseconds(Int(interval * 1000))) }
                let now = Date()
                let stats: WindowStats
                if server != nil {
                    do {
                        stats = try await server!.next(at: now)
                    } catch let error as MetricsScrapeError {
                        Terminal.error(error.description)
                        count += 1
                        continue
                    }
                } else {
                    try follower?.forEachNewLine { number, line in
                        guard let line else {
                            Terminal.error("\(log ?? ""):\(number): longer than \(LogFollower.maxLineBytes) bytes (skipped)")
                            return
                        }
                        do {
                            if let sample = try LatencyLog.sample(line: line, stages: stages, fields: fields) {
                                recent.append((sample.startedAt ?? now, sample.total))
                            }
                        } catch {
                            Terminal.error("\(log ?? ""):\(number): \(error) (skipped)")
                        }
                    }
                    recent.removeAll { $0.time < now.addingTimeInterval(-window) }
                    let span = min(window, now.timeIntervalSince(started) + interval)
                    stats = WindowStats(totals: recent.map(\.total), seconds: span)
                }
                let events = watch.evaluate(stats, at: now)
                do {
                    try await notifier.deliver(events)
                } catch let error as AlertDeliveryError {
                    Terminal.error(error.description)
                }
                try WatchState.save(watch.states, to: statePath)
                print(line(now: now, stats: stats, watch: watch, events: events))
                fflush(nil)
                count += 1
            }
            return watch.states.values.contains { $0.phase == .firing } ? 1 : 0
        }
    }

    func line(now: Date, stats: WindowStats, watch: RegressionWatch, events: [AlertEvent]) -> String {
        let phases = watch.states.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.phase.rawValue)" }
        switch format {
        case .json:
            var object: [String: Any] = [
                "at": now.formatted(.iso8601), "count": stats.count, "throughput_rps": stats.throughput,
                "states": Dictionary(uniqueKeysWithValues: watch.states.map { ($0.key, $0.value.phase.rawValue) }),
                "events": events.map { ["rule": $0.rule, "kind": $0.kind.rawValue, "condition": $0.condition] },
            ]
            if let p95 = stats.p95 { object["p95_ms"] = p95 }
            if let mean = stats.mean { object["mean_ms"] = mean }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        case .text, .markdown:
            let p95 = stats.p95.map { Formatting.milliseconds($0) + " ms" } ?? "—"
            let mean = stats.mean.map { Formatting.milliseconds($0) + " ms" } ?? "—"
            let changes = events.filter { $0.kind != .stillFiring }.map { "\($0.kind.rawValue.uppercased()) \($0.rule): \($0.condition)" }
            return "\(now.formatted(.iso8601)) n=\(stats.count) P95 \(p95) mean \(mean) \(Formatting.number(stats.throughput, digits: 1)) req/s  \(phases.joined(separator: " "))"
                + (changes.isEmpty ? "" : "  " + changes.joined(separator: "; "))
        }
    }

    /// From a known-good log, or the store's rolling baseline.
    func watchBaseline(_ configuration: Configuration, stages: [String], fields: [String: String]) async throws -> WatchBaseline {
        if let baselineLog {
            try requireFile(baselineLog)
            let samples = try LatencyLog.read(path: absolutePath(baselineLog), displayPath: baselineLog, stages: stages, fields: fields)
            let stats = WindowStats(totals: samples.map(\.total), seconds: 0)
            let timed = samples.compactMap(\.startedAt)
            var throughput: Double?
            if let first = timed.min(), let last = timed.max(), last.timeIntervalSince(first) >= 1 {
                throughput = Double(timed.count) / last.timeIntervalSince(first)
            }
            return WatchBaseline(p95: stats.p95, mean: stats.mean, throughput: throughput)
        }
        let since = Date().addingTimeInterval(-configuration.thresholds.baseline.windowDays * 86_400)
        let minimum = configuration.thresholds.baseline.minRuns
        let baseline = try await withStore(configuration) { store in
            func mean(_ metric: String) async throws -> Double? {
                let values = try await store.points(metric: metric, since: since).map(\.value)
                return values.count >= minimum ? values.reduce(0, +) / Double(values.count) : nil
            }
            return WatchBaseline(
                p95: try await mean("latency.total.p95_ms"), mean: try await mean("latency.total.mean_ms"),
                throughput: try await mean("latency.total.throughput_rps"))
        }
        guard baseline.p95 != nil || baseline.mean != nil else {
            throw CommandError(
                message: "no baseline: pass --baseline-log FILE, or audit at least \(configuration.thresholds.baseline.minRuns) times so the store holds one",
                code: ExitStatus.usage)
        }
        return baseline
    }
}

/// The alert states, saved atomically after each evaluation.
enum WatchState {
    static func load(_ path: String) -> [String: AlertState] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONCoding.decoder().decode([String: AlertState].self, from: data)) ?? [:]
    }

    static func save(_ states: [String: AlertState], to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let encoder = JSONCoding.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(states), to: path)
    }
}

/// Successive scrapes of an inference server, each pair a watch window.
struct ServerWatch {
    var kind: InferenceServerKind
    var model: String?
    var scraper: MetricsScraper
    var previous: (time: Date, scrape: PrometheusExposition)?

    /// The window since the previous scrape (empty on the first).
    mutating func next(at now: Date) async throws -> WindowStats {
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
