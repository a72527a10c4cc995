import ArgumentParser
import AssayApp
import AssayBaseline
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayLatency
import AssayServing
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

    @Option(help: "How to print each evaluation: text or json (one object per line).")
    var format: LineFormat = .text

    enum LineFormat: String, ExpressibleByArgument { case text, json }

    func run() async throws {
        try await runMapped {
            let configuration = try options.loadOrDefaults()
            let stages = configuration.latency?.stages ?? LatencyStages.defaults
            let baseline: WatchBaseline
            if let baselineLog {
                baseline = try WatchLoop.baseline(
                    log: absolutePath(baselineLog), display: baselineLog, stages: stages, fields: configuration.latency?.fields ?? [:])
            } else {
                baseline = try await Workspace.withStore(configuration) {
                    try await WatchLoop.baseline(store: $0, configuration: configuration, now: Date())
                }
            }
            let source: WatchLoop.Source
            if let serverURL, let kind = serverKind.flatMap(InferenceServerKind.init(rawValue:)) {
                source = .server(ServerWatch(kind: kind, model: serverModel, scraper: MetricsScraper(url: serverURL)))
            } else {
                source = .log(path: absolutePath(log ?? ""), display: log ?? "")
            }
            let loop = WatchLoop(
                configuration: configuration, source: source, windowSeconds: window, intervalSeconds: interval,
                statePath: state.map(absolutePath) ?? configuration.resolve(".assay/watch-state.json"), evaluations: evaluations)
            return try await loop.run(baseline: baseline, clock: SystemClock()) { evaluation in
                print(format == .json ? ((try? evaluation.jsonLine()) ?? "") : evaluation.text())
                fflush(nil)
            } warn: { Terminal.warning($0) }
        }
    }
}
