import AssayAudit
import AssayConfig
import AssayCore
import AssayEnvironment
import AssayLatency
import AssayReport
import AssayReproducibility
import AssayStore
import AssayTelemetry
import AssayTestSupport
import Foundation
import Testing

@Suite struct AuditorTests {
    struct FailingCheck: LayerCheck {
        let layer = Layer.latency
        struct Boom: Error, CustomStringConvertible { var description: String { "logs/latency.jsonl:3: expected a JSON object" } }
        func run(_ configuration: Configuration, earlier: [LayerResult]) async throws -> LayerOutcome { throw Boom() }
    }

    func workspace(approved: Bool) throws -> Configuration {
        let root = try TestFiles.temporaryDirectory("assay-audit")
        try AtomicFile.write(Array("weights".utf8), to: root + "/model.bin")
        try AtomicFile.write(Array("version: 1\n".utf8), to: root + "/assay.yaml")
        var configuration = try ConfigLoader.load(path: root + "/assay.yaml")
        let digest = try FileDigest.sha256(ofFileAt: root + "/model.bin")
        configuration.artifacts = [
            .init(name: "weights", kind: .model, path: "model.bin", approvedSHA256: approved ? digest : String(repeating: "1", count: 64))
        ]
        return configuration
    }

    /// Too little history says exactly what is needed and what is stored, and the remedy is to run again.
    @Test func baselineSaysHowManyRunsItNeedsAndHas() async throws {
        let store = try Store()
        let now = Date()
        let evidence = Evidence(path: "logs/latency.jsonl", sha256: String(repeating: "c", count: 64))
        let latency = Finding(
            table: .latencyProfile, check: "Total", status: .pass, observed: "P95 41 ms", expected: "≤ 50 ms", severity: .info,
            measurements: ["p95_ms": 41, "mean_ms": 30], evidence: evidence)
        let earlier = [LayerResult(layer: .latency, state: .verified, findings: [latency], startedAt: now, durationSeconds: 1)]
        try store.saveMetrics([MetricPoint(metric: "latency.total.p95_ms", value: 40, recordedAt: now.addingTimeInterval(-3600), runID: "r0")])
        let outcome = try await BaselineCheck(history: store, now: { now }).run(try workspace(approved: true), earlier: earlier)
        guard case .notVerified(let reason) = outcome else {
            Issue.record("expected not verified, got \(outcome)")
            return
        }
        #expect(reason == "not enough history yet: a baseline needs 3 earlier runs in 7 days; 1 stored. Run the audit again: each audit adds to the history")
        let report = ReportBuilder(service: "svc", thresholds: Thresholds()).build(
            AuditRun(
                id: "r1", startedAt: now, finishedAt: now, configuration: evidence,
                layers: [LayerResult(layer: .baseline, state: .notVerified(reason: reason), findings: [], startedAt: now, durationSeconds: 0)],
                judgement: Judgement(verdict: .stable, reasons: [])))
        #expect(report.recommendations.contains { $0.hasPrefix("Performance baseline: not verified (not enough history yet") && !$0.contains("configure it") }, "\(report.recommendations)")
    }

    @Test func runsEveryLayerInOrderAndMarksMissingOnesNotVerified() async throws {
        let run = try await Auditor().audit(try workspace(approved: true), id: "t1")
        #expect(run.layers.map(\.layer) == Layer.allCases)
        #expect(run.result(for: .environment)?.isVerified == true)
        #expect(run.result(for: .environment)?.findings.map(\.status) == [.pass])
        // The baseline check needs a store the CLI passes in; without it the layer is not built here.
        #expect(run.result(for: .baseline)?.notVerifiedReason == Auditor.notBuiltReason)
        #expect(run.result(for: .capacity)?.notVerifiedReason?.hasPrefix("no capacity measurement configured") == true)
        #expect(run.judgement.verdict == .atRisk)
    }

    @Test func onlyRequiredLayersDecideTheVerdict() async throws {
        var configuration = try workspace(approved: true)
        configuration.verdictRules = VerdictRules(requiredLayers: [.environment])
        #expect(try await Auditor().audit(configuration).judgement.verdict == .stable)
    }

    @Test func changedArtifactIsAtRiskEvenWhenOnlyEnvironmentIsRequired() async throws {
        var configuration = try workspace(approved: false)
        configuration.verdictRules = VerdictRules(requiredLayers: [.environment])
        let run = try await Auditor().audit(configuration)
        #expect(run.judgement.verdict == .atRisk)
        #expect(run.judgement.reasons.first?.contains("integrity failure") == true)
    }

    @Test func aFailingCheckBecomesNotVerifiedWithItsReason() async throws {
        let run = try await Auditor(checks: [EnvironmentCheck(), FailingCheck()]).audit(try workspace(approved: true))
        #expect(run.result(for: .latency)?.notVerifiedReason == "check failed: logs/latency.jsonl:3: expected a JSON object")
    }

    @Test func auditStoresAndRendersEndToEnd() async throws {
        let configuration = try workspace(approved: true)
        let run = try await Auditor().audit(configuration, id: "e2e")
        let store = try Store()
        try store.save(run)
        let loaded = try #require(try store.latestRun())
        let report = ReportBuilder(service: configuration.service).build(loaded)
        #expect(report.verdict == run.judgement.verdict)
        #expect(try ReportWriter.render(report, as: .markdown).contains("`model.bin` · `sha256:"))
    }

    @Test func rebuildTicketNamesChangedEnvironmentComponents() async throws {
        var configuration = try workspace(approved: false)
        try AtomicFile.write(Array("packages: []\n".utf8), to: configuration.root + "/env_manifest.yaml")
        var inference = InferenceCommand(
            command: ["/bin/sh", "-c", #"od -An -N4 -tu4 /dev/urandom > "$1/out.txt""#, "sh", "{output}"], outputs: ["out.txt"])
        inference.manifest = "env_manifest.yaml"
        configuration.inference = inference
        let run = try await Auditor().audit(configuration)
        #expect(run.result(for: .reproducibility)?.findings.contains { $0.status == .integrityFailure } == true)
        // Not a manifest written by assay env snapshot: an unverified Environment Hash row, not a failed layer.
        #expect(run.result(for: .reproducibility)?.findings.first { $0.check == "Environment Hash" }?.status == .unverified)
        let ticket = try String(contentsOfFile: configuration.resolve(".assay/rebuild_ticket.md"), encoding: .utf8)
        #expect(ticket.contains("- Environment: Model Binary: weights: sha256:"))
        #expect(ticket.contains("- Output out.txt (run 2 vs run 1), first differs at byte"))
        let manifestDigest = try FileDigest.sha256(ofFileAt: configuration.root + "/env_manifest.yaml")
        #expect(ticket.contains(manifestDigest))
    }

    @Test func tracesAddComponentBottlenecks() async throws {
        var configuration = try workspace(approved: true)
        let log = (0..<50).map { #"{"request_id":"r\#($0)","preprocess_ms":1,"inference_ms":8,"postprocess_ms":1}"# }.joined(separator: "\n")
        try AtomicFile.write(Array(log.utf8), to: configuration.root + "/latency.jsonl")
        let trace = """
            {"traceEvents": [
              {"ph": "X", "cat": "user_annotation", "name": "inference", "pid": 1, "tid": 1, "ts": 0, "dur": 1000},
              {"ph": "X", "cat": "cpu_op", "name": "aten::addmm", "pid": 1, "tid": 1, "ts": 10, "dur": 600},
              {"ph": "X", "cat": "python_function", "name": "forward", "pid": 1, "tid": 1, "ts": 700, "dur": 100}
            ]}
            """
        try AtomicFile.write(Array(trace.utf8), to: configuration.root + "/trace.json")
        configuration.latency = LatencySources(logs: ["latency.jsonl"], traces: ["trace.json"])
        let run = try await Auditor().audit(configuration)
        let rows = run.result(for: .latency)?.findings(in: .bottleneckAnalysis) ?? []
        #expect(rows.map(\.check).contains("CPU ops (trace)"))
        let unknown = try #require(rows.first { $0.check == "Unknown/Overhead (trace)" })
        #expect(unknown.status == .watch)
        #expect(abs((unknown.measurements["percent_total"] ?? 0) - 30) < 1e-9)
        #expect(unknown.primaryEvidence.path == "trace.json")
        let cache = try #require(rows.first { $0.check == "Cache misses" })
        #expect(cache.observed == "not measured" && cache.status == .notJudged)
        // What says it was not measured is the configuration, not the trace.
        #expect(cache.primaryEvidence.locator == "workspace.latency.perf_stat (not set)" && cache.primaryEvidence.path != "trace.json")
    }

    /// The previous run's trace fills the Regression column; perf stat output measures cache misses.
    @Test func previousTraceAndPerfStatFillTheirColumns() async throws {
        var configuration = try workspace(approved: true)
        let log = (0..<50).map { #"{"request_id":"r\#($0)","preprocess_ms":1,"inference_ms":8,"postprocess_ms":1}"# }.joined(separator: "\n")
        try AtomicFile.write(Array(log.utf8), to: configuration.root + "/latency.jsonl")
        func trace(addmm: Int) -> String {
            """
            [{"ph": "X", "cat": "user_annotation", "name": "inference", "pid": 1, "tid": 1, "ts": 0, "dur": 2000},
             {"ph": "X", "cat": "cpu_op", "name": "aten::addmm", "pid": 1, "tid": 1, "ts": 10, "dur": \(addmm)},
             {"ph": "X", "cat": "cuda_runtime", "name": "cudaDeviceSynchronize", "pid": 1, "tid": 1, "ts": 1500, "dur": 400}]
            """
        }
        try AtomicFile.write(Array(trace(addmm: 600).utf8), to: configuration.root + "/before.json")
        try AtomicFile.write(Array(trace(addmm: 1100).utf8), to: configuration.root + "/after.json")
        let perf = " Performance counter stats for './serve':\n\n        1,000      cache-references\n           25      cache-misses\n"
        try AtomicFile.write(Array(perf.utf8), to: configuration.root + "/perf.txt")
        configuration.latency = LatencySources(logs: ["latency.jsonl"], traces: ["after.json"], stages: ["inference"])
        configuration.latency?.previousTraces = ["before.json"]
        configuration.latency?.perfStat = "perf.txt"
        let run = try await Auditor().audit(configuration)
        let rows = run.result(for: .latency)?.findings(in: .bottleneckAnalysis) ?? []
        let cpu = try #require(rows.first { $0.check == "CPU ops (trace)" })
        #expect(abs((cpu.measurements["regression_ms"] ?? 0) - 0.5) < 1e-9)
        let sync = try #require(rows.first { $0.check == "CUDA sync (trace)" })
        #expect(sync.measurements["regression_ms"] == 0)
        let cache = try #require(rows.first { $0.check == "Cache misses" })
        #expect(cache.measurements["cache_miss_percent"] == 2.5)
        #expect(cache.primaryEvidence.path == "perf.txt")
    }

    /// With agent_hours, the resources layer reads the agent's samples from the store instead of a log file.
    @Test func resourcesFromTheAgentsStoredSamples() async throws {
        var configuration = try workspace(approved: true)
        configuration.telemetry = Configuration.Telemetry(files: [], sampleIntervalSeconds: 1)
        configuration.telemetry?.agentHours = 1
        let store = try Store()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let encoder = JSONCoding.encoder()
        try store.saveResourceSamples(
            try (0..<120).map { second in
                let point = ResourcePoint(
                    time: now.addingTimeInterval(Double(second - 120)), intervalSeconds: 1, cpuPercent: 40 + Double(second % 7),
                    memoryPercent: 55, diskUtilPercent: 2)
                return StoredSample(resolution: "raw", time: point.time, payload: try encoder.encode(point))
            } + [StoredSample(resolution: "raw", time: now.addingTimeInterval(-7200), payload: Data("{}".utf8))])
        let checks = Auditor.standardChecks.map { $0.layer == .resources ? ResourcesCheck(samples: store, now: { now }) : $0 }
        let run = try await Auditor(checks: checks).audit(configuration)
        let resources = try #require(run.result(for: .resources))
        #expect(resources.isVerified, "\(resources.notVerifiedReason ?? "")")
        let cpu = try #require(resources.findings.first { $0.check == "CPU Utilization (%)" })
        #expect(cpu.primaryEvidence.path == ".assay/assay.sqlite")
        #expect(cpu.primaryEvidence.locator == "assay agent samples, last 1 h, 120 samples")
        #expect((cpu.measurements["p95"] ?? 0) >= 45)
        let noStore = try await Auditor(checks: Auditor.standardChecks).audit(configuration)
        #expect(noStore.result(for: .resources)?.notVerifiedReason?.contains("needs the store") == true)
    }

    /// Each host's normal learns from the store's rolling baseline: two hours at 70% are an anomaly on a host whose
    /// agent recorded 20% at that time of day for four days, and nothing without that history.
    @Test func resourceAnomaliesLearnFromTheStoresMinuteSamples() async throws {
        var configuration = try workspace(approved: true)
        configuration.telemetry = Configuration.Telemetry(files: [], sampleIntervalSeconds: 10)
        configuration.telemetry?.agentHours = 2
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // 08:00 UTC
        let encoder = JSONCoding.encoder()
        var random = SplitMix64(seed: 9)
        let window = try (1...720).map { step in
            let point = ResourcePoint(
                time: now.addingTimeInterval(Double(step * 10 - 7200)), intervalSeconds: 10, cpuPercent: 70 + random.nextGaussian(), memoryPercent: 50)
            return StoredSample(resolution: "raw", time: point.time, payload: try encoder.encode(point))
        }
        let minutes = try (1...(4 * 1440)).map { minute in
            let time = now.addingTimeInterval(-7200 - Double(minute) * 60)
            let hour = time.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) / 3600
            let point = ResourcePoint(
                time: time, intervalSeconds: 60, cpuPercent: ((12..<16).contains(hour) ? 70 : 20) + random.nextGaussian(), memoryPercent: 50)
            return StoredSample(resolution: "1m", time: point.time, payload: try encoder.encode(point))
        }
        func anomalies(_ samples: [StoredSample]) async throws -> Finding {
            let store = try Store()
            try store.saveResourceSamples(samples)
            let checks = Auditor.standardChecks.map { $0.layer == .resources ? ResourcesCheck(samples: store, now: { now }) : $0 }
            let run = try await Auditor(checks: checks).audit(configuration)
            return try #require(run.result(for: .resources)?.findings.first { $0.check == "Resource Anomalies" })
        }
        let learnt = try await anomalies(window + minutes)
        let event = try #require(learnt.events.first, "\(learnt.observed)")
        #expect(learnt.status == .watch && event.detail == "CPU" && abs((event.rise ?? 0) - 50) < 3, "\(learnt.events)")
        #expect(abs(event.start.timeIntervalSince(now.addingTimeInterval(-7200))) <= 120, "\(event)")
        #expect(learnt.observed.hasSuffix("(against 4 d of this host's history in the store)"), "\(learnt.observed)")
        #expect(abs((learnt.measurements["history_seconds"] ?? 0) - (4 * 86_400 + 10)) < 0.5)  // from the first minute sample to the window
        // The window alone is flat: judged, and nothing is found.
        let alone = try await anomalies(window)
        #expect(alone.status == .pass && alone.observed == "none (judged: CPU, memory)", "\(alone.observed)")
    }
}
