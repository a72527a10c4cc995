import AssayCore
import AssayLatency
@testable import AssayProfiling
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct FlamegraphTests {
    static func lanes(_ name: String) throws -> [TraceLane] {
        TraceLane.lanes(of: try ChromeTraceParser.parse(path: try TraceTests.fixture(name)))
    }

    static func lanes(json: String) throws -> [TraceLane] {
        TraceLane.lanes(of: try ChromeTraceParser.parse(bytes: Array(json.utf8)))
    }

    /// Self times add up to the time the lanes' top-level spans cover, and stacks follow the annotations.
    @Test func foldedStacksSumToTopLevelTime() throws {
        let lanes = try Self.lanes("torch-cpu-mlp-stages.pt.trace.json.gz")
        let folded = FoldedStacks(lanes: lanes)
        let topLevel = lanes.reduce(0.0) { sum, lane in
            sum + lane.spans.indices.filter { lane.parent[$0] == nil }.reduce(0.0) { $0 + lane.spans[$1].duration }
        }
        #expect(abs(Double(folded.total) - topLevel) / topLevel < 0.01)
        #expect(folded.stacks.keys.contains { $0.contains(";request;inference;") && $0.hasSuffix("aten::addmm") })
        #expect(folded.stacks.keys.allSatisfy { !$0.contains(" ") || $0.split(separator: ";").count >= 2 })
        let reread = try FoldedStacks(text: folded.text, path: "stacks.folded")
        #expect(reread == folded)
    }

    @Test func malformedFoldedLineIsNamed() throws {
        #expect(throws: TraceError(path: "x.folded", byteOffset: 0, expected: "line 2: \"frame;frame value\" with an integer value")) {
            try FoldedStacks(text: "a;b 3\na;c three\n", path: "x.folded")
        }
    }

    /// The SVG is well-formed XML, escapes names, and the root frame spans the full width.
    @Test func svgIsWellFormedAndEscaped() throws {
        let folded = FoldedStacks(stacks: ["main;parse<T>;\"quoted\" & more": 300, "main;run": 700])
        let svg = FlamegraphSVG.render(folded, options: .init(title: "a < b"))
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(svg.contains("parse&lt;T&gt;"))
        #expect(svg.contains("&quot;quoted&quot; &amp; more"))
        #expect(svg.contains("<title>all (1000 µs, 100.00%)</title><rect x=\"0.00\" y="))
        #expect(svg.contains("width=\"1200.00\""))
        #expect(svg.contains("<title>run (700 µs, 70.00%)</title>"))
    }

    /// Grown frames are red, shrunk frames blue, unchanged ones near white.
    @Test func differentialColoursFollowTheChange() throws {
        let before = FoldedStacks(stacks: ["a;grow": 100, "a;same": 100, "a;shrink": 300])
        let after = FoldedStacks(stacks: ["a;grow": 300, "a;same": 100, "a;shrink": 100])
        let svg = FlamegraphSVG.renderDifference(before: before, after: after, normalize: false, options: .init(title: "diff"))
        func fill(_ name: String) -> String? {
            guard let title = svg.range(of: "<title>\(name) ") else { return nil }
            let rest = svg[title.upperBound...]
            guard let start = rest.range(of: "fill=\"")?.upperBound else { return nil }
            return String(rest[start...].prefix { $0 != "\"" })
        }
        #expect(fill("grow") == "rgb(255,0,0)")
        #expect(fill("shrink") == "rgb(0,0,255)")
        #expect(fill("same") == "rgb(255,220,220)")
        #expect(svg.contains("+200 µs vs before"))
        // Normalized: before scaled to after's total (500 → 500, unchanged), the same picture.
        #expect(FlamegraphSVG.renderDifference(before: before, after: after, normalize: true, options: .init(title: "diff")) == svg)
    }

    /// speedscope replays evented profiles with a stack and rejects a close that is not the top frame or a
    /// time that goes backwards; the export is checked the same way, and has the real exporter's shape.
    @Test func speedscopeExportReplaysLikeSpeedscope() throws {
        let lanes = try Self.lanes("torch-cpu-mlp-stages.pt.trace.json.gz")
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(SpeedscopeExport.json(lanes: lanes, name: "mlp").utf8)) as? [String: Any])
        let real = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try TraceTests.fixture("0.0.1__simple.speedscope.json"))))
                as? [String: Any])
        let realProfile = try #require((real["profiles"] as? [[String: Any]])?.first)
        #expect(exported["$schema"] as? String == real["$schema"] as? String)
        let frames = try #require((exported["shared"] as? [String: Any])?["frames"] as? [[String: Any]])
        let profiles = try #require(exported["profiles"] as? [[String: Any]])
        #expect(profiles.count == lanes.filter { !$0.spans.isEmpty }.count)
        var opened = 0
        for profile in profiles {
            #expect(Set(profile.keys) == Set(realProfile.keys))
            #expect(profile["type"] as? String == "evented" && profile["unit"] as? String == "microseconds")
            let start = try #require(profile["startValue"] as? Double)
            let end = try #require(profile["endValue"] as? Double)
            var stack: [Int] = []
            var last = start
            for event in try #require(profile["events"] as? [[String: Any]]) {
                let frame = try #require(event["frame"] as? Int)
                let at = try #require(event["at"] as? Double)
                #expect(frame < frames.count)
                #expect(at >= last && at <= end)
                last = at
                if event["type"] as? String == "O" {
                    stack.append(frame)
                    opened += 1
                } else {
                    #expect(stack.popLast() == frame)
                }
            }
            #expect(stack.isEmpty)
        }
        #expect(opened == lanes.reduce(0) { $0 + $1.spans.count })
    }

    /// A child that outlives its parent is cut at the parent's end so frames still nest.
    @Test func speedscopeClampsOverhangingChildren() throws {
        let lanes = try Self.lanes(json: """
            [{"ph": "X", "name": "parent", "pid": 1, "tid": 1, "ts": 0, "dur": 10},
             {"ph": "X", "name": "child", "pid": 1, "tid": 1, "ts": 5, "dur": 10},
             {"ph": "X", "name": "next", "pid": 1, "tid": 1, "ts": 12, "dur": 2}]
            """)
        let text = SpeedscopeExport.json(lanes: lanes, name: "t")
        #expect(text.contains(#"{"type":"O","frame":1,"at":5},{"type":"C","frame":1,"at":10},{"type":"C","frame":0,"at":10},{"type":"O","frame":2,"at":12}"#))
    }

    /// GPU ops are linked to their launch by correlation id; overlapping streams count once toward busy time.
    @Test func gpuActivityLinksOpsAndMeasuresIdle() throws {
        let lanes = try Self.lanes(json: """
            {"traceEvents": [
              {"ph": "X", "cat": "user_annotation", "name": "inference", "pid": 1, "tid": 1, "ts": 0, "dur": 1000},
              {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 10, "dur": 5, "args": {"correlation": 1}},
              {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 20, "dur": 5, "args": {"correlation": 2}},
              {"ph": "X", "cat": "kernel", "name": "k1", "pid": 0, "tid": 7, "ts": 100, "dur": 200, "args": {"correlation": 1}},
              {"ph": "X", "cat": "kernel", "name": "k2", "pid": 0, "tid": 8, "ts": 200, "dur": 200, "args": {"correlation": 2}},
              {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy DtoH", "pid": 0, "tid": 7, "ts": 600, "dur": 100, "args": {"correlation": 99}}
            ]}
            """)
        let gpu = try #require(TraceAttribution.analyze(lanes: lanes, stages: ["inference"]).gpu)
        #expect(gpu.ops == 3 && gpu.linkedOps == 2 && gpu.unlinkedOps == 1)
        #expect(gpu.opMicroseconds == 500)
        #expect(gpu.busyMicroseconds == 400)  // 100…400 and 600…700
        #expect(gpu.windowMicroseconds == 600)  // 100…700
        #expect(abs(gpu.idlePercent - 100.0 / 3) < 1e-9)
        #expect(gpu.stageMicroseconds == ["inference": 400, "unlinked": 100])
        let findings = TraceAttribution.analyze(lanes: lanes, stages: ["inference"])
            .gpuFindings(evidence: Evidence(path: "t.json", sha256: String(repeating: "0", count: 64)), maxIdlePercent: 30)
        #expect(findings.map(\.check) == ["GPU idle (trace)", "Unlinked GPU ops (trace)"])
        #expect(findings[0].status == .watch)
    }

    /// On a real Kineto trace every kernel finds its cudaLaunchKernel, and the GPU waits on the host.
    @Test func realTraceLinksEveryGPUOp() throws {
        let gpu = try #require(TraceAttribution.analyze(lanes: try Self.lanes("hta__critical_path__cuda_event_sync__event_sync_trace.json.gz"), stages: []).gpu)
        #expect(gpu.ops == 5 && gpu.unlinkedOps == 0)
        #expect(gpu.idlePercent > 50)
    }

    @Test func stagePatternsMatchProfilerSteps() throws {
        let lanes = try Self.lanes(json: """
            [{"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#1", "pid": 1, "tid": 1, "ts": 0, "dur": 100},
             {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": 10, "dur": 80},
             {"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#2", "pid": 1, "tid": 1, "ts": 100, "dur": 100},
             {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": 110, "dur": 60},
             {"ph": "X", "cat": "user_annotation", "name": "Step", "pid": 1, "tid": 1, "ts": 300, "dur": 100}]
            """)
        let attribution = TraceAttribution.analyze(lanes: lanes, stages: ["ProfilerStep#*"])
        #expect(attribution.stages.map(\.name) == ["ProfilerStep#*"])
        #expect(attribution.stages.first?.count == 2)
        #expect(attribution.attributedPercent == 70)
        #expect(StageMatcher(["a*b*c"]).stage(of: "aXbYc") == "a*b*c")
        #expect(StageMatcher(["a*b*c"]).stage(of: "aXbYcd") == nil)
        #expect(StageMatcher(["*forward"]).stage(of: "model.forward") == "*forward")
    }

    /// The profiler's own range is not a stage: without stages, the work under it is.
    @Test func profilerRangeIsNotWork() throws {
        let lanes = try Self.lanes(json: """
            [{"ph": "X", "cat": "Trace", "name": "PyTorch Profiler (0)", "pid": "Spans", "tid": "Traces", "ts": 0, "dur": 1000},
             {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": 10, "dur": 80}]
            """)
        let attribution = TraceAttribution.analyze(lanes: lanes, stages: [])
        #expect(attribution.stageMicroseconds == 80)
        #expect(attribution.attributedPercent == 100)
    }
}

@Suite struct TraceDiffTests {
    static func trace(slowMean: Double, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        var events: [String] = []
        var t = 0.0
        for step in 0..<60 {
            let noise = { Double(rng.index(below: 21)) - 10 }
            let slow = slowMean + noise()
            let steady = 50 + noise()
            events.append(#"{"ph": "X", "cat": "user_annotation", "name": "step", "pid": 1, "tid": 1, "ts": \#(t), "dur": \#(slow + steady + 10)}"#)
            events.append(#"{"ph": "X", "cat": "cpu_op", "name": "aten::slow", "pid": 1, "tid": 1, "ts": \#(t + 1), "dur": \#(slow)}"#)
            events.append(#"{"ph": "X", "cat": "cpu_op", "name": "aten::steady", "pid": 1, "tid": 1, "ts": \#(t + 2 + slow), "dur": \#(steady)}"#)
            if step % 2 == 0 {
                events.append(#"{"ph": "X", "cat": "cpu_op", "name": "aten::rare", "pid": 1, "tid": 1, "ts": \#(t + 3 + slow + steady), "dur": 5}"#)
            }
            t += slow + steady + 20
        }
        return "[" + events.joined(separator: ",") + "]"
    }

    /// A 50 µs slowdown ranks first with a CI95 excluding 0; an unchanged operator's CI95 includes 0.
    @Test func slowedOperatorRanksFirstAndIsSignificant() throws {
        let before = try FlamegraphTests.lanes(json: Self.trace(slowMean: 100, seed: 1))
        let after = try FlamegraphTests.lanes(json: Self.trace(slowMean: 150, seed: 2))
        let diff = TraceDiff.compare(before: before, after: after, stages: ["step"], top: 10, bootstrap: Bootstrap(resamples: 2000))
        #expect(diff.beforeSteps == 60 && diff.afterSteps == 60)
        let first = try #require(diff.rows.first)
        #expect(first.name == "aten::slow")
        #expect(first.significant)
        let interval = try #require(first.deltaMean)
        #expect(interval.low > 40 && interval.high < 60)
        #expect(abs(first.deltaSelfPerStep - interval.estimate) < 1e-9)
        let steady = try #require(diff.rows.first { $0.name == "aten::steady" })
        #expect(!steady.significant)
        // Seeded: the same inputs give the same intervals.
        let again = TraceDiff.compare(before: before, after: after, stages: ["step"], top: 10, bootstrap: Bootstrap(resamples: 2000))
        #expect(again.rows == diff.rows)
    }
}
