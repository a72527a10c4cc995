import AssayCore
import AssayStore
import AssayTelemetry
import Foundation
import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// What `assay agent` keeps and for how long.
public struct AgentSettings: Sendable, Hashable {
    public var interval: Double = 1
    /// Raw samples are kept this long, then only their 1-minute aggregates.
    public var rawRetentionHours: Double = 24
    public var minuteRetentionDays: Double = 30
    /// Samples are written to the store in batches this often; 0 (the default) writes each sample as it is
    /// taken, so a kill -9 loses at most the interval in progress.
    public var flushSeconds: Double = 0
    /// The sustained-CPU rule evaluated on every sample (from the resources thresholds).
    public var sustainedCPU = SustainedLoadRule(threshold: 85, clearThreshold: 75, forSeconds: 180)

    public init() {}
}

/// Samples the host every interval, updates the Prometheus metrics, and keeps the samples in the store: raw,
/// plus one aggregate per minute (the mean of each figure), each pruned past its retention. A Service of
/// swift-service-lifecycle: on SIGTERM it stops sampling, writes what it holds, and returns.
public actor SamplerService: Service {
    let sampler: HostSampler
    let gpus: GPUSampler?
    let metrics: AgentMetrics
    let store: (any AuditStore)?
    let settings: AgentSettings
    private var pending: [ResourcePoint] = []
    private var minute: [ResourcePoint] = []
    private var currentMinute: Int?
    private var lastFlush = Date()
    private var lastPrune = Date.distantPast
    private var rule: SustainedLoadRule
    private let logger = Logger(label: "assay.agent")

    public init(sampler: HostSampler, gpus: GPUSampler?, metrics: AgentMetrics, store: (any AuditStore)?, settings: AgentSettings) {
        self.sampler = sampler
        self.gpus = gpus
        self.metrics = metrics
        self.store = store
        self.settings = settings
        rule = settings.sustainedCPU
    }

    public func run() async throws {
        var previous = sampler.sample()
        metrics.update(point: nil, from: nil, to: previous)
        var previousCgroup = sampler.cgroup()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await Task.sleep(for: .milliseconds(Int64(settings.interval * 1000)))
            } catch {
                break
            }
            let next = sampler.sample()
            let cgroup = sampler.cgroup()
            var point = ResourcePoint(from: previous, to: next)
            point?.attach(gpus?.readings() ?? [])
            point?.attach(cgroup: previousCgroup, cgroup)
            metrics.update(point: point, from: previous, to: next)
            if let point {
                if let cpu = point.cpuPercent, let changed = rule.observe(cpu, at: point.time) {
                    metrics.alert(changed)
                    logger.notice("SustainedCPULoad \(changed.rawValue): CPU \(Int(cpu))% (threshold \(Int(rule.threshold))% for \(Int(rule.forSeconds)) s, clears below \(Int(rule.clearThreshold))%)")
                }
                try await keep(point)
            }
            previous = next
            previousCgroup = cgroup
        }
        try await flush()
    }

    /// Buffers a point, closes the minute it ends, and writes batches and prunes on schedule.
    func keep(_ point: ResourcePoint) async throws {
        let minuteIndex = Int(point.time.timeIntervalSince1970 / 60)
        if let currentMinute, minuteIndex != currentMinute, let aggregate = ResourcePoint.aggregate(minute) {
            try await write([aggregate], resolution: "1m")
            minute.removeAll()
        }
        currentMinute = minuteIndex
        minute.append(point)
        pending.append(point)
        if Date().timeIntervalSince(lastFlush) >= settings.flushSeconds { try await flush() }
        if Date().timeIntervalSince(lastPrune) >= 3600 {
            lastPrune = Date()
            try await store?.pruneResourceSamples(resolution: "raw", before: Date().addingTimeInterval(-settings.rawRetentionHours * 3600))
            try await store?.pruneResourceSamples(resolution: "1m", before: Date().addingTimeInterval(-settings.minuteRetentionDays * 86_400))
        }
    }

    func flush() async throws {
        lastFlush = Date()
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll()
        try await write(batch, resolution: "raw")
    }

    func write(_ points: [ResourcePoint], resolution: String) async throws {
        guard let store else { return }
        let encoder = JSONCoding.encoder()
        try await store.saveResourceSamples(
            try points.map { StoredSample(resolution: resolution, time: $0.time, payload: try encoder.encode($0)) })
    }
}

/// `assay agent`: the sampler and the `/metrics` endpoint in one service group, stopped gracefully by SIGTERM
/// or SIGINT.
public enum Agent {
    public static func run(host: String, port: Int, settings: AgentSettings, store: (any AuditStore)?) async throws {
        let metrics = AgentMetrics()
        metrics.alert(.inactive)
        let logger = Logger(label: "assay.agent")
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.text)))
        }
        router.get("healthz") { _, _ in "ok\n" }
        // One event-loop thread: /metrics is scraped a few times a minute, and NIO's default of one thread per core
        // would give the agent dozens of threads, stacks and malloc arenas on a large inference host.
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "assay-agent"),
            eventLoopGroupProvider: .shared(eventLoops), logger: logger)
        let sampler = SamplerService(
            sampler: HostSampler(), gpus: GPUSampler(intervalMilliseconds: Int(settings.interval * 1000)), metrics: metrics, store: store,
            settings: settings)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app), .init(service: sampler)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await eventLoops.shutdownGracefully()
            throw error
        }
        try await eventLoops.shutdownGracefully()
    }
}
