import ArgumentParser
import AssayApp
import AssayCore
import AssayServing

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
                return try emit(
                    try await ServingUseCases.scrape(kind: kind, url: url, model: model, seconds: seconds, output: output, timeout: timeout), .text)
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
                try emit(
                    try await ServingUseCases.importLoadTest(file, capacity: capacity, cores: cores, configuration: try options.loadOrDefaults()), .text)
            }
        }
    }
}
