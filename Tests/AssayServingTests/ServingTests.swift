import AssayCore
import AssayServing
import AssayTestSupport
import Foundation
import Testing

func fixture(_ name: String) throws -> String {
    try String(contentsOfFile: try TestFiles.fixture(name, in: .module), encoding: .utf8)
}

/// `text` with every sample of `name` (matching `model`) raised by `by`.
func advanced(_ text: String, _ changes: [String: Double], model: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), line.contains("\"\(model)\"") else { return String(line) }
        let series = line[..<space]
        let name = String(series.prefix { $0 != "{" })
        guard let by = changes[name], let value = Double(line[line.index(after: space)...]) else { return String(line) }
        return "\(series) \(value + by)"
    }.joined(separator: "\n")
}

@Suite struct ExpositionTests {
    @Test func readsEveryRealCapture() throws {
        let triton = try PrometheusExposition(try fixture("triton_metrics.txt"), source: "triton_metrics.txt")
        #expect(triton.types["nv_inference_compute_infer_duration_us"] == "counter")
        #expect(triton.types["nv_inference_request_summary_us"] == "summary")
        #expect(triton.sum("nv_inference_compute_infer_duration_us", matching: ["model": "densenet_onnx"]) == 1_326_831)
        let vllm = try PrometheusExposition(try fixture("vllm_metrics.txt"))
        #expect(vllm.values("vllm:e2e_request_latency_seconds_bucket").count == 11)
        #expect(vllm.values("vllm:e2e_request_latency_seconds_bucket").contains { $0.labels["le"] == "+Inf" })
        // TorchServe ends label sets with a comma.
        let torchserve = try PrometheusExposition(try fixture("torchserve_metrics.txt"))
        #expect(torchserve.sum("ts_inference_requests_total", matching: ["model_name": "linear_regression_1_1"]) == 11)
    }

    @Test func escapesTimestampsAndErrors() throws {
        let text = #"a{path="C:\\x",msg="say \"hi\"\nbye"} 1.5 1700000000000"# + "\nb +Inf\n"
        let parsed = try PrometheusExposition(text)
        #expect(parsed.samples[0].labels == ["path": #"C:\x"#, "msg": "say \"hi\"\nbye"])
        #expect(parsed.samples[0].value == 1.5 && parsed.samples[1].value == .infinity)
        #expect(try PrometheusExposition("a 1\r\nb 2\r\n").samples.count == 2)
        #expect(throws: PrometheusExposition.ParseError(path: "s", line: 2, expected: "a sample: name{label=\"value\",…} value [timestamp]")) {
            try PrometheusExposition("ok 1\nbroken{a=\"1\" 2\n", source: "s")
        }
    }
}

@Suite struct InferenceServerTests {
    @Test func tritonTwoScrapesAMinuteApartGiveTheCounterDeltasPerStage() throws {
        let before = try fixture("triton_metrics.txt")
        // A minute later: 120 more requests, and these many more microseconds in each stage.
        let after = advanced(before, [
            "nv_inference_request_success": 120, "nv_inference_count": 480, "nv_inference_exec_count": 120,
            "nv_inference_request_duration_us": 1_800_000, "nv_inference_queue_duration_us": 36_000,
            "nv_inference_compute_input_duration_us": 60_000, "nv_inference_compute_infer_duration_us": 1_500_000,
            "nv_inference_compute_output_duration_us": 24_000,
        ], model: "densenet_onnx")
        let window = InferenceServerMetrics.window(
            kind: .triton, model: "densenet_onnx", before: try PrometheusExposition(before), after: try PrometheusExposition(after), seconds: 60)
        #expect(window.figures("preprocess")?.meanMilliseconds == 60_000.0 / 120 / 1000)
        #expect(window.figures("inference")?.meanMilliseconds == 1_500_000.0 / 120 / 1000)
        #expect(window.figures("postprocess")?.meanMilliseconds == 24_000.0 / 120 / 1000)
        #expect(window.figures("queue")?.meanMilliseconds == 36_000.0 / 120 / 1000)
        #expect(window.figures("total")?.meanMilliseconds == 15)
        #expect(window.figures("total")?.count == 120)
        #expect(window.throughputRPS == 2)
        #expect(window.batchSize == 4)
        #expect(window.resets.isEmpty)
        // The summary's quantiles are carried as given, not windowed.
        #expect(window.figures("total")?.p95?.value == 0.003)
        #expect(window.stageNames == ["queue", "preprocess", "inference", "postprocess", "total"])
    }

    @Test func oneScrapeIsSinceStartAndAResetTakesTheLaterValue() throws {
        let text = try fixture("triton_metrics.txt")
        let once = InferenceServerMetrics.window(kind: .triton, model: "densenet_onnx", before: nil, after: try PrometheusExposition(text), seconds: nil)
        #expect(once.figures("inference")?.meanMilliseconds == 1_326_831.0 / 3 / 1000)
        #expect(once.throughputRPS == nil)
        // The server restarted between the scrapes: its counters start again from a smaller value.
        let restarted = advanced(text, ["nv_inference_request_success": -1, "nv_inference_compute_infer_duration_us": -1_000_000], model: "densenet_onnx")
        let window = InferenceServerMetrics.window(
            kind: .triton, model: "densenet_onnx", before: try PrometheusExposition(text), after: try PrometheusExposition(restarted), seconds: 60)
        #expect(window.resets.contains("nv_inference_request_success"))
        #expect(window.figures("inference")?.meanMilliseconds == 326_831.0 / 2 / 1000)
    }

    @Test func vllmHistogramPercentilesLieWithinTheirBuckets() throws {
        let window = InferenceServerMetrics.window(kind: .vllm, model: "facebook/opt-125m", before: nil, after: try PrometheusExposition(try fixture("vllm_metrics.txt")), seconds: nil)
        let ttft = try #require(window.figures("ttft"))
        #expect(ttft.method == .histogram && ttft.count == 1)
        #expect(abs((ttft.meanMilliseconds ?? 0) - 313.26723098754883) < 1e-9)
        // The one observation lies in (0.25, 0.5] s: P95 interpolates inside that bucket and says so.
        let p95 = try #require(ttft.p95)
        #expect(p95.lower == 250 && p95.upper == 500 && (250...500).contains(p95.value))
        #expect(p95.maxError <= 250)
        let tpot = try #require(window.figures("tpot")?.p95)
        #expect(tpot.lower == 25 && tpot.upper == 50)
        #expect(window.figures("total")?.p99?.upper == 1000)
        #expect(window.figures("queue") == nil)
    }

    @Test func histogramQuantilesMatchPrometheusOnAKnownDistribution() {
        // 100 observations: 10 in (0,1], 80 in (1,2], 10 in (2,4]. P50 is rank 50: 40/80 into (1,2] → 1.5.
        let buckets: [(le: Double, count: Double)] = [(1, 10), (2, 90), (4, 100), (.infinity, 100)]
        #expect(QuantileEstimate.estimate(0.5, buckets: buckets) == QuantileEstimate(value: 1.5, lower: 1, upper: 2))
        #expect(QuantileEstimate.estimate(0.95, buckets: buckets) == QuantileEstimate(value: 3, lower: 2, upper: 4))
        // Ranks in +Inf: the largest finite bound, unbounded above.
        let tail: [(le: Double, count: Double)] = [(1, 50), (.infinity, 100)]
        #expect(QuantileEstimate.estimate(0.99, buckets: tail)?.upper == .infinity)
        #expect(QuantileEstimate.estimate(0.5, buckets: [(1, 0), (.infinity, 0)]) == nil)
    }

    @Test func tritonStatisticsEndpointGivesTheSameStages() throws {
        let stats = Data(try fixture("triton_stats_batching.json").utf8)
        let once = try TritonStatistics.window(before: nil, after: stats, model: "batching", seconds: nil)
        #expect(once.figures("queue")?.meanMilliseconds == 9_996_491_319.0 / 2 / 1e6)
        #expect(once.figures("inference")?.meanMilliseconds == 232_202.0 / 2 / 1e6)
        #expect(once.figures("total")?.count == 2)
        #expect(once.batchSize == 2)
        // Two answers: the window's deltas.
        let later = Data(String(decoding: stats, as: UTF8.self)
            .replacingOccurrences(of: #""success":{"count":2,"ns":9997025869}"#, with: #""success":{"count":12,"ns":10097025869}"#).utf8)
        let window = try TritonStatistics.window(before: stats, after: later, model: "batching", seconds: 10)
        #expect(window.figures("total")?.meanMilliseconds == 100_000_000.0 / 10 / 1e6)
        #expect(window.throughputRPS == 1)
        #expect(throws: LoadTestError(path: "stats", line: 0, expected: "statistics of model other")) {
            try TritonStatistics.window(before: nil, after: stats, model: "other", seconds: nil)
        }
    }

    @Test func torchserveCountersPerModel() throws {
        let window = InferenceServerMetrics.window(
            kind: .torchserve, model: "linear_regression_1_1", before: nil, after: try PrometheusExposition(try fixture("torchserve_metrics.txt")), seconds: nil)
        #expect(window.figures("total")?.meanMilliseconds == 9_136_028.087 / 11 / 1000)
        #expect(window.figures("queue")?.meanMilliseconds == 9_043_769.588 / 11 / 1000)
    }

    @Test func rowsCiteTheCapturesAndStateTheMethod() throws {
        let window = InferenceServerMetrics.window(kind: .vllm, model: nil, before: nil, after: try PrometheusExposition(try fixture("vllm_metrics.txt")), seconds: nil)
        let evidence = Evidence(path: "vllm.txt", sha256: String(repeating: "a", count: 64))
        let rows = ServingFindings.rows(window, evidence: evidence, prefix: false)
        #expect(rows.map(\.check) == ["TTFT", "TPOT", "Total"])
        let ttft = try #require(rows.first)
        #expect(ttft.observed.contains("histogram, within 250–500 ms"), "\(ttft.observed)")
        #expect(ttft.measurements["p95_error_ms"] != nil)
        #expect(ttft.attributes["source"] == "vLLM /metrics (histogram)")
        #expect(ttft.primaryEvidence == evidence)
    }
}

@Suite struct LoadTestImportTests {
    @Test func perfAnalyzerCSVStepsAndThePeak() throws {
        let result = try LoadTestImport.read(try fixture("perf_analyzer_inception_graphdef.csv"), path: "perf.csv")
        #expect(result.tool == .perfAnalyzer)
        #expect(result.steps.map(\.load) == ["concurrency 1", "concurrency 2", "concurrency 3", "concurrency 4"])
        let peak = try #require(result.peak)
        #expect(peak.load == "concurrency 2" && peak.throughputRPS == 87.2)
        #expect(peak.p95Ms == 29.768 && peak.p99Ms == 34.766 && peak.p50Ms == 21.874)
        #expect(peak.componentsMs["Server Compute Infer"] == 11.346)
        #expect(abs((peak.meanMs ?? 0) - (235 + 1973 + 9151 + 190 + 11346 + 17 + 0) / 1000) < 1e-9)
    }

    @Test func wrkLatencyOutputFromDebiansWrk() throws {
        let result = try LoadTestImport.read(try fixture("wrk_latency.txt"), path: "wrk.txt")
        #expect(result.tool == .wrk)
        let step = try #require(result.peak)
        #expect(step.load == "8 connections" && step.throughputRPS == 2273.34 && step.requests == 11594)
        #expect(step.meanMs == 3.67 && step.p50Ms == 1.73 && step.p90Ms == 5.37 && step.p99Ms == 12.81)
        #expect(step.p95Ms == nil, "wrk does not report P95; it is not made up")
    }

    @Test func wrk2SpectrumGivesP95() throws {
        let text = """
            Running 30s test @ http://127.0.0.1:80/
              2 threads and 10 connections
              Thread calibration: mean lat.: 1.2ms, rate sampling interval: 10ms
              Latency     1.10ms  450.00us   5.00ms   70.00%
              Latency Distribution (HdrHistogram - Recorded Latency)
             50.000%    1.05ms
             90.000%    1.60ms
             99.000%    2.80ms
              Detailed Percentile spectrum:
                   Value   Percentile   TotalCount 1/(1-Percentile)

                   0.500     0.000000            1         1.00
                   1.050     0.500000         1500         2.00
                   1.900     0.950000         2850        20.00
                   2.800     0.990000         2970       100.00
            #[Mean    =        1.100, StdDeviation   =        0.450]
              3000 requests in 30.00s, 1.00MB read
            Requests/sec:    100.00
            """
        let step = try #require(try LoadTestImport.read(text, path: "wrk2.txt").peak)
        #expect(step.p95Ms == 1.9 && step.p50Ms == 1.05 && step.p99Ms == 2.8 && step.throughputRPS == 100)
    }

    @Test func locustStatsAggregatedRow() throws {
        let result = try LoadTestImport.read(try fixture("locust_stats.csv"), path: "locust_stats.csv")
        #expect(result.tool == .locust)
        let step = try #require(result.peak)
        #expect(step.requests == 1178 && step.failures == 0)
        #expect(abs(step.throughputRPS - 294.48853796629356) < 1e-9)
        #expect(step.p95Ms == 5 && step.p99Ms == 6 && step.p50Ms == 3)
        #expect(abs((step.meanMs ?? 0) - 2.860833387956932) < 1e-12)
        // Found by fuzz-loadtest: a 100-digit request count trapped converting to Int; now an error naming it.
        let huge = try fixture("locust_stats.csv").replacingOccurrences(of: ",Aggregated,1178,", with: ",Aggregated,1\(String(repeating: "0", count: 100)),")
        #expect(huge != (try fixture("locust_stats.csv")))
        #expect(throws: LoadTestError(path: "locust_stats.csv", line: 3, expected: "a whole number of requests in column Request Count")) {
            try LoadTestImport.read(huge, path: "locust_stats.csv")
        }
    }

    @Test func badRowsNameTheirLine() throws {
        let text = "Concurrency,Inferences/Second,p95 latency\n1,69.2,19753\n2,fast,1\n"
        #expect(throws: LoadTestError(path: "perf.csv", line: 3, expected: "a number in column Inferences/Second, found 'fast'")) {
            try LoadTestImport.read(text, path: "perf.csv")
        }
        #expect(throws: LoadTestError(path: "x.txt", line: 1, expected: "perf_analyzer CSV, wrk output or Locust stats CSV")) {
            try LoadTestImport.read("hello\n", path: "x.txt")
        }
    }
}
