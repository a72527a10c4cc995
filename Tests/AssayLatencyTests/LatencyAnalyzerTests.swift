import AssayCore
import AssayLatency
import Foundation
import AssayTestSupport
import Testing

@Suite struct LatencyAnalyzerTests {
    /// Writes a JSON-lines log of `n` requests whose inference stage is shifted by `inferenceShift` ms.
    static func log(n: Int, inferenceShift: Double, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { i in
            let pre = 2 + abs(rng.nextGaussian()) * 0.2
            let inf = 20 + inferenceShift + abs(rng.nextGaussian()) * 2
            let post = 1 + abs(rng.nextGaussian()) * 0.1
            return #"{"request_id":"r\#(i)","preprocess_ms":\#(pre),"inference_ms":\#(inf),"postprocess_ms":\#(post),"total_ms":\#(pre + inf + post)}"#
        }.joined(separator: "\n") + "\n"
    }

    func analyze(previous: String?, current: String) throws -> [Finding] {
        let root = try TestFiles.temporaryDirectory("assay-latency")
        try AtomicFile.write(Array(current.utf8), to: root + "/current.jsonl")
        var latency = LatencySources(logs: ["current.jsonl"])
        if let previous {
            try AtomicFile.write(Array(previous.utf8), to: root + "/previous.jsonl")
            latency.previousLogs = ["previous.jsonl"]
        }
        var settings = LatencySettings(workspace: WorkspaceRoot(root: root, configurationPath: root + "/assay.yaml"), sources: latency)
        settings.thresholds.bootstrapResamples = 1000
        return try LatencyAnalyzer(settings: settings).findings()
    }

    func row(_ findings: [Finding], _ check: String) throws -> Finding {
        try #require(findings.first { $0.table == .latencyProfile && $0.check == check })
    }

    @Test func regressionIsABreach() throws {
        let findings = try analyze(previous: Self.log(n: 600, inferenceShift: 0, seed: 1), current: Self.log(n: 600, inferenceShift: 8, seed: 2))
        let inference = try row(findings, "Inference")
        #expect(inference.status == .breach)
        #expect(inference.statusLabel == "❌ Regressed")
        #expect((inference.measurements["ci95_low_ms"] ?? 0) > 0)
        #expect(try row(findings, "Preprocess").status == .pass)
        #expect(findings.contains { $0.table == .bottleneckAnalysis && $0.check == "Inference stage" && $0.status == .breach })
        #expect(inference.evidence.count == 2)
    }

    @Test func improvementIsRecognized() throws {
        let findings = try analyze(previous: Self.log(n: 600, inferenceShift: 4, seed: 3), current: Self.log(n: 600, inferenceShift: 0, seed: 4))
        #expect(try row(findings, "Inference").statusLabel == "✅ Improved")
    }

    @Test func sameSettingIsStable() throws {
        let findings = try analyze(previous: Self.log(n: 600, inferenceShift: 0, seed: 5), current: Self.log(n: 600, inferenceShift: 0, seed: 6))
        #expect(findings.filter { $0.table == .latencyProfile }.allSatisfy { $0.status == .pass })
    }

    @Test func tinyAbsoluteChangesAreNotRegressions() throws {
        // Preprocess is ~2 ms; +0.3 ms is +15% but below regression.min_delta_ms (0.5 ms).
        let before = Self.log(n: 600, inferenceShift: 0, seed: 8)
        let after = before.replacingOccurrences(of: "\"preprocess_ms\":2.", with: "\"preprocess_ms\":2.3")
        let findings = try analyze(previous: before, current: after)
        #expect(try row(findings, "Preprocess").status != .breach)
    }

    @Test func withoutPreviousRunOnlyStatistics() throws {
        let findings = try analyze(previous: nil, current: Self.log(n: 100, inferenceShift: 0, seed: 7))
        let total = try row(findings, "Total")
        #expect(total.statusLabel == "✅ Measured")
        #expect(total.measurements["p95_ms"] == nil)
        #expect(total.attributes["p95_note"] == "insufficient samples (n=100 < 400)")
        #expect(total.measurements["delta_ms"] == nil)
        let shares = findings.filter { $0.table == .latencyProfile && $0.check != "Total" }.compactMap { $0.measurements["percent_total"] }
        #expect(abs(shares.reduce(0, +) - 100) < 0.01)
    }

    @Test func malformedLineNamesFileAndLine() throws {
        #expect(throws: LatencyLogError.malformedLine(path: "current.jsonl", line: 2, expected: "a JSON object")) {
            try analyze(previous: nil, current: "{\"preprocess_ms\":1,\"inference_ms\":2,\"postprocess_ms\":3}\nnot json\n")
        }
        #expect(throws: LatencyLogError.malformedLine(
            path: "current.jsonl", line: 1, expected: "a number in \"inference_ms\" or \"stages\".\"inference\"")
        ) {
            try analyze(previous: nil, current: "{\"preprocess_ms\":1,\"postprocess_ms\":3}\n")
        }
    }

    /// Long logs are decoded in one run per core: every record is kept in file order, and of two malformed lines
    /// in different runs the earlier is named.
    @Test func longLogsKeepOrderAndNameTheEarliestBadLine() throws {
        let good = (0..<10_000).map { "{\"request_id\":\($0),\"preprocess_ms\":1,\"inference_ms\":\($0),\"postprocess_ms\":3}" }
        let path = try TestFiles.temporaryFile("long.jsonl")
        try good.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let samples = try LatencyLog.read(path: path, displayPath: "long.jsonl", stages: LatencyStages.defaults)
        #expect(samples.map(\.requestID) == (0..<10_000).map { String($0) })
        var bad = good
        bad[8_999] = "not json"
        bad[2_999] = "{\"preprocess_ms\":1}"
        try bad.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: LatencyLogError.malformedLine(path: "long.jsonl", line: 3_000, expected: "a number in \"inference_ms\" or \"stages\".\"inference\"")) {
            try LatencyLog.read(path: path, displayPath: "long.jsonl", stages: LatencyStages.defaults)
        }
    }

    @Test func nestedStagesAndBlankLinesAreAccepted() throws {
        let log = "{\"request_id\": 1, \"stages\": {\"preprocess\": 1, \"inference\": 2, \"postprocess\": 3}}\n\n"
        let findings = try analyze(previous: nil, current: log)
        #expect(try row(findings, "Total").measurements["mean_ms"] == 6)
    }
}

@Suite struct OptimizationValidatorTests {
    static func samples(_ log: String) throws -> [LatencySample] {
        let path = try TestFiles.temporaryFile("assay-opt.jsonl")
        try AtomicFile.write(Array(log.utf8), to: path)
        return try LatencyLog.read(path: path, stages: ["preprocess", "inference", "postprocess"])
    }

    var validator: OptimizationValidator {
        var thresholds = Thresholds()
        thresholds.latency.bootstrapResamples = 1000
        return OptimizationValidator(thresholds: thresholds, stages: ["preprocess", "inference", "postprocess"])
    }

    @Test func acceptsARealImprovement() throws {
        let before = try Self.samples(LatencyAnalyzerTests.log(n: 600, inferenceShift: 4, seed: 1))
        let after = try Self.samples(LatencyAnalyzerTests.log(n: 600, inferenceShift: 0, seed: 1))
        let decision = try #require(validator.validate(baseline: before, candidate: after))
        #expect(decision.accepted)
        #expect(decision.paired)
        #expect(decision.deltaP95.high < 0)
    }

    @Test func rejectsTheSameSetting() throws {
        let before = try Self.samples(LatencyAnalyzerTests.log(n: 600, inferenceShift: 0, seed: 2))
        let after = try Self.samples(LatencyAnalyzerTests.log(n: 600, inferenceShift: 0, seed: 3))
        let decision = try #require(validator.validate(baseline: before, candidate: after))
        #expect(!decision.accepted)
    }

    @Test func rejectsASignificantButTooSmallImprovement() throws {
        let before = try Self.samples(LatencyAnalyzerTests.log(n: 600, inferenceShift: 1, seed: 4))
        let after = try Self.samples(LatencyAnalyzerTests.log(n: 600, inferenceShift: 0, seed: 4))
        let decision = try #require(validator.validate(baseline: before, candidate: after))
        #expect(decision.deltaP95.high < 0)
        #expect(!decision.accepted)
        #expect(decision.reason.contains("dropped only"))
    }
}

@Suite struct LatencyInputTests {
    static func write(_ text: String, _ name: String) throws -> String {
        let path = try TestFiles.temporaryDirectory("assay-input") + "/\(name)"
        try AtomicFile.write(Array(text.utf8), to: path)
        return path
    }

    /// CSV as Python's csv module writes it, with renamed columns.
    @Test func csvLogsWithMappedFields() throws {
        let path = try Self.write("", "latency.csv")
        let script = """
            import csv, sys
            with open(sys.argv[1], "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["req", "pre", "forward_ms", "postprocess_ms"])
                for i in range(10):
                    w.writerow([f"r{i}", 1.5, 10 + i, 0.5])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        try process.run()
        process.waitUntilExit()
        let samples = try LatencyLog.read(
            path: path, stages: ["preprocess", "inference", "postprocess"],
            fields: ["request_id": "req", "preprocess_ms": "pre", "inference_ms": "forward_ms"])
        #expect(samples.count == 10)
        #expect(samples[3].requestID == "r3")
        #expect(samples[3].stages["inference"] == 13)
        #expect(samples[3].total == 15)
    }

    static func python(_ script: String, _ path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    /// runtime_perf.log as Python's logging module writes it: logfmt messages among other log lines.
    @Test func runtimePerfLogFromPythonLogging() throws {
        let path = try Self.write("", "runtime_perf.log")
        try Self.python(
            """
            import logging, sys
            logging.basicConfig(filename=sys.argv[1], format="%(asctime)s %(levelname)s %(name)s %(message)s", level=logging.INFO)
            log = logging.getLogger("serve")
            log.info("model loaded from /models/mlp.safetensors")
            for i in range(5):
                log.info("request_id=r%d preprocess=%.1fms inference=%dus postprocess=0.0005s", i, 1.5 + i, 10000 + 1000 * i)
            log.warning("slow client disconnected")
            """, path)
        let samples = try LatencyLog.read(path: path, stages: ["preprocess", "inference", "postprocess"])
        #expect(samples.count == 5)
        #expect(samples[2].requestID == "r2")
        #expect(samples[2].stages == ["preprocess": 3.5, "inference": 12, "postprocess": 0.5])
        #expect(abs(samples[2].total - 16) < 1e-9)
        let partial = try Self.write("t=1 preprocess=1ms inference=2ms postprocess=1ms\nt=2 preprocess=1ms postprocess=1ms\n", "p.log")
        #expect(throws: LatencyLogError.malformedLine(path: partial, line: 2, expected: "a value for stage inference (inference=<ms>)")) {
            try LatencyLog.read(path: partial, stages: ["preprocess", "inference", "postprocess"])
        }
        let badUnit = try Self.write("preprocess=1ms inference=fast postprocess=1ms\n", "u.log")
        #expect(throws: LatencyLogError.self) { try LatencyLog.read(path: badUnit, stages: ["preprocess", "inference", "postprocess"]) }
    }

    /// profiling_report.json as json.dump writes it: {"requests": [...]} or a bare array; errors name the record.
    @Test func profilingReportDocument() throws {
        let path = try Self.write("", "profiling_report.json")
        try Self.python(
            """
            import json, sys
            records = [{"request_id": i, "stages": {"preprocess": 1.0, "inference": 10.0 + i}, "postprocess_ms": 0.5} for i in range(4)]
            json.dump({"run": "8724", "requests": records}, open(sys.argv[1], "w"), indent=2)
            """, path)
        let samples = try LatencyLog.read(path: path, stages: ["preprocess", "inference", "postprocess"])
        #expect(samples.count == 4 && samples[3].requestID == "3" && samples[3].total == 14.5)
        let bare = try Self.write(#"[{"preprocess_ms": 1, "inference_ms": 2}, {"preprocess_ms": 1}]"#, "r.json")
        #expect(throws: LatencyLogError.malformedRecord(path: bare, record: 1, expected: "a number in \"inference_ms\" or \"stages\".\"inference\"")) {
            try LatencyLog.read(path: bare, stages: ["preprocess", "inference"])
        }
        // A one-line JSON-lines log named .json still reads as JSON lines.
        let oneLine = try Self.write(#"{"preprocess_ms": 1, "inference_ms": 2}"#, "one.json")
        #expect(try LatencyLog.read(path: oneLine, stages: ["preprocess", "inference"]).count == 1)
    }

    @Test func csvErrorsNameLineAndColumn() throws {
        let missing = try Self.write("id,preprocess_ms\nr1,1\n", "a.csv")
        #expect(throws: LatencyLogError.malformedLine(path: missing, line: 1, expected: "a column \"inference_ms\"")) {
            try LatencyLog.read(path: missing, stages: ["preprocess", "inference"])
        }
        let bad = try Self.write("preprocess_ms,inference_ms\n1,2\n1,slow\n", "b.csv")
        #expect(throws: LatencyLogError.malformedLine(path: bad, line: 3, expected: "a number ≥ 0 in column inference_ms")) {
            try LatencyLog.read(path: bad, stages: ["preprocess", "inference"])
        }
    }

    @Test func jsonFieldsAreMappedToo() throws {
        let path = try Self.write(#"{"rid": 7, "pre": 1, "inference_ms": 2, "postprocess_ms": 3}"# + "\n", "l.jsonl")
        let samples = try LatencyLog.read(
            path: path, stages: ["preprocess", "inference", "postprocess"], fields: ["request_id": "rid", "preprocess_ms": "pre"])
        #expect(samples.first?.requestID == "7")
        #expect(samples.first?.total == 6)
    }
}
