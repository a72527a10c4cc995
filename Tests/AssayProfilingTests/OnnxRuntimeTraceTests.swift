import AssayProfiling
import AssayTestSupport
import Foundation
import Testing

/// ONNX Runtime's own profiler traces (written by onnxruntime 1.32.0 on the example model, see Fixtures/NOTICE):
/// time goes to operator types, pooling and activations, layout reorders and the session, never to a node instance.
@Suite struct OnnxRuntimeTraceTests {
    static func lanes(_ name: String) throws -> [TraceLane] {
        TraceLane.lanes(of: try ChromeTraceParser.parse(path: try TraceTests.fixture(name)))
    }

    /// The same sums straight from the JSON: kernel time per operator family inside model_run, and model_run's
    /// time that no node covers.
    static func reference(_ name: String) throws -> (families: [String: Double], session: Double, runs: Int) {
        let events = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try TraceTests.fixture(name)))) as? [[String: Any]])
        let families: [String: String] = [
            "MaxPool": "Pooling", "GlobalAveragePool": "Pooling", "Relu": "Activations", "Flatten": "Shape ops", "ReorderOutput": "Layout reorders",
        ]
        var sums: [String: Double] = [:]
        var runTime = 0.0
        var runs = 0
        var nodeTime = 0.0
        for event in events {
            let duration = (event["dur"] as? Double) ?? Double(event["dur"] as? Int ?? 0)
            if event["cat"] as? String == "Session", event["name"] as? String == "model_run" {
                runTime += duration
                runs += 1
            }
            guard event["cat"] as? String == "Node", let args = event["args"] as? [String: Any], let op = args["op_name"] as? String else { continue }
            sums[families[op] ?? op, default: 0] += duration
            nodeTime += duration
        }
        return (sums, runTime - nodeTime, runs)
    }

    @Test(arguments: ["onnxruntime-1.32.0-cnn.json", "onnxruntime-1.32.0-cnn-unoptimized.json"])
    func timeGoesToOperatorTypesAsTheTraceSays(_ name: String) throws {
        let attribution = TraceAttribution.analyze(lanes: try Self.lanes(name), stages: [])
        let reference = try Self.reference(name)
        #expect(attribution.stages.map(\.name) == ["model_run"] && attribution.stages.first?.count == reference.runs)
        #expect(attribution.attributedPercent >= 90 && attribution.unknownPercent < 10)
        let byName = Dictionary(uniqueKeysWithValues: attribution.components.map { ($0.name, $0.microseconds) })
        for (family, microseconds) in reference.families {
            #expect(abs((byName[family] ?? -1) - microseconds) < 0.5, "\(family): \(byName[family] ?? -1) against \(microseconds)")
        }
        #expect(abs((byName["Session overhead"] ?? -1) - reference.session) < 0.5)
        #expect(attribution.components.first?.name == "Conv", "the convolutions are the work: \(attribution.components.map(\.name))")
        #expect(!attribution.components.contains { $0.name.contains("kernel_time") || $0.name == "Node" || $0.name == "Session setup" })
    }

    @Test func unfusedActivationsShowAndTheDiffNamesTheNodes() throws {
        let optimized = try Self.lanes("onnxruntime-1.32.0-cnn.json")
        let unoptimized = try Self.lanes("onnxruntime-1.32.0-cnn-unoptimized.json")
        let fused = TraceAttribution.analyze(lanes: optimized, stages: [])
        let plain = TraceAttribution.analyze(lanes: unoptimized, stages: [])
        // ORT fuses Relu into the NCHWc convolutions; with optimizations off each Relu is a node of its own.
        #expect(!fused.components.contains { $0.name == "Activations" } && plain.components.contains { $0.name == "Activations" })
        #expect(fused.components.contains { $0.name == "Layout reorders" } && !plain.components.contains { $0.name == "Layout reorders" })
        let diff = TraceDiff.compare(before: optimized, after: unoptimized, stages: [])
        #expect(diff.beforeSteps == 8 && diff.afterSteps == 8)
        let added = diff.rows.first { $0.name == "/block2/Conv_kernel_time" }
        #expect(added?.component == "Conv" && added?.before == nil && (added?.afterSelfPerStep ?? 0) > 0)
        #expect(diff.rows.first { $0.name == "relu2_nchwc_kernel_time" }?.after == nil)
        // The flamegraph nests each node under its run.
        let stacks = FoldedStacks(lanes: optimized).stacks.keys
        #expect(stacks.contains { $0.hasSuffix("model_run;SequentialExecutor::Execute;relu2_nchwc_kernel_time") })
    }

    @Test func severalProvidersAreNamedPerComponent() throws {
        let path = try TestFiles.temporaryFile("two-providers.json")
        let events = """
            [{"cat":"Session","pid":1,"tid":1,"dur":100,"ts":0,"ph":"X","name":"model_run","args":{}},
            {"cat":"Node","pid":1,"tid":1,"dur":40,"ts":10,"ph":"X","name":"/a/MatMul_kernel_time","args":{"op_name":"MatMul","provider":"CUDAExecutionProvider"}},
            {"cat":"Node","pid":1,"tid":1,"dur":20,"ts":50,"ph":"X","name":"/b/MatMul_kernel_time","args":{"op_name":"MatMul","provider":"CPUExecutionProvider"}},
            {"cat":"Node","pid":1,"tid":1,"dur":10,"ts":70,"ph":"X","name":"Memcpy_kernel_time","args":{"op_name":"MemcpyToHost","provider":"CUDAExecutionProvider"}}]
            """
        try events.write(toFile: path, atomically: true, encoding: .utf8)
        let attribution = TraceAttribution.analyze(lanes: TraceLane.lanes(of: try ChromeTraceParser.parse(path: path)), stages: [])
        let byName = Dictionary(uniqueKeysWithValues: attribution.components.map { ($0.name, $0.microseconds) })
        #expect(byName["MatMul [CUDA]"] == 40 && byName["MatMul [CPU]"] == 20 && byName["Memory copies [CUDA]"] == 10 && byName["Session overhead"] == 30)
    }
}
