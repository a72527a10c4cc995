import AssayCore
import AssayLatency
import AssayProfiling
import Foundation
import AssayTestSupport
import Testing

@Suite struct TraceTests {
    static func fixture(_ name: String) throws -> String {
        try TestFiles.fixture(name, in: .module)
    }

    @Test(arguments: [
        "hta__cpu_only__rank-34.Jul_15_10_52_41.1074.pt.trace.json.gz",
        "hta__critical_path__cuda_event_sync__event_sync_trace.json.gz",
        "hta__cupti_profiler__benchmark_result_924719_1679055439_trace.json.gz",
        "torch-cpu-mlp-stages.pt.trace.json.gz",
        "h200-mlp-baseline.pt.trace.json.gz",
        "h200-mlp-item.pt.trace.json.gz",
    ])
    func everyFixtureTraceParses(_ name: String) throws {
        let trace = try ChromeTraceParser.parse(path: try Self.fixture(name))
        #expect(!trace.events.isEmpty)
        #expect(trace.events.allSatisfy { $0.timestamp > 0 })
        #expect(!trace.unterminated)
    }

    /// The count of complete events agrees with Python's json module on the same file.
    @Test func eventCountsAgreeWithPython() throws {
        let path = try Self.fixture("torch-cpu-mlp-stages.pt.trace.json.gz")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import gzip,json,sys; d=json.load(gzip.open(sys.argv[1])); print(sum(1 for e in d['traceEvents'] if e.get('ph')=='X'))", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let ours = try ChromeTraceParser.parse(path: path).events.filter { $0.phase == UInt8(ascii: "X") }.count
        #expect(String(ours) == output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func stageTraceIsAttributedAtLeastNinetyPercent() throws {
        let trace = try ChromeTraceParser.parse(path: try Self.fixture("torch-cpu-mlp-stages.pt.trace.json.gz"))
        let attribution = TraceAttribution.analyze(trace, stages: ["preprocess", "inference", "postprocess"])
        #expect(attribution.stages.map(\.name) == ["preprocess", "inference", "postprocess"])
        #expect(attribution.stages.allSatisfy { $0.count == 24 })
        #expect(attribution.attributedPercent >= 90)
        #expect(attribution.unknownPercent < 10)
        #expect(attribution.components.first?.name == "CPU ops")
    }

    /// A real GPU trace (torch 2.11, CUDA 13, an H200; Benchmarks/gpu/torch_traces.py): Kineto mirrors every
    /// record_function on the GPU stream, and each stage is still counted once per step, on the CPU side, while its
    /// kernels are credited to it through their launches.
    @Test func gpuTraceCountsEachStageOncePerStep() throws {
        let trace = try ChromeTraceParser.parse(path: try Self.fixture("h200-mlp-baseline.pt.trace.json.gz"))
        let attribution = TraceAttribution.analyze(trace, stages: ["preprocess", "inference", "postprocess"])
        #expect(attribution.stages.map(\.count) == [6, 6, 6])
        let gpu = try #require(attribution.gpu)
        #expect(gpu.ops == 168 && gpu.linkedOps == 168 && gpu.unlinkedOps == 0)
        #expect((gpu.stageMicroseconds["inference"] ?? 0) > (gpu.stageMicroseconds["preprocess"] ?? 0))
        #expect(attribution.components.contains { $0.name == "Kernel launch overhead" })
        #expect(!attribution.components.contains { $0.name.hasPrefix("Kernels") })
    }

    /// The real H200 pair with a planted `.item()` per layer: six profiler steps found in each trace without being
    /// told, `aten::item` (whose inclusive time grew: it now waits on a device copy) among the top changes, and none
    /// of the profiler's bookkeeping ranked.
    @Test func gpuTraceDiffNamesTheOperatorUsersSee() throws {
        func lanes(_ name: String) throws -> [TraceLane] { TraceLane.lanes(of: try ChromeTraceParser.parse(path: try Self.fixture(name))) }
        let diff = TraceDiff.compare(
            before: try lanes("h200-mlp-baseline.pt.trace.json.gz"), after: try lanes("h200-mlp-item.pt.trace.json.gz"), stages: [], top: 5,
            bootstrap: Bootstrap(resamples: 500, seed: 1))
        #expect(diff.beforeSteps == 6 && diff.afterSteps == 6)
        let item = try #require(diff.rows.first { $0.name == "aten::item" })
        #expect(item.deltaInclusivePerStep > 100 && item.significant)
        #expect(!diff.rows.contains { $0.name.hasPrefix("PyTorch Profiler") || $0.name.hasPrefix("ProfilerStep#") })
        #expect(diff.rows.first { $0.name == "inference" }?.before?.count == 6)
    }

    /// A synchronize planted inside the inference stage shows up as the CUDA-sync bottleneck.
    @Test func plantedSynchronizeIsTheBottleneck() throws {
        let json = """
            {"traceEvents": [
              {"ph": "X", "cat": "user_annotation", "name": "inference", "pid": 1, "tid": 1, "ts": 1000, "dur": 10000},
              {"ph": "X", "cat": "cpu_op", "name": "aten::linear", "pid": 1, "tid": 1, "ts": 1100, "dur": 1500},
              {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 1200, "dur": 100, "args": {"correlation": 7}},
              {"ph": "X", "cat": "cuda_runtime", "name": "cudaDeviceSynchronize", "pid": 1, "tid": 1, "ts": 2700, "dur": 8000},
              {"ph": "X", "cat": "kernel", "name": "gemm_kernel", "pid": 0, "tid": "stream 7", "ts": 1300, "dur": 9000, "args": {"correlation": 7}}
            ]}
            """
        let trace = try ChromeTraceParser.parse(bytes: Array(json.utf8))
        #expect(trace.events.first { $0.name == "gemm_kernel" }?.correlation == 7)
        let attribution = TraceAttribution.analyze(trace, stages: ["inference"])
        #expect(attribution.components.first?.name == "CUDA sync")
        #expect(attribution.components.first?.topEvent == "cudaDeviceSynchronize")
        #expect(abs((attribution.components.first?.percent ?? 0) - 80) < 0.001)
    }

    @Test func bareUnterminatedArrayAndBeginEndPairs() throws {
        let json = #"[{"ph": "B", "name": "preprocess", "cat": "user_annotation", "pid": "Spans", "tid": 5, "ts": "10.5"}, {"ph": "X", "name": "aten::add", "cat": "cpu_op", "pid": "Spans", "tid": 5, "ts": 11, "dur": 4}, {"ph": "E", "pid": "Spans", "tid": 5, "ts": 20.5},"#
        let trace = try ChromeTraceParser.parse(bytes: Array(json.utf8))
        #expect(trace.unterminated)
        #expect(trace.events.count == 3)
        let attribution = TraceAttribution.analyze(trace, stages: ["preprocess"])
        #expect(attribution.stages.first?.totalMicroseconds == 10)
        #expect(attribution.attributedPercent == 40)
    }

    @Test func malformedTraceNamesTheByteOffset() throws {
        #expect(throws: TraceError(path: "trace", byteOffset: 23, expected: ":")) {
            try ChromeTraceParser.parse(bytes: Array(#"{"traceEvents": [{"ph" "X"}]}"#.utf8))
        }
        #expect(throws: TraceError.self) { try ChromeTraceParser.parse(bytes: Array("{\"other\": 1}".utf8)) }
        #expect(throws: (any Error).self) { try Gzip.decompress([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff]) }
    }

    /// Found by fuzz-trace: a 70-digit duration reached the flamegraph's whole-microsecond totals and trapped.
    @Test func impossibleTimesAreErrorsAndTotalsSaturate() throws {
        #expect(throws: TraceError(path: "trace", byteOffset: 42, expected: "a time in microseconds within ±1e18")) {
            try ChromeTraceParser.parse(bytes: Array(#"[{"ph": "X", "name": "a", "ts": 0, "dur": 5555555555555555555555555555555555524.1}]"#.utf8))
        }
        #expect(throws: TraceError.self) {
            try ChromeTraceParser.parse(bytes: Array(#"[{"ph": "B", "name": "a", "ts": "nan"}]"#.utf8))
        }
        let correlation = try ChromeTraceParser.parse(bytes: Array(#"[{"ph": "X", "name": "a", "ts": 0, "dur": 1, "args": {"correlation": 1e300}}]"#.utf8))
        #expect(correlation.events.first?.correlation == nil)
        let stacks = FoldedStacks(stacks: ["a": Int.max - 1, "b": 5])
        #expect(stacks.total == Int.max)
        #expect(FoldedStacks.whole(1e300) == Int.max && FoldedStacks.whole(.nan) == 0 && FoldedStacks.whole(2.5) == 3)
    }
}
