import ArgumentParser
import AssayAudit
import AssayCapacity
import AssayConfig
import AssayCore
import AssayIntegrations
import Foundation

struct Capacity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure an HTTP service's capacity with open-loop load, and project traffic growth on it.",
        subcommands: [Measure.self, Plan.self])

    struct Measure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drive the service at increasing rates (open loop) and write capacity.json.",
            discussion: """
                Each step sends requests on a schedule fixed in advance (Poisson arrivals, or evenly spaced with \
                --uniform) for --step-seconds and measures every latency from the request's intended send time, so queueing cannot hide behind a slow server (no coordinated omission). \
                With --pid, the service process's CPU is sampled from /proc for the utilization law. Stops early once \
                a step misses its schedule or the P95 objective by far (the knee is behind it).
                """)

        @Option(help: "URL to POST to (default: the example service on 127.0.0.1:8080).")
        var url: String = "http://127.0.0.1:8080/v1/predict"

        @Option(help: "JSON body to POST (default: one example-service request).")
        var body: String?

        @Option(help: "Comma-separated request rates per second, in order.")
        var rates: String = "50,100,200,400,800,1200,1600,2400"

        @Option(help: "Seconds per step.")
        var stepSeconds: Double = 5

        @Option(help: "Process id of the service, for its CPU time.")
        var pid: Int32?

        @Option(help: "Cores the service can use (default: this machine's).")
        var cores: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(name: .customLong("objective-p95-ms"), help: "The latency objective the knee must meet.")
        var objectiveP95Ms: Double = 50

        @Option(help: "Where to write the measurement.")
        var output: String = "capacity.json"

        @Flag(help: "Space requests evenly instead of Poisson arrivals (exponential gaps, seeded).")
        var uniform = false

        func validate() throws {
            guard parsedRates != nil else { throw ValidationError("--rates: positive numbers separated by commas") }
            guard stepSeconds > 0, cores > 0, objectiveP95Ms > 0 else { throw ValidationError("--step-seconds, --cores and --objective-p95-ms must be > 0") }
        }

        var parsedRates: [Double]? {
            let values = rates.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
            return values.compactMap { $0 }
        }

        /// GPU memory used and total over all GPUs, MiB, from nvidia-smi; nil without it.
        static func gpuMemory() -> (used: Double, total: Double)? {
            guard let data = ProcessOutput.run(["nvidia-smi", "--query-gpu=memory.used,memory.total", "--format=csv,noheader,nounits"])
            else { return nil }
            let rows = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
                .filter { $0.count == 2 }
            guard !rows.isEmpty else { return nil }
            return (rows.reduce(0) { $0 + $1[0] }, rows.reduce(0) { $0 + $1[1] })
        }

        func run() async throws {
            try await runMapped {
                let payload: [UInt8]
                if let body {
                    try requireFile(body)
                    payload = Array(try Data(contentsOf: URL(fileURLWithPath: absolutePath(body))))
                } else {
                    payload = Array(#"{"id":"capacity","features":[0.4,1.5,-1.4,2.5,0.6,-1.8,1.2,-1.0]}"#.utf8)
                }
                var load = OpenLoopLoad(url: url, body: payload, processID: pid)
                load.poisson = !uniform
                var steps: [LoadStep] = []
                var measurement: CapacityMeasurement?
                for rate in parsedRates ?? [] {
                    let one = try await load.measure(rates: [rate], stepSeconds: stepSeconds, cores: cores, objectiveP95Ms: objectiveP95Ms)
                    guard var step = one.steps.first else { continue }
                    let gpu = Self.gpuMemory()
                    step.gpuMemoryUsedMiB = gpu?.used
                    steps.append(step)
                    measurement = one
                    print(
                        "\(Formatting.number(rate, digits: 0).leftPadded(6)) req/s → \(Formatting.number(step.achievedRate, digits: 1).leftPadded(8)) done/s  mean \(Formatting.milliseconds(step.meanMs)) ms  P95 \(Formatting.milliseconds(step.p95Ms)) ms  P99 \(Formatting.milliseconds(step.p99Ms)) ms  errors \(step.errors)"
                            + (step.serviceCPUPercent.map { "  service CPU \(Formatting.percent($0))" } ?? ""))
                    if step.achievedRate < 0.8 * rate || step.p95Ms > 4 * objectiveP95Ms { break }
                }
                guard var result = measurement else { throw CommandError(message: "no step ran", code: ExitStatus.usage) }
                result.steps = steps
                result.gpuMemoryTotalMiB = Self.gpuMemory()?.total
                let encoder = JSONCoding.encoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(try encoder.encode(result), to: absolutePath(output))
                let plan = CapacityPlan(measurement: result)
                print("knee: \(plan.knee.map { "\(Formatting.number($0.achievedRate, digits: 0)) req/s" } ?? "none within the objective"); wrote \(output)")
                return 0
            }
        }
    }

    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Project traffic increases on a measured service (the CAPACITY PLANNING rows).",
            discussion: "Exits 1 when a projection is over capacity, 0 otherwise.")

        @OptionGroup var options: ConfigOption

        @Option(help: "capacity.json (default: workspace.capacity.measurement).")
        var measurement: String?

        @Option(name: .customLong("current-rps"), help: "Current load (default: workspace.capacity.current_rps).")
        var currentRPS: Double?

        @Flag(name: .customLong("from-history"), help: "Use the audits in the store (throughput, latency, host CPU P95) instead of a load test.")
        var fromHistory = false

        @Option(help: "Cores of the host, with --from-history.")
        var cores: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(name: .customLong("objective-p95-ms"), help: "The latency objective, with --from-history.")
        var objectiveP95Ms: Double = 50

        @Option(help: "How to print the result: text, json or markdown.")
        var format: OutputFormat = .text

        func run() async throws {
            try await runMapped {
                let configuration = try configurationOrDefaults(options.config)
                guard let current = currentRPS ?? configuration.capacity?.currentRPS else {
                    throw CommandError(message: "no current load: pass --current-rps", code: ExitStatus.usage)
                }
                let decoded: CapacityMeasurement
                let evidence: Evidence
                if fromHistory {
                    let since = Date().addingTimeInterval(-configuration.thresholds.baseline.windowDays * 86_400)
                    let points = try await withStore(configuration) { store in
                        var points: [MetricPoint] = []
                        for metric in CapacityMeasurement.historyMetrics { points += try await store.points(metric: metric, since: since) }
                        return points
                    }
                    decoded = CapacityMeasurement.fromHistory(points, cores: cores, objectiveP95Ms: objectiveP95Ms, source: "store history")
                    guard decoded.steps.count >= 2 else {
                        throw CommandError(
                            message: "the store holds \(decoded.steps.count) audits with throughput, latency and CPU; 2 or more needed",
                            code: ExitStatus.missingInput)
                    }
                    let store = configuration.store.kind == .sqlite ? configuration.resolve(configuration.store.path) : "postgres store"
                    evidence = Evidence(path: store, sha256: FileDigest.sha256(of: Array(points.map { "\($0.runID) \($0.metric) \($0.value)\n" }.joined().utf8)), locator: "\(decoded.steps.count) audits")
                } else {
                    guard let file = measurement.map(absolutePath) ?? configuration.capacity.map({ configuration.resolve($0.measurement) }) else {
                        throw CommandError(message: "no measurement: pass --measurement FILE, --from-history, or configure workspace.capacity", code: ExitStatus.usage)
                    }
                    try requireFile(file)
                    do {
                        decoded = try JSONCoding.decoder().decode(CapacityMeasurement.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
                    } catch {
                        throw CommandError(message: "\(file): not a capacity measurement (\(error))", code: ExitStatus.invalidInput)
                    }
                    evidence = try Evidence.file(at: file, displayPath: file)
                }
                let plan = CapacityPlan(measurement: decoded, peakUtilizationPercent: configuration.thresholds.capacity.peakUtilizationPercent)
                let findings = CapacityFindings.findings(
                    plan, currentRate: current, evidence: evidence, projections: configuration.thresholds.capacity.projectionsPercent)
                switch format {
                case .json, .markdown: printFindings(findings, format: format, title: "Capacity planning")
                case .text:
                    for finding in findings {
                        print("\(finding.check): \(finding.observed)" + (finding.recommendation.map { "\n  → \($0)" } ?? ""))
                    }
                }
                return findings.contains { $0.status == .breach } ? 1 : 0
            }
        }
    }
}
