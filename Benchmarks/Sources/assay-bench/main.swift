import AssayCapacity
import AssayCore
import AssayEnvironment
import AssayIntegrations
import AssayLatency
import AssayProfiling
import AssayStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// Hot paths of Assay, timed against the tools users would otherwise pick, in the same run.
// Prints one line per comparison: our time, theirs, and the ratio (theirs / ours; > 1 means Assay is faster).

let quick = CommandLine.arguments.contains("--quick")
/// `--only trace,hash,tree,bootstrap,toml,capacity,agent,serve` runs those sections; all by default.
let only: Set<String>? = CommandLine.arguments.firstIndex(of: "--only").flatMap { index in
    index + 1 < CommandLine.arguments.count ? Set(CommandLine.arguments[index + 1].split(separator: ",").map(String.init)) : nil
}
func wants(_ section: String) -> Bool { only?.contains(section) ?? true }
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("assay-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Best of `repeats` runs.
func best(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats { times.append(try seconds(body)) }
    return times.min() ?? 0
}

@discardableResult
func shell(_ command: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    return String(decoding: data, as: UTF8.self)
}

func report(_ name: String, ours: Double, theirs: Double, against: String, unit: String = "") {
    let ratio = theirs / ours
    print(
        "\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) assay \(String(format: "%8.3f", ours)) s   "
            + "\(against.padding(toLength: 28, withPad: " ", startingAt: 0)) \(String(format: "%8.3f", theirs)) s   "
            + "ratio \(String(format: "%6.2f", ratio))×\(unit)")
}

print("assay-bench (\(quick ? "quick" : "full") run, \(ProcessInfo.processInfo.activeProcessorCount) cores)")

// 1. Chrome trace: load + attribution of the 53.7 MB HTA trace (when ../shared/fixtures is present), against
// Python's json.load alone and against HTA's load plus its breakdowns (HTA from PyPI in a virtual environment:
// ASSAY_BENCH_HTA_PYTHON, or Benchmarks/.venv-hta/bin/python). Runs first so peak RSS is the trace's.
let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/traces").path
let bigTrace = shared + "/hta__df_index_resolver__df_index_resolver.json.gz"
if wants("trace"), FileManager.default.fileExists(atPath: bigTrace) {
    let raw = scratch + "/trace.json"
    try shell("gzip -dc \(bigTrace) > \(raw)")
    let rawBytes = (try FileManager.default.attributesOfItem(atPath: raw)[.size] as? Int) ?? 0
    var spans = 0
    var parse = Double.infinity
    var lanes = Double.infinity
    var attribution = Double.infinity
    let oursTrace = try best(quick ? 1 : 3) {
        var start = ContinuousClock.now
        func lap() -> Double {
            let d = ContinuousClock.now - start
            start = ContinuousClock.now
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        let trace = try ChromeTraceParser.parse(path: raw)
        parse = min(parse, lap())
        let built = TraceLane.lanes(of: consume trace)
        lanes = min(lanes, lap())
        spans = TraceAttribution.analyze(lanes: built, stages: []).eventCount
        attribution = min(attribution, lap())
    }
    // VmHWM, not ru_maxrss: ru_maxrss survives exec, so under `swift run` it reports SwiftPM's own peak.
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first
    let peak = (hwm.flatMap { Double($0) } ?? 0) * 1024
    // The command users run, from the main package's release build: its wall time and its own peak RSS, through GNU
    // time (a child spawned from here would inherit this process's peak in ru_maxrss).
    let mainAssay = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/release/assay").path
    if FileManager.default.isExecutableFile(atPath: mainAssay), FileManager.default.isExecutableFile(atPath: "/usr/bin/time") {
        for (label, file) in [("plain", raw), ("gzip", bigTrace)] {
            var runs: [(wall: Double, peakKB: Double)] = []
            for _ in 0..<(quick ? 1 : 3) {
                let fields = try shell("/usr/bin/time -f '%e %M' \(mainAssay) trace analyze \(file) 2>&1 >/dev/null | tail -1")
                    .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
                if fields.count == 2, let wall = Double(fields[0]), let peak = Double(fields[1]) { runs.append((wall, peak)) }
            }
            guard let wall = runs.map(\.wall).min(), let peakKB = runs.map(\.peakKB).max() else { continue }
            print(String(format: "  assay trace analyze (%@, release build): %.2f s, peak RSS %.1f MB = %.2f× the uncompressed trace", label, wall, peakKB / 1024, peakKB * 1024 / Double(max(1, rawBytes))))
        }
    }
    let pythonJSON = try best(quick ? 1 : 3) { try shell("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \(raw)") }
    report("trace load + attribution, 53.7 MB (\(spans) spans)", ours: oursTrace, theirs: pythonJSON, against: "python json.load (load only)")
    print(String(format: "  parse %.3f s, lanes %.3f s, attribution %.3f s; peak RSS %.0f MB = %.2f× the uncompressed trace", parse, lanes, attribution, peak / 1e6, peak / Double(max(1, rawBytes))))
    let htaPython = ProcessInfo.processInfo.environment["ASSAY_BENCH_HTA_PYTHON"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".venv-hta/bin/python").path
    if FileManager.default.isExecutableFile(atPath: htaPython) {
        let directory = scratch + "/hta"
        try shell("mkdir -p \(directory) && cp \(bigTrace) \(directory)/")
        // Timed inside Python, import excluded: TraceAnalysis(trace_dir) loads and parses, then the breakdowns.
        let output = try shell("""
            \(htaPython) -c '
            import logging, sys, time
            logging.disable(logging.WARNING)
            from hta.trace_analysis import TraceAnalysis
            t = time.perf_counter()
            a = TraceAnalysis(trace_dir=sys.argv[1])
            a.get_temporal_breakdown(visualize=False)
            a.get_gpu_kernel_breakdown(visualize=False)
            print(time.perf_counter() - t)
            ' \(directory) 2>/dev/null
            """)
        if let hta = Double(output.split(separator: "\n").last ?? "") {
            report("trace load + attribution, 53.7 MB", ours: oursTrace, theirs: hta, against: "HTA load + breakdowns")
        }
    } else {
        print("  HTA comparison skipped: no \(htaPython) (python3 -m venv Benchmarks/.venv-hta && Benchmarks/.venv-hta/bin/pip install HolisticTraceAnalysis)")
    }
} else if wants("trace") {
    print("trace benchmark skipped: \(bigTrace) not present")
}

// 2. SHA-256 of one large file.
if wants("hash") {
    let megabytes = quick ? 256 : 2048
    let big = scratch + "/big.bin"
    try shell("head -c \(megabytes)M /dev/urandom > \(big)")
    _ = try FileDigest.sha256(ofFileAt: big)  // warm the page cache
    let oursHash = try best(3) { _ = try FileDigest.sha256(ofFileAt: big) }
    let coreutils = try best(3) { try shell("sha256sum \(big) > /dev/null") }
    let hashlib = try best(3) {
        try shell("python3 -c 'import hashlib,sys\nh=hashlib.sha256()\nf=open(sys.argv[1],\"rb\")\nwhile True:\n b=f.read(1<<20)\n if not b: break\n h.update(b)\nprint(h.hexdigest())' \(big) > /dev/null")
    }
    let rate = String(format: " (%.2f GiB/s)", Double(megabytes) / 1024 / oursHash)
    report("sha256, \(megabytes) MiB file", ours: oursHash, theirs: coreutils, against: "sha256sum", unit: rate)
    report("sha256, \(megabytes) MiB file", ours: oursHash, theirs: hashlib, against: "python hashlib (1 MiB reads)")
    try FileManager.default.removeItem(atPath: big)
}

// 3. Tree digest of many small files.
if wants("tree") {
    let files = quick ? 2_000 : 20_000
    let tree = scratch + "/tree"
    try shell("mkdir -p \(tree) && cd \(tree) && head -c \(files * 4)K /dev/urandom | split -b 4K -a 5 - part-")
    let oursTree = try best(3) { _ = try TreeDigest.sha256(ofItemAt: tree) }
    let findTree = try best(3) { try shell("cd \(tree) && find . -type f | sort | xargs sha256sum > /dev/null") }
    report("tree digest, \(files) files of 4 KiB", ours: oursTree, theirs: findTree, against: "find | sort | xargs sha256sum")
    // `env snapshot` as the command runs it: the stat cache read from and written to its file outside the tree.
    // Cold: no cache file. With the page cache dropped too (root only), it is what a snapshot after a reboot or of
    // data not read lately costs; with it warm, the floor is the files' bytes already in memory.
    try snapshotSpeedUp(of: tree, label: "\(files) files of 4 KiB")
}

/// Cold and warm `EnvironmentManifest.snapshot` of `root`, the stat cache loaded from and saved to disk each time.
func snapshotSpeedUp(of root: String, label: String) throws {
    let cachePath = scratch + "/stat-cache-\(UUID().uuidString).bin"
    func snapshot() throws {
        let cache = StatCache(path: cachePath)
        _ = try EnvironmentManifest.snapshot(root: root, seed: nil, cache: cache)
        try cache.save()
    }
    let coldWarmPages = try best(3) {
        try? FileManager.default.removeItem(atPath: cachePath)
        try snapshot()
    }
    var coldDropped: Double?
    try? FileManager.default.removeItem(atPath: cachePath)
    if (try? shell("sync && echo 3 > /proc/sys/vm/drop_caches 2>/dev/null")) != nil {
        coldDropped = try seconds { try snapshot() }
    } else {
        try snapshot()
    }
    let warm = try best(5) { try snapshot() }
    let size = (try? FileManager.default.attributesOfItem(atPath: cachePath)[.size] as? Int) ?? 0
    if let coldDropped {
        report("re-snapshot, \(label) (stat cache)", ours: warm, theirs: coldDropped, against: "cold, page cache dropped")
    }
    report("re-snapshot, \(label) (stat cache)", ours: warm, theirs: coldWarmPages, against: "cold, files in page cache",
        unit: " (cache file \(size / 1024) KiB)")
}

// 3b. Re-snapshot of one big file (a model's weights).
if wants("tree") {
    let megabytes = quick ? 256 : 2048
    let root = scratch + "/weights"
    try shell("mkdir -p \(root) && head -c \(megabytes)M /dev/urandom > \(root)/model.safetensors")
    try snapshotSpeedUp(of: root, label: "one \(megabytes) MiB file")
    try FileManager.default.removeItem(atPath: root)
}

// 4. Paired bootstrap of ΔP95.
if wants("bootstrap") {
    let samples = quick ? 2_000 : 10_000
    let resamples = quick ? 2_000 : 10_000
    var rng = SplitMix64(seed: 1)
    let before = (0..<samples).map { _ in 20 + abs(rng.nextGaussian()) * 3 }
    let after = before.map { $0 + 0.5 + rng.nextGaussian() * 0.2 }
    let bootstrap = Bootstrap(resamples: resamples, seed: 7)
    var interval: Bootstrap.Interval?
    let oursBootstrap = seconds { interval = bootstrap.paired(previous: before, current: after, statistic: .quantile(0.95)) }
    let data = try JSONSerialization.data(withJSONObject: ["x": before, "y": after])
    try data.write(to: URL(fileURLWithPath: scratch + "/boot.json"))
    var scipyInterval = ""
    let scipy = try seconds {
        scipyInterval = try shell("""
            python3 -c '
            import json, sys, numpy as np
            from scipy import stats
            d = json.load(open(sys.argv[1])); x = np.array(d["x"]); y = np.array(d["y"])
            r = stats.bootstrap((x, y), lambda a, b, axis=-1: np.percentile(b, 95, axis=axis) - np.percentile(a, 95, axis=axis),
                paired=True, vectorized=True, n_resamples=\(resamples), batch=100, method="percentile", random_state=np.random.default_rng(0))
            print("[%.4f, %.4f]" % (r.confidence_interval.low, r.confidence_interval.high))
            ' \(scratch)/boot.json
            """).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    report("paired bootstrap ΔP95, \(samples) × \(resamples)", ours: oursBootstrap, theirs: scipy, against: "scipy.stats.bootstrap")
    if let interval {
        print("  CI95 assay [\(String(format: "%.4f", interval.low)), \(String(format: "%.4f", interval.high))]  scipy \(scipyInterval)")
    }
    // What `assay latency compare` computes: Δmean, ΔP95 and ΔP99 of three stages and the total, in one pass.
    let stages = (0..<4).map { stage in before.map { $0 * Double(stage + 1) / 4 } }
    let stagesAfter = (0..<4).map { stage in after.map { $0 * Double(stage + 1) / 4 } }
    var all: [[Bootstrap.Interval?]] = []
    let oursAll = seconds {
        all = bootstrap.compare(previous: stages, current: stagesAfter, paired: true, statistics: [.mean, .quantile(0.95), .quantile(0.99)])
    }
    report("paired bootstrap, 4 series × 3 statistics", ours: oursAll, theirs: scipy, against: "scipy, one statistic")
    print("  total ΔP95 CI95 from the one pass [\(String(format: "%.4f", all[3][1]?.low ?? 0)), \(String(format: "%.4f", all[3][1]?.high ?? 0))]")
}

// 5. TOML lockfile parsing.
if wants("toml") {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/AssayEnvironmentTests/Fixtures").path
    let poetry = try String(contentsOfFile: fixtures + "/poetry.lock", encoding: .utf8)
    let rounds = quick ? 20 : 100
    let oursTOML = try seconds { for _ in 0..<rounds { _ = try TOMLParser.parse(poetry) } }
    let tomllib = try seconds {
        try shell("python3 -c 'import tomllib,sys\nfor _ in range(\(rounds)): tomllib.load(open(sys.argv[1],\"rb\"))' \(fixtures)/poetry.lock")
    }
    report("TOML parse, poetry.lock (118 KB) × \(rounds)", ours: oursTOML, theirs: tomllib, against: "python tomllib")
}

// 6. Capacity: the model fitted at low rates on the example server, its predicted mean latency at higher rates,
// and what those rates measure (needs `swift build` of the main package for assay-example).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let exampleBinary = ["release", "debug"].map { root + "/.build/\($0)/assay-example" }.first { FileManager.default.isExecutableFile(atPath: $0) }
if wants("capacity"), let exampleBinary {
    let port = Int.random(in: 20_000..<60_000)
    let server = Process()
    server.executableURL = URL(fileURLWithPath: exampleBinary)
    server.arguments = ["serve", "--model", root + "/Examples/InferenceService/model/model.json", "--port", String(port)]
    server.standardOutput = FileHandle.nullDevice
    server.standardError = FileHandle.nullDevice
    try server.run()
    defer { server.terminate() }
    try await Task.sleep(for: .seconds(1))
    let load = OpenLoopLoad(
        url: "http://127.0.0.1:\(port)/v1/predict", body: Array(#"{"id":"bench","features":[0.4,1.5,-1.4,2.5,0.6,-1.8,1.2,-1.0]}"#.utf8),
        processID: server.processIdentifier)
    // The generator holds one core of this machine; the service gets the rest.
    let cores = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    let low = try await load.measure(rates: [100, 200, 300, 400], stepSeconds: quick ? 1 : 2, cores: cores, objectiveP95Ms: 50)
    let plan = CapacityPlan(measurement: low)
    if let peak = plan.peakRate {
        print("capacity model from 100–400 req/s: \(String(format: "%.3f", (plan.serviceDemand ?? 0) * 1000)) ms CPU per request, peak ≈ \(Int(peak)) req/s on \(cores) core(s)")
        for share in [0.3, 0.5, 0.7] {
            let rate = (share * peak).rounded()
            guard let predicted = plan.projectedLatency(rate: rate),
                let measured = try await load.measure(rates: [rate], stepSeconds: quick ? 1 : 2, cores: cores, objectiveP95Ms: 50).steps.first
            else { continue }
            let error = (predicted.mean - measured.meanMs) / measured.meanMs * 100
            print(String(format: "  %5.0f req/s (%2.0f%% of peak): predicted mean %6.2f ms, measured %6.2f ms, error %+5.1f%%", rate, share * 100, predicted.mean, measured.meanMs, error))
        }
    }
} else if wants("capacity") {
    print("capacity benchmark skipped: no assay-example built (swift build)")
}

// 7. The agent at 1 Hz with storage, against node_exporter, each scraped once a second for the same time: CPU
// time of the process, peak RSS, and /metrics response times.
let nodeExporter = ["/usr/bin/prometheus-node-exporter", "/usr/local/bin/node_exporter"].first { FileManager.default.isExecutableFile(atPath: $0) }
let agentProbe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("agent-probe").path
if wants("agent"), let nodeExporter, FileManager.default.isExecutableFile(atPath: agentProbe) {
    func processStats(_ pid: Int32) -> (cpu: Double, rssMB: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")"),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return (ticks / Double(sysconf(Int32(_SC_CLK_TCK))), hwm / 1024)
    }
    func measure(_ executable: String, _ arguments: [String], port: Int, seconds: Int) async throws -> (cpu: Double, rssMB: Double, medianMs: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: scratch)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        try await Task.sleep(for: .seconds(2))
        let before = processStats(process.processIdentifier)?.cpu ?? 0
        var times: [Double] = []
        for _ in 0..<seconds {
            let start = ContinuousClock.now
            _ = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            let d = ContinuousClock.now - start
            times.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
            try await Task.sleep(for: .seconds(1) - d)
        }
        let after = processStats(process.processIdentifier)
        times.sort()
        return ((after?.cpu ?? 0) - before, after?.rssMB ?? 0, times[times.count / 2])
    }
    let seconds = quick ? 10 : 60
    let agentPort = Int.random(in: 20_000..<40_000)
    let nodePort = agentPort + 1
    // The binaries users install (the main package's release build), else the probe built here.
    let mainBuild = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/release").path
    var agents: [(String, String, [String])] = []
    // scripts/build-agent's binary (the one the README says to install), else a plain release build of it.
    let slimBuild = mainBuild.replacingOccurrences(of: "/.build/release", with: "/.build/agent/release")
    if let slim = [slimBuild, mainBuild].first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/assay-agent") }) {
        agents.append(("assay-agent (slim, \(slim == slimBuild ? "scripts/build-agent" : "plain release build"))", slim + "/assay-agent", ["--listen", "127.0.0.1:{port}"]))
    }
    if FileManager.default.isExecutableFile(atPath: mainBuild + "/assay") {
        agents.append(("assay agent (full binary)", mainBuild + "/assay", ["agent", "--listen", "127.0.0.1:{port}"]))
    }
    if agents.isEmpty { agents.append(("agent-probe", agentProbe, ["{port}", scratch + "/agent.sqlite"])) }
    let theirs = try await measure(nodeExporter, ["--web.listen-address=127.0.0.1:\(nodePort)"], port: nodePort, seconds: seconds)
    print(String(format: "node_exporter scraped at 1 Hz, %d s: %.3f s CPU (%.3f%% of a core), peak RSS %.1f MB, /metrics median %.2f ms", seconds, theirs.cpu, theirs.cpu / Double(seconds) * 100, theirs.rssMB, theirs.medianMs))
    for (offset, (name, executable, arguments)) in agents.enumerated() {
        let port = agentPort + 2 + offset
        let ours = try await measure(executable, arguments.map { $0.replacingOccurrences(of: "{port}", with: String(port)) }, port: port, seconds: seconds)
        print(name + String(format: " at 1 Hz with storage, %d s scraped at 1 Hz: %.3f s CPU (%.3f%% of a core), peak RSS %.1f MB, /metrics median %.2f ms", seconds, ours.cpu, ours.cpu / Double(seconds) * 100, ours.rssMB, ours.medianMs))
        print("  ratios node_exporter / \(name): " + String(format: "CPU %.2f×, RSS %.2f×", theirs.cpu / max(ours.cpu, 0.0001), theirs.rssMB / max(ours.rssMB, 0.1)))
    }
} else if wants("agent") {
    print("agent benchmark skipped: needs prometheus-node-exporter and the agent-probe built next to assay-bench")
}


// 8. The read API under wrk (Debian's) while an agent samples into the same store at 1 Hz: requests per second and
// p99 per endpoint, against the targets (≥ 2,000 req/s, p99 ≤ 50 ms), and the dashboard's first page size.
let serveProbe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("serve-probe").path
let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
if wants("serve"), let wrk, FileManager.default.isExecutableFile(atPath: serveProbe), FileManager.default.isExecutableFile(atPath: agentProbe) {
    let storePath = scratch + "/serve.sqlite"
    let store = try Store(path: storePath)
    let start = Date().addingTimeInterval(-30 * 86_400)
    for index in 0..<200 {
        let date = start.addingTimeInterval(Double(index) * 3.6 * 3600)
        let evidence = Evidence(path: "logs/latency-\(index).jsonl", sha256: String(repeating: "c", count: 64), locator: "#L1-2000")
        let findings = (0..<24).map { row in
            Finding(
                table: row < 12 ? .latencyProfile : .resourceUtilization, check: "Check \(row)", status: .pass, observed: "P95 \(40 + row) ms",
                expected: "≤ 50 ms", severity: .info, measurements: ["p95_ms": Double(40 + row), "mean_ms": 30], evidence: evidence, [])
        }
        var run = AuditRun(
            id: String(format: "bench-%04d", index), startedAt: date, finishedAt: date.addingTimeInterval(5),
            configuration: Evidence(path: "assay.yaml", sha256: String(repeating: "e", count: 64)),
            layers: [
                LayerResult(layer: .latency, state: .verified, findings: Array(findings.prefix(12)), startedAt: date, durationSeconds: 1),
                LayerResult(layer: .resources, state: .verified, findings: Array(findings.suffix(12)), startedAt: date, durationSeconds: 1),
            ],
            judgement: Judgement(verdict: .stable, reasons: []))
        run.host = "bench-host-\(index % 8)"
        try store.save(run)
        try store.saveMetrics([MetricPoint(metric: "latency.total.p95_ms", value: 40 + Double(index % 7), recordedAt: date, runID: run.id)])
    }
    func launch(_ executable: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
    let servePort = Int.random(in: 40_000..<50_000)
    let agent = try launch(agentProbe, [String(servePort + 1), storePath])
    let server = try launch(serveProbe, [String(servePort), storePath, scratch])
    defer {
        for process in [agent, server] {
            process.terminate()
            process.waitUntilExit()
        }
    }
    try await Task.sleep(for: .seconds(3))
    let (page, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(servePort)/")!)
    let (script, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(servePort)/assets/dashboard.js")!)
    print(String(format: "dashboard first page: %.1f KB HTML + %.1f KB script (target < 300 KB)", Double(page.count) / 1024, Double(script.count) / 1024))
    let duration = quick ? 5 : 20
    for path in ["/api/v1/runs?limit=20", "/api/v1/runs/latest", "/api/v1/runs/bench-0100/findings", "/api/v1/metrics/latency.total.p95_ms", "/"] {
        let output = try shell("\(wrk) -t2 -c32 -d\(duration)s --latency 'http://127.0.0.1:\(servePort)\(path)' 2>&1")
        let lines = output.split(separator: "\n")
        let rate = lines.first { $0.hasPrefix("Requests/sec:") }?.split(separator: " ").last.map(String.init) ?? "?"
        let p99 = lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }?.split(separator: " ").last.map(String.init) ?? "?"
        let errors = lines.first { $0.contains("Non-2xx") || $0.contains("Socket errors") }.map { " (\($0.trimmingCharacters(in: .whitespaces)))" } ?? ""
        print("GET \(path): \(rate) req/s, p99 \(p99) with 32 connections, agent sampling at 1 Hz\(errors) (targets ≥ 2000 req/s, p99 ≤ 50 ms)")
    }
} else if wants("serve") {
    print("serve benchmark skipped: needs wrk (Debian) and serve-probe and agent-probe built next to assay-bench")
}
