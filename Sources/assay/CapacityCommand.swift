import ArgumentParser
import AssayApp
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

        func run() async throws {
            try await runMapped {
                let result = try await CapacityUseCases.measure(
                    url: url, body: body, rates: parsedRates ?? [], stepSeconds: stepSeconds, pid: pid, cores: cores,
                    objectiveP95Ms: objectiveP95Ms, poisson: !uniform, output: output, progress: { print($0) })
                return try emit(result, .text)
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

        @OptionGroup var formatting: FormatOption

        func run() async throws {
            try await runMapped {
                let source: CapacityUseCases.Source = fromHistory ? .history(cores: cores, objectiveP95Ms: objectiveP95Ms) : .file(measurement)
                return try emit(
                    try await CapacityUseCases.plan(source: source, currentRPS: currentRPS, configuration: try options.loadOrDefaults()),
                    formatting.format)
            }
        }
    }
}
