import ArgumentParser
import AssayAudit
import AssayBaseline
import AssayCapacity
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayServing
import AssayStore
import Foundation

extension Latency {
    struct Scrape: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scrape an inference server's /metrics twice and print per-stage latency over the window.",
            discussion: """
                Triton (counters: mean = Δduration / Δrequests; its *_summary_us quantiles as reported), vLLM \
                (histograms: mean from Δsum / Δcount, P95/P99 interpolated inside their bucket, bounds printed) and \
                TorchServe (counters). With --output the two captures are kept, to cite from \
                workspace.latency.servers. Exit 69 when the server cannot be read.
                """)

        @Option(help: "triton, vllm or torchserve.")
        var kind: String

        @Option(help: "The server's metrics URL, e.g. http://127.0.0.1:8002/metrics (Triton: also http://HOST:8000/v2/models/NAME/stats).")
        var url: String

        @Option(help: "Only this model (the model / model_name label).")
        var model: String?

        @Option(help: "Seconds between the two scrapes.")
        var seconds: Double = 60

        @Option(help: "Directory to keep the captures in (<kind>-before.txt, <kind>-after.txt).")
        var output: String?

        @Option(help: "Seconds to wait for each scrape.")
        var timeout: Int64 = 10

        func validate() throws {
            guard InferenceServerKind(rawValue: kind) != nil else { throw ValidationError("--kind: one of triton, vllm, torchserve") }
            guard seconds > 0 else { throw ValidationError("--seconds must be > 0") }
        }

        func run() async throws {
            try await runMapped {
                guard let kind = InferenceServerKind(rawValue: kind) else { return ExitStatus.usage }
                var scraper = MetricsScraper(url: url)
                scraper.timeoutSeconds = max(1, timeout)
                let first: String, second: String
                do {
                    first = try await scraper.fetch()
                    try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                    second = try await scraper.fetch()
                } catch let error as MetricsScrapeError {
                    throw CommandError(message: error.description, code: ExitStatus.unavailable)
                }
                if let output {
                    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
                    try AtomicFile.write(Data(first.utf8), to: output + "/\(kind.rawValue)-before.txt")
                    try AtomicFile.write(Data(second.utf8), to: output + "/\(kind.rawValue)-after.txt")
                }
                let (window, origin) = try InferenceServerMetrics.window(
                    kind: kind, model: model, captures: [Data(first.utf8), Data(second.utf8)], seconds: seconds, source: url)
                let evidence = Evidence(path: output.map { $0 + "/\(kind.rawValue)-after.txt" } ?? url, sha256: FileDigest.sha256(of: Data(second.utf8)))

                for row in ServingFindings.rows(window, evidence: evidence, prefix: false, origin: origin) {
                    print("\(row.check.padding(toLength: 12, withPad: " ", startingAt: 0)) \(row.observed)")
                }
                if window.stages.isEmpty { print("no \(kind.rawValue) latency metrics at \(url)\(model.map { " for model \($0)" } ?? "")") }
                return 0
            }
        }
    }
}

struct LoadTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Import load-test results so the report, the baseline and capacity planning can use them.",
        subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a perf_analyzer CSV (-f), wrk/wrk2 output (--latency) or Locust stats CSV as a run.",
            discussion: """
                The run holds one LATENCY PROFILE row per load level (throughput, mean, P50/P95/P99 as the tool \
                reported them) citing the file by its sha256, and its peak feeds the metric history \
                (latency.load_test.*). --capacity writes the levels as a capacity.json for workspace.capacity.
                """)

        @OptionGroup var options: ConfigOption

        @Argument(help: "The load tester's output.")
        var file: String

        @Option(help: "Also write the load levels as a capacity measurement (capacity.json) here.")
        var capacity: String?

        @Option(help: "Cores the tested service had (for the capacity model).")
        var cores: Int = 1

        func run() async throws {
            try await runMapped {
                try requireFile(file)
                let configuration = try configurationOrDefaults(options.config)
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                let result: LoadTestResult
                do {
                    result = try LoadTestImport.read(String(decoding: data, as: UTF8.self), path: file)
                } catch let error as LoadTestError {
                    throw CommandError(message: error.description, code: ExitStatus.invalidInput)
                }
                let evidence = Evidence(path: file, sha256: FileDigest.sha256(of: data))
                let now = Date()
                var findings = ServingFindings.row(result, evidence: evidence).map { [$0] } ?? []
                for step in result.steps {
                    var measurements: [String: Double] = ["throughput_rps": step.throughputRPS]
                    for (key, value) in [("mean_ms", step.meanMs), ("p50_ms", step.p50Ms), ("p95_ms", step.p95Ms), ("p99_ms", step.p99Ms)] {
                        if let value { measurements[key] = value }
                    }
                    findings.append(
                        Finding(
                            table: .latencyProfile, check: "Load level: \(step.load)", status: .pass,
                            observed: "\(Formatting.number(step.throughputRPS, digits: 1)) req/s"
                                + (step.p95Ms.map { ", P95 \(Formatting.milliseconds($0)) ms" } ?? "") + (step.p99Ms.map { ", P99 \(Formatting.milliseconds($0)) ms" } ?? ""),
                            severity: .info, measurements: measurements, attributes: ["source": result.tool.rawValue], statusLabel: "📊 Measured",
                            evidence: evidence, []))
                }
                var run = AuditRun(
                    id: "loadtest-" + Auditor.newRunID(at: now), startedAt: now, finishedAt: now,
                    configuration: Evidence(path: file, sha256: evidence.sha256),
                    layers: [LayerResult(layer: .latency, state: .verified, findings: findings, startedAt: now, durationSeconds: 0)],
                    judgement: Judgement(verdict: .stable, reasons: []))
                run.host = ProcessInfo.processInfo.hostName
                try await withStore(configuration) { store in
                    try await store.save(run)
                    let peak = MetricExtraction.current(from: run.layers).filter { $0.name.hasPrefix("latency.load_test.") }
                    try await store.saveMetrics(peak.map { MetricPoint(metric: $0.name, value: $0.value, recordedAt: now, runID: run.id) })
                }
                if let capacity {
                    let steps = result.steps.compactMap { step -> LoadStep? in
                        guard let p95 = step.p95Ms else { return nil }
                        let mean = step.meanMs ?? step.p50Ms ?? p95
                        let seconds = 1.0
                        return LoadStep(
                            targetRate: step.throughputRPS, achievedRate: step.throughputRPS, sent: Int(step.throughputRPS * seconds),
                            completed: Int(step.throughputRPS * seconds), errors: step.failures ?? 0, meanMs: mean, p50Ms: step.p50Ms ?? mean,
                            p95Ms: p95, p99Ms: step.p99Ms ?? p95, serviceCPUPercent: nil)
                    }.sorted { $0.achievedRate < $1.achievedRate }
                    guard !steps.isEmpty else { throw CommandError(message: "\(file): no load level reports a P95; no capacity measurement written", code: ExitStatus.invalidInput) }
                    let measurement = CapacityMeasurement(
                        url: file, measuredAt: now, cores: cores, stepSeconds: 1, objectiveP95Ms: steps.map(\.p95Ms).max() ?? 0, steps: steps)
                    try AtomicFile.write(try JSONCoding.encoder(pretty: true).encode(measurement), to: capacity)
                }
                print("stored \(run.id): \(result.tool.rawValue), \(result.steps.count) load level(s)")
                for row in findings { print("  \(row.check): \(row.observed)") }
                return 0
            }
        }
    }
}
