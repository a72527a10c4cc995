import AssayAudit
import AssayCapacity
import AssayConfig
import AssayCore
import AssayIntegrations
import AssayLatency
import AssayTelemetry
import Foundation

/// `assay audit --live`: starts the configured service (or uses one already running), drives it open-loop at
/// `capacity.current_rps` while sampling the host, keeps every request's client total and Server-Timing stages,
/// collects the traces it wrote, measures capacity up to the knee, stops what it started, and hands the audit a
/// configuration whose latency, telemetry, traces and capacity are the files just captured, each kept under the
/// run's evidence directory (`.assay/live/<stamp>/`, Assay's own, never inside the audited tree) and cited by sha256.
/// The previous live run's files are the "previous run" of the comparison.
public struct LiveAudit: Sendable {
    public var configuration: Configuration
    /// Measure capacity up to the knee (`--no-capacity` turns it off and keeps the configured measurement).
    public var measureCapacity = true
    /// Also run windows at +5% and +20% and hold the projections against them.
    public var verifyCapacity = false
    /// A service already running at this URL: nothing is started or stopped.
    public var runningURL: String?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public struct Capture: Sendable {
        /// The configuration the audit runs with: the captured files in place of the recorded ones.
        public var configuration: Configuration
        public var evidence: String
        public var lines: [String]
    }

    /// The live window and what it left, ready to audit.
    public func capture(progress: @escaping @Sendable (String) -> Void) async throws -> Capture {
        guard let live = configuration.live else {
            throw AppError("--live needs workspace.live in \(configuration.path): the command that starts the service", code: ExitStatus.usage)
        }
        guard let rate = configuration.capacity?.currentRPS, rate > 0 else {
            throw AppError("--live needs workspace.capacity.current_rps in \(configuration.path): the load to drive", code: ExitStatus.usage)
        }
        let stamp = Self.stamp(Date())
        let liveRoot = configuration.resolve(".assay/live")
        let evidence = liveRoot + "/" + stamp
        // What the report cites: paths relative to the workspace root.
        let cited = ".assay/live/" + stamp
        try FileManager.default.createDirectory(atPath: evidence + "/traces", withIntermediateDirectories: true)
        var previous = (try? String(contentsOfFile: liveRoot + "/latest", encoding: .utf8))
            .map { ".assay/live/" + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .flatMap { FileManager.default.fileExists(atPath: configuration.resolve($0) + "/latency.jsonl") ? $0 : nil }
        var note = previous.map { "; previous live run: \($0)" } ?? "; no previous live run: this one becomes the baseline"
        // Latency at another load is not a comparison: a run at another rate starts afresh.
        if let earlier = previous {
            do {
                let record = try LiveWindowRecord.read(at: configuration.resolve(earlier) + "/live-window.json")
                if abs(record.rateRPS - rate) > 1e-9 {
                    previous = nil
                    note = "; the previous live run (\(earlier)) drove \(Formatting.number(record.rateRPS, digits: 1)) req/s, this one \(Formatting.number(rate, digits: 1)): not compared"
                }
            } catch {
                // Without its record the previous run's rate is unknown: comparing could set 40 req/s against 50.
                previous = nil
                note = "; the previous live run (\(earlier)) has no readable live-window.json, so its rate is unknown: not compared"
            }
        }
        var lines = ["evidence: \(evidence)" + note]
        progress(lines[0])

        let port = runningURL == nil ? try Self.freePort() : 0
        func substitute(_ text: String) -> String {
            text.replacingOccurrences(of: "{port}", with: String(port)).replacingOccurrences(of: "{root}", with: configuration.root)
                .replacingOccurrences(of: "{evidence}", with: evidence)
        }
        let base = runningURL ?? substitute(live.url)
        var service: ServiceProcess?
        if runningURL == nil {
            service = try ServiceProcess.start(
                live.command.map(substitute), environment: live.environment.mapValues(substitute), directory: configuration.root,
                log: evidence + "/service.log")
        }
        do {
            let result = try await measure(
                live: live, rate: rate, base: base, service: service, evidence: evidence, cited: cited, previous: previous, progress: progress)
            lines += result.lines
            try await service?.stop()
            service = nil
            // Traces are written when the service stops (ONNX Runtime's profiler ends then): collected after.
            var captured = result.configuration
            if let directory = live.traces.map(substitute), directory != evidence + "/traces" {
                var uncopied: [String] = []
                for name in Self.traceFiles(in: directory) {
                    do {
                        try FileManager.default.copyItem(atPath: directory + "/" + name, toPath: evidence + "/traces/" + name)
                    } catch {
                        uncopied.append(name)
                    }
                }
                if !uncopied.isEmpty {
                    lines.append("traces: \(uncopied.count) not copied from \(directory), so not audited: \(uncopied.joined(separator: ", "))")
                }
            }
            let traces = Self.traceFiles(in: evidence + "/traces")
            captured.latency?.traces = traces.map { cited + "/traces/" + $0 }
            if let previous {
                captured.latency?.previousTraces = Self.traceFiles(in: configuration.resolve(previous) + "/traces").map { previous + "/traces/" + $0 }
            }
            lines.append("traces: \(traces.count) written by the service" + (traces.isEmpty ? " (none: is live.traces set and does the service profile?)" : ""))
            try AtomicFile.write(Array(stamp.utf8), to: liveRoot + "/latest")
            if let removed = Self.prune(liveRoot, keep: live.keepRuns), removed > 0 {
                lines.append("removed the \(removed) oldest evidence director\(removed == 1 ? "y" : "ies") under .assay/live (keep_runs: \(live.keepRuns))")
            }
            return Capture(configuration: captured, evidence: evidence, lines: lines)
        } catch {
            let log = (try? String(contentsOfFile: evidence + "/service.log", encoding: .utf8)).map { String($0.suffix(1500)) } ?? ""
            try? await service?.stop()
            if let error = error as? AppError { throw AppError(error.message + (log.isEmpty ? "" : "\nthe service's log (\(evidence)/service.log) ends:\n\(log)"), code: error.exitCode) }
            throw error
        }
    }

    struct Measured {
        var configuration: Configuration
        var lines: [String]
    }

    func measure(
        live: Configuration.Live, rate: Double, base: String, service: ServiceProcess?, evidence: String, cited: String, previous: String?,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> Measured {
        try await Self.waitUntilReady(base + live.readyPath, service: service, timeout: live.startupTimeoutSeconds)
        progress("service ready at \(base) (pid \(service.map { String($0.pid) } ?? "not started by Assay"))")
        let body = Array(live.body.utf8)
        let url = base + live.requestPath
        try AtomicFile.write(body, to: evidence + "/request.json")
        if live.warmupSeconds > 0 {
            _ = try await LiveLoad(url: url, body: body, seed: live.seed &+ 99).drive(rate: rate, seconds: live.warmupSeconds, prefix: "warmup")
        }
        try await service?.checkRunning()
        var unread: [String] = []
        let before = await Self.scrape(base + "/metrics", when: "before the window", failures: &unread)
        // The window: traffic, host samples and the service's own CPU and memory, all at once.
        let gpus = GPUSampler(intervalMilliseconds: 1000)
        defer { gpus?.stop() }
        let window = live.windowSeconds
        let sampling = Task { try await TelemetryLog.record(sampler: HostSampler(), gpus: gpus, duration: window, interval: 1) }
        let processSampling = Task { await ProcessSample.record(pid: service?.pid, seconds: window) }
        let selfBefore = ProcessSample.ownCPUSeconds()
        let clock = ContinuousClock()
        let started = clock.now
        let requests = try await LiveLoad(url: url, body: body, seed: live.seed).drive(rate: rate, seconds: window, prefix: "live")
        let elapsed = (clock.now - started).seconds
        let selfCPU = (ProcessSample.ownCPUSeconds() - selfBefore) / max(elapsed, 0.001) * 100
        let points = try await sampling.value
        let processPoints = await processSampling.value
        try await service?.checkRunning()
        let after = await Self.scrape(base + "/metrics", when: "after the window", failures: &unread)
        let stages = configuration.latency?.stages ?? LatencyStages.defaults
        let log = LiveLoad.latencyLog(requests, stages: stages)
        try AtomicFile.write(Array(log.utf8), to: evidence + "/latency.jsonl")
        try AtomicFile.write(Array(try TelemetryLog.lines(points).utf8), to: evidence + "/telemetry.jsonl")
        try AtomicFile.write(Array(ProcessSample.lines(processPoints).utf8), to: evidence + "/service-process.jsonl")
        if let before { try AtomicFile.write(Array(before.utf8), to: evidence + "/metrics-before.txt") }
        if let after { try AtomicFile.write(Array(after.utf8), to: evidence + "/metrics-after.txt") }
        let answered = requests.filter(\.ok)
        let logged = log.split(separator: "\n").count
        let failed = requests.count - answered.count
        guard logged > 0 else {
            throw AppError(
                "no request in the live window was answered with every stage \(stages.joined(separator: ", ")) in Server-Timing (\(failed) of \(requests.count) failed)",
                code: ExitStatus.unavailable)
        }
        var lines = [
            "window: \(requests.count) requests at \(Formatting.number(rate, digits: 1)) req/s (Poisson, seed \(live.seed)) over \(Formatting.number(elapsed, digits: 1)) s; \(answered.count) answered, \(failed) failed\(logged < answered.count ? ", \(answered.count - logged) without every stage in Server-Timing" : "")",
            "Assay's own CPU during the window (load generator and sampling): \(Formatting.percent(selfCPU)) of one core",
        ]
        var record = LiveWindowRecord(
            windowSeconds: elapsed, rateRPS: rate, seed: live.seed, requests: requests.count, answered: answered.count, failed: failed,
            assayCPUPercent: selfCPU)
        if let pid = service?.pid, let summary = ProcessSample.summary(processPoints, pid: pid, cited: cited + "/service-process.jsonl") {
            record.service = summary
            lines.append(
                "service process: CPU \(Formatting.percent(summary.cpuMeanPercent)) of one core (P95 \(Formatting.percent(summary.cpuP95Percent))), RSS \(Formatting.number(summary.rssFirstMiB, digits: 1)) → \(Formatting.number(summary.rssLastMiB, digits: 1)) MiB")
        }
        if before != nil, after != nil {
            record.metricsBefore = cited + "/metrics-before.txt"
            record.metricsAfter = cited + "/metrics-after.txt"
        } else {
            record.metricsUnread = unread.joined(separator: "; ")
            lines.append("service /metrics: not read (\(record.metricsUnread ?? "")), so the service's own histograms are not compared")
        }
        lines.forEach(progress)

        var captured = configuration
        captured.latency = LatencySources(
            logs: [cited + "/latency.jsonl"], previousLogs: previous.map { [$0 + "/latency.jsonl"] } ?? [], stages: stages + ["network"])
        captured.latency?.fields = [:]
        captured.telemetry = Configuration.Telemetry(files: [cited + "/telemetry.jsonl"], sampleIntervalSeconds: 1)
        if measureCapacity {
            let output = evidence + "/capacity.json"
            let rates = [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12].map { ($0 * rate).rounded() }.filter { $0 >= 1 }
            let p95 = Quantile.type7(sorted: answered.map(\.clientMilliseconds).sorted(), 0.95) ?? 50
            progress("capacity: steps of \(Formatting.number(live.capacityStepSeconds, digits: 0)) s from \(Formatting.number(rates[0], digits: 0)) req/s until the knee")
            let measurement = try await CapacityUseCases.steps(
                url: url, payload: body, rates: rates, stepSeconds: live.capacityStepSeconds, pid: service?.pid, cores: 1,
                objectiveP95Ms: max(1, p95 * 2), poisson: true, progress: { progress("  " + $0) })
            try AtomicFile.write(try JSONCoding.encoder(pretty: true).encode(measurement), to: output)
            captured.capacity = Configuration.Capacity(measurement: cited + "/capacity.json", currentRPS: rate)
            if verifyCapacity {
                record.capacityChecks = try await verify(
                    measurement: measurement, rate: rate, url: url, body: body, service: service, seconds: max(10, window / 3), seed: live.seed,
                    progress: progress)
            }
        } else if let previous, FileManager.default.fileExists(atPath: configuration.resolve(previous) + "/capacity.json") {
            captured.capacity = Configuration.Capacity(measurement: previous + "/capacity.json", currentRPS: rate)
            lines.append("capacity: not measured (--no-capacity); the previous live run's measurement is used (\(previous)/capacity.json)")
        } else {
            lines.append("capacity: not measured (--no-capacity); the configured measurement is used")
        }
        try await service?.checkRunning()
        try AtomicFile.write(try JSONCoding.encoder(pretty: true).encode(record), to: evidence + "/live-window.json")
        captured.liveWindow = cited + "/live-window.json"
        return Measured(configuration: captured, lines: lines)
    }

    /// Windows at +5% and +20% of the current rate, each held against what the capacity plan projected.
    func verify(
        measurement: CapacityMeasurement, rate: Double, url: String, body: [UInt8], service: ServiceProcess?, seconds: Double, seed: UInt64,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> [LiveWindowRecord.CapacityCheckWindow] {
        let plan = CapacityPlan(measurement: measurement)
        var windows: [LiveWindowRecord.CapacityCheckWindow] = []
        for increase in [5.0, 20.0] {
            let target = rate * (1 + increase / 100)
            let projected = plan.project(currentRate: rate, increasesPercent: [increase]).first
            // A capacity step at the new rate, the service's CPU read around it.
            var load = OpenLoopLoad(url: url, body: body, processID: service?.pid)
            load.seed = seed &+ UInt64(increase)
            let clock = ContinuousClock()
            let started = clock.now
            let step = try await load.step(rate: target, seconds: seconds)
            let window = LiveWindowRecord.CapacityCheckWindow(
                increasePercent: increase, rateRPS: target, seconds: (clock.now - started).seconds, requests: step.sent, failed: step.errors,
                measuredCPUPercent: step.serviceCPUPercent, measuredP95Ms: step.completed > 0 ? step.p95Ms : nil,
                projectedCPUPercent: projected?.utilizationThen, projectedP95Ms: projected?.p95Ms)
            windows.append(window)
            progress("capacity check +\(Formatting.number(increase, digits: 0))% (\(Formatting.number(target, digits: 1)) req/s): \(window.comparison)")
        }
        return windows
    }

    /// The page at `url`, or nil with why it could not be read added to `failures`.
    static func scrape(_ url: String, when: String, failures: inout [String]) async -> String? {
        do {
            return try await MetricsScraper(url: url).fetch()
        } catch {
            failures.append("\(when): \(error)")
            return nil
        }
    }

    /// The trace files (`*.json`) in `directory`, by name; none when it cannot be listed.
    static func traceFiles(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// Removes all but the newest `keep` evidence directories under `root` (their names sort by time); returns
    /// how many went, nil when the directory cannot be listed. Only directories named as `stamp` names them are
    /// touched.
    static func prune(_ root: String, keep: Int) -> Int? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return nil }
        let runs = names.filter { $0.range(of: #"^\d{8}T\d{6}-[0-9a-f]{1,4}$"#, options: .regularExpression) != nil }.sorted()
        var removed = 0
        for name in runs.dropLast(keep) where (try? FileManager.default.removeItem(atPath: root + "/" + name)) != nil { removed += 1 }
        return removed
    }

    static func waitUntilReady(_ url: String, service: ServiceProcess?, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            try await service?.checkRunning()
            if let status = try? await LiveLoad.status(url), (200..<300).contains(status) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw AppError("the service did not answer \(url) with 2xx within \(Formatting.number(timeout, digits: 0)) s", code: ExitStatus.unavailable)
    }

    static func stamp(_ date: Date) -> String {
        let style = Date.ISO8601FormatStyle().year().month().day().dateSeparator(.omitted).time(includingFractionalSeconds: false).timeSeparator(.omitted)
        return date.formatted(style).replacingOccurrences(of: ":", with: "") + "-" + String(UInt32.random(in: 0..<0xFFFF), radix: 16)
    }

    /// A port on 127.0.0.1 nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AppError("cannot open a socket to find a free port", code: ExitStatus.unavailable) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw AppError("cannot bind 127.0.0.1 to find a free port", code: ExitStatus.unavailable) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
