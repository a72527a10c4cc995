import AssayCore
import AssayEnvironment
import AssayLatency
import AssayProfiling
import AssayServing
import AssayTelemetry
import Foundation
import AssayTestSupport
import Testing

/// Seeded mutations of real inputs (bytes flipped, spans deleted or duplicated, files cut short) through every
/// parser: each one must return or throw, never crash. Deterministic: the same seed, the same inputs.
@Suite struct MutatedInputTests {
    static let root = TestFiles.packageRoot

    static func mutations(of bytes: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            var mutated = bytes
            for _ in 0...rng.index(below: 4) {
                guard !mutated.isEmpty else { break }
                let at = rng.index(below: mutated.count)
                switch rng.index(below: 5) {
                case 0: mutated[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: mutated.removeSubrange(at..<min(mutated.count, at + 1 + rng.index(below: 64)))
                case 2: mutated.insert(contentsOf: mutated[at..<min(mutated.count, at + 1 + rng.index(below: 64))], at: at)
                case 3: mutated = Array(mutated.prefix(at))
                default: mutated.insert([UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "["), 0, 0xff, UInt8(ascii: "\\")][rng.index(below: 6)], at: at)
                }
            }
            return mutated
        }
    }

    static func scratch(_ name: String, _ bytes: [UInt8]) throws -> String {
        let directory = try TestFiles.temporaryDirectory("assay-mutated")
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func fixture(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)))
    }

    @Test func chromeTraces() throws {
        let trace = try Gzip.decompress(try Self.fixture("Tests/AssayProfilingTests/Fixtures/hta__critical_path__cuda_event_sync__event_sync_trace.json.gz"))
        for input in Self.mutations(of: trace, count: 300, seed: 1) {
            if let parsed = try? ChromeTraceParser.parse(bytes: input) {
                _ = TraceAttribution.analyze(parsed, stages: [])
                _ = FoldedStacks(lanes: TraceLane.lanes(of: parsed))
            }
        }
        for input in Self.mutations(of: try Self.fixture("Tests/AssayProfilingTests/Fixtures/hta__cpu_only__rank-34.Jul_15_10_52_41.1074.pt.trace.json.gz"), count: 100, seed: 2) {
            _ = try? ChromeTraceParser.parse(path: try Self.scratch("t.json.gz", input))
        }
    }

    @Test(arguments: [
        ("poetry.lock", "Tests/AssayEnvironmentTests/Fixtures/poetry.lock"), ("uv.lock", "Tests/AssayEnvironmentTests/Fixtures/uv.lock"),
        ("package-lock.json", "Tests/AssayEnvironmentTests/Fixtures/package-lock.v1.json"),
        ("Pipfile.lock", "Tests/AssayEnvironmentTests/Fixtures/Pipfile.lock"),
        ("requirements.txt", "Tests/AssayEnvironmentTests/Fixtures/requirements-hashes-cocotools-test.txt"),
        ("environment.yml", "Tests/AssayEnvironmentTests/Fixtures/environment.yml"), ("go.sum", "Tests/AssayEnvironmentTests/Fixtures/go.sum"),
        ("Cargo.lock", "Tests/AssayEnvironmentTests/Fixtures/Cargo.lock"),
    ])
    func lockfiles(_ name: String, _ fixture: String) throws {
        let bytes = try Self.fixture(fixture)
        for (index, input) in Self.mutations(of: Array(bytes.prefix(40_000)), count: 40, seed: UInt64(name.utf8.count)).enumerated() {
            _ = try? LockfileParser.parse(path: try Self.scratch(name, input))
            _ = index
        }
    }

    @Test func configsAndDVCFiles() throws {
        let yaml = try Self.fixture("Examples/InferenceService/assay.yaml")
        for input in Self.mutations(of: yaml, count: 100, seed: 3) {
            _ = try? ConfigDocument.read(path: try Self.scratch("c.yaml", input))
        }
        for input in Self.mutations(of: try Self.fixture("Tests/AssayEnvironmentTests/Fixtures/dvc.lock"), count: 100, seed: 4) {
            _ = try? DVCOutput.read(path: try Self.scratch("dvc.lock", input))
        }
    }

    @Test func latencyTelemetryAndTextFormats() throws {
        let latency = Array(try Self.fixture("Examples/InferenceService/runs/latency.jsonl").prefix(20_000))
        for input in Self.mutations(of: latency, count: 100, seed: 5) {
            _ = try? LatencyLog.read(path: try Self.scratch("l.jsonl", input), stages: ["preprocess", "inference", "postprocess"])
            _ = try? LatencyLog.read(path: try Self.scratch("runtime_perf.log", input), stages: ["preprocess", "inference", "postprocess"])
        }
        let telemetry = try Self.fixture("Examples/InferenceService/runs/telemetry.jsonl")
        for input in Self.mutations(of: telemetry, count: 100, seed: 6) {
            if let points = try? TelemetryLog.read(path: try Self.scratch("t.jsonl", input)) {
                _ = ResourceAnalyzer(thresholds: Thresholds().resources).findings(points, evidence: Evidence(path: "t", sha256: String(repeating: "0", count: 64)))
            }
        }
        let scrape = try Self.fixture("Tests/AssayTelemetryTests/Fixtures/node_exporter_1.5.0_metrics.prom")
        for input in Self.mutations(of: scrape, count: 100, seed: 7) {
            _ = NodeExporterScrape.hostSample(String(decoding: input, as: UTF8.self), monotonicSeconds: 0, wallTime: Date())
            _ = try? PerfStat(text: String(decoding: input, as: UTF8.self), path: "p")
        }
        let range = try Self.fixture("Tests/AssayTelemetryTests/Fixtures/prometheus_query_range__memavailable.json")
        for input in Self.mutations(of: range, count: 100, seed: 8) {
            _ = try? PrometheusSeries.parse(Data(input), source: "q")
        }
    }

    @Test func inferenceServerCapturesAndLoadTests() throws {
        let fixtures = "Tests/AssayServingTests/Fixtures/"
        for (name, seed) in [("triton_metrics.txt", 11), ("vllm_metrics.txt", 12), ("torchserve_metrics.txt", 13)] {
            let original = try Self.fixture(fixtures + name)
            let parsed = try PrometheusExposition(String(decoding: original, as: UTF8.self))
            for input in Self.mutations(of: original, count: 100, seed: UInt64(seed)) {
                guard let mutated = try? PrometheusExposition(String(decoding: input, as: UTF8.self)) else { continue }
                for kind in InferenceServerKind.allCases {
                    let window = InferenceServerMetrics.window(kind: kind, model: nil, before: parsed, after: mutated, seconds: 60)
                    _ = ServingFindings.rows(window, evidence: Evidence(path: name, sha256: String(repeating: "0", count: 64)), prefix: false)
                }
            }
        }
        let stats = try Self.fixture(fixtures + "triton_stats_batching.json")
        for input in Self.mutations(of: stats, count: 100, seed: 14) {
            _ = try? TritonStatistics.window(before: Data(stats), after: Data(input), model: nil, seconds: 1)
        }
        for (name, seed) in [("perf_analyzer_inception_graphdef.csv", 15), ("wrk_latency.txt", 16), ("locust_stats.csv", 17)] {
            for input in Self.mutations(of: try Self.fixture(fixtures + name), count: 100, seed: UInt64(seed)) {
                if let result = try? LoadTestImport.read(String(decoding: input, as: UTF8.self), path: name) {
                    _ = ServingFindings.row(result, evidence: Evidence(path: name, sha256: String(repeating: "0", count: 64)))
                }
            }
        }
        let document = Array(#"{"samples": [{"ts": 1764403200, "cpu": 40, "gpus": [{"utilization": 30, "memory_used_mb": 4000, "memory_total_mb": 16000}]}, {"timestamp": "2026-11-29T08:00:05Z", "mem_percent": 61}]}"#.utf8)
        for input in Self.mutations(of: document, count: 200, seed: 18) {
            _ = try? TelemetryLog.read(path: try Self.scratch("telemetry.json", input))
        }
    }
}
