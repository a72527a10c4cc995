import AssayLatency
import AssayProfiling
import AssayTestSupport
import Foundation
import Testing

/// `assay trace diff` against Meta's Holistic Trace Analysis (HolisticTraceAnalysis from PyPI, `TraceDiff.compare_traces`)
/// on the two PyTorch traces written on an H200, the second with a `.item()` per layer planted.
@Suite(.enabled(if: ExternalTool.pythonModulesAvailable(["hta"]), "needs HolisticTraceAnalysis (pip install HolisticTraceAnalysis; scripts/test installs it)"))
struct TraceDiffHTATests {
    /// HTA's counts and total durations per CPU-side operator (cpu_op and CUDA runtime calls) over every profiled
    /// iteration, as JSON {name: [control count, test count, control µs, test µs]}.
    static let script = #"""
        import json, logging, sys
        logging.disable(logging.CRITICAL)
        from hta.trace_diff import TraceDiff, LabeledTrace, DeviceType
        control, test = (LabeledTrace(label=l, trace_dir=d) for l, d in (("control", sys.argv[1]), ("test", sys.argv[2])))
        diff = TraceDiff.compare_traces(control, test, control_iteration=control.iterations(),
                                        test_iteration=test.iterations(), device_type=DeviceType.CPU)
        names = set()
        for lt in (control, test):
            summary = lt.get_ops_summary(lt.extract_ops(None, lt.iterations(), DeviceType.CPU))
            names |= set(summary[summary["cat"].isin(["cpu_op", "cuda_runtime", "cuda_driver"])]["name"])
        ops = {name: [row["control_counts"], row["test_counts"], row["control_total_duration"], row["test_total_duration"]]
               for name, row in diff.iterrows() if name in names}
        print(json.dumps({"steps": [len(control.iterations()), len(test.iterations())], "ops": ops}))
        """#

    @Test func countsAndDurationsAgreeWithHTA() throws {
        let directory = try TestFiles.temporaryDirectory("hta-diff")
        var lanes: [[TraceLane]] = []
        for (name, side) in [("h200-mlp-baseline.pt.trace.json.gz", "control"), ("h200-mlp-item.pt.trace.json.gz", "test")] {
            try FileManager.default.createDirectory(atPath: directory + "/" + side, withIntermediateDirectories: true)
            let path = directory + "/" + side + "/" + name
            try FileManager.default.copyItem(atPath: try TraceTests.fixture(name), toPath: path)
            lanes.append(TraceLane.lanes(of: try ChromeTraceParser.parse(path: path)))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, directory + "/control", directory + "/test"]
        let (stdout, stderr) = try ExternalTool.capture(process)
        try #require(process.terminationStatus == 0, "\(String(decoding: stderr, as: UTF8.self).suffix(2000))")
        struct HTA: Decodable {
            var steps: [Int]
            var ops: [String: [Double]]
        }
        let hta = try JSONDecoder().decode(HTA.self, from: stdout)
        let diff = TraceDiff.compare(before: lanes[0], after: lanes[1], stages: [], top: .max, bootstrap: Bootstrap(resamples: 200))
        #expect(hta.steps == [diff.beforeSteps, diff.afterSteps], "the same profiler steps: 6 and 6")
        #expect(hta.ops.count > 20)
        for (name, h) in hta.ops {
            let row = try #require(diff.rows.first { $0.name == name }, "\(name) is in HTA's diff but not Assay's")
            #expect(Double(row.before?.count ?? 0) == h[0] && Double(row.after?.count ?? 0) == h[1], "\(name): counts")
            // HTA rounds each event's start and end to whole microseconds, so its durations run up to 2 µs short per
            // event (0.697 µs becomes -1): Assay's exact total may exceed HTA's by that much, and by at most 1% else.
            for (assay, reference, events) in [
                (row.beforeInclusivePerStep * Double(diff.beforeSteps), h[2], h[0]), (row.afterInclusivePerStep * Double(diff.afterSteps), h[3], h[1]),
            ] {
                let slack = 0.01 * abs(reference)
                #expect(assay >= reference - slack && assay <= reference + 2 * events + slack, "\(name): \(assay) µs against HTA's \(reference) µs over \(Int(events)) events")
            }
        }
        // The planted regression: aten::item is a top change, its call path goes down to the synchronisation.
        let item = try #require(diff.rows.firstIndex { $0.name == "aten::item" })
        #expect(item < 3)
        #expect(diff.rows[item].callPath.first?.name == "aten::_local_scalar_dense")
        #expect(!diff.rows.prefix(10).contains { $0.name.hasPrefix("ProfilerStep") || $0.name.hasPrefix("PyTorch Profiler") })
    }
}

/// Labels follow what the trace shows: `aten::item` waits on the device only where there is one.
@Suite struct TraceLabelTests {
    static func lanes(gpu: Bool) throws -> [TraceLane] {
        let kernel = gpu ? #", {"ph": "X", "cat": "kernel", "name": "gemm", "pid": 0, "tid": 7, "ts": 10, "dur": 50}"# : ""
        let json = #"{"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "aten::item", "pid": 1, "tid": 1, "ts": 0, "dur": 40}\#(kernel)]}"#
        return TraceLane.lanes(of: try ChromeTraceParser.parse(bytes: Array(json.utf8)))
    }

    @Test func itemIsACUDASyncOnlyWithGPUWork() throws {
        let cpu = TraceAttribution.analyze(lanes: try Self.lanes(gpu: false), stages: [])
        #expect(cpu.components.map(\.name).contains("CPU ops") && !cpu.components.map(\.name).contains { $0.contains("CUDA") })
        let gpu = TraceAttribution.analyze(lanes: try Self.lanes(gpu: true), stages: [])
        #expect(gpu.components.map(\.name).contains("CUDA sync (aten::item)"))
        let diff = TraceDiff.compare(before: try Self.lanes(gpu: false), after: try Self.lanes(gpu: false), stages: [])
        #expect(diff.rows.first { $0.name == "aten::item" }?.component == "CPU ops")
    }
}

/// Trace files are read through a memory map (gzip inflated into a temporary file first): the same events as
/// parsing the bytes in memory, and a damaged gzip named as such.
@Suite struct TraceFileTests {
    @Test func mappedAndInflatedReadsEqualInMemoryParsing() throws {
        let path = try TraceTests.fixture("h200-mlp-item.pt.trace.json.gz")
        let fromFile = try ChromeTraceParser.parse(path: path)
        let plain = try Gzip.decompress(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let fromBytes = try ChromeTraceParser.parse(bytes: plain, path: path)
        #expect(fromFile.events == fromBytes.events && fromFile.threads == fromBytes.threads)
        #expect(fromFile.events.count > 1000 && fromFile.threads.count > 1)
        let directory = try TestFiles.temporaryDirectory("trace-file")
        try Data(plain).write(to: URL(fileURLWithPath: directory + "/plain.json"))
        #expect(try ChromeTraceParser.parse(path: directory + "/plain.json").events == fromBytes.events)
        #expect(MemoryLayout<TraceEvent>.stride <= 72)
    }

    @Test func truncatedGzipIsNamed() throws {
        let compressed = try Data(contentsOf: URL(fileURLWithPath: try TraceTests.fixture("h200-mlp-item.pt.trace.json.gz")))
        let path = try TestFiles.temporaryDirectory("trace-file") + "/cut.json.gz"
        try compressed.prefix(compressed.count / 2).write(to: URL(fileURLWithPath: path))
        #expect {
            try ChromeTraceParser.parse(path: path)
        } throws: { error in
            "\(error)".contains("valid gzip (truncated data)")
        }
    }
}
