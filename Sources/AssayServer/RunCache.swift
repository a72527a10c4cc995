import AssayCore
import AssayReport
import AssayStore
import Foundation

/// Stored audits never change, so each is loaded and rendered once: the run, its report, and the report's
/// renderings. Bounded by count and by an estimate of the bytes held; the oldest entry goes first.
actor RunCache {
    struct Entry: Sendable {
        var run: AuditRun
        /// Built when a page or a download needs it (the API's JSON answers do not).
        var report: Report?
        var renderings: [ReportFormat: String] = [:]
        /// Roughly what the run holds in memory.
        let runBytes: Int

        init(run: AuditRun) {
            self.run = run
            runBytes = run.findings.reduce(4096) { total, finding in
                total + 640 + finding.check.utf8.count + finding.observed.utf8.count + (finding.expected?.utf8.count ?? 0)
                    + (finding.recommendation?.utf8.count ?? 0) + finding.evidence.count * 256 + finding.events.count * 160
                    + finding.series.values.reduce(0) { $0 + $1.count * 16 } + finding.attributes.reduce(0) { $0 + 96 + $1.key.utf8.count + $1.value.utf8.count }
            }
        }

        /// Roughly what the entry holds in memory: the run, its report (about as large again) and the renderings.
        var weight: Int { runBytes * (report == nil ? 1 : 2) + renderings.values.reduce(0) { $0 + $1.utf8.count } }
    }

    private let store: any AuditStore
    private let builder: ReportBuilder
    private var entries: BoundedMap<Entry>
    private var latestID: (id: String, at: Date)?
    private var loading: [String: Task<AuditRun?, any Error>] = [:]

    init(store: any AuditStore, builder: ReportBuilder, capacity: Int = 64, maxBytes: Int = 48 << 20) {
        self.store = store
        self.builder = builder
        entries = BoundedMap(capacity: capacity, maxWeight: maxBytes) { $0.weight }
    }

    /// The run with `id`, or the newest when `id` is "latest", with its report built when `report`; nil when absent.
    func entry(_ id: String, report: Bool = false) async throws -> Entry? {
        let key: String
        if id == "latest" {
            if let cached = latestID, Date().timeIntervalSince(cached.at) < 1 {
                key = cached.id
            } else {
                guard let newest = try await store.runs(limit: 1).first else { return nil }
                latestID = (newest.id, Date())
                key = newest.id
            }
        } else {
            key = id
        }
        if var hit = entries[key] {
            if report, hit.report == nil {
                hit.report = builder.build(hit.run)
                entries[key] = hit
            }
            return hit
        }
        guard let run = try await load(key) else { return nil }
        var entry = Entry(run: run)
        if report { entry.report = builder.build(run) }
        entries[key] = entry
        return entry
    }

    /// The stored run, loaded once however many readers ask for it at the same time.
    private func load(_ id: String) async throws -> AuditRun? {
        if let running = loading[id] { return try await running.value }
        let store = self.store
        let task = Task { try await store.run(id: id) }
        loading[id] = task
        defer { loading[id] = nil }
        return try await task.value
    }

    func rendering(_ id: String, _ format: ReportFormat, windowDays: Double) async throws -> String? {
        guard var entry = try await entry(id, report: true), let report = entry.report else { return nil }
        if let text = entry.renderings[format] { return text }
        let text = try ReportWriter.render(report, as: format, baselineWindowDays: windowDays)
        entry.renderings[format] = text
        entries[entry.run.id] = entry
        return text
    }

    /// Forgets which run is newest (after an ingest).
    func invalidateLatest() { latestID = nil }
}

/// Metric series with their baseline bands and change points, kept while the points they were computed from are
/// unchanged (same count, same first and last point): the change-point search is the costly part of a chart.
/// Each series is computed once, in a task of its own off the actor, however many readers ask for it at once; the
/// windows are a few fixed ones (`QueryOptions.dayWindows`), so readers cannot multiply the keys.
actor SeriesCache {
    private var entries: [String: (fingerprint: [String], task: Task<Data, any Error>)] = [:]

    func data(for key: String, points: [MetricPoint], make: @escaping @Sendable () throws -> Data) async throws -> Data {
        let fingerprint = [points.first, points.last].compactMap { $0 }.map {
            "\($0.recordedAt.timeIntervalSince1970)|\($0.value)|\($0.runID)"
        } + ["\(points.count)"]
        if let hit = entries[key], hit.fingerprint == fingerprint { return try await hit.task.value }
        let task = Task.detached(priority: .utility) { try make() }
        if entries.count > 256 { entries.removeAll() }
        entries[key] = (fingerprint, task)
        do {
            return try await task.value
        } catch {
            if entries[key]?.fingerprint == fingerprint { entries[key] = nil }
            throw error
        }
    }
}

/// Rendered texts (flamegraph SVGs) by key, the oldest dropped beyond `capacity`: a trace is parsed once, not per view.
actor TextCache {
    private var entries: BoundedMap<String>

    init(capacity: Int, maxBytes: Int) {
        entries = BoundedMap(capacity: capacity, maxWeight: maxBytes) { $0.utf8.count }
    }

    func value(_ key: String) -> String? { entries[key] }

    func store(_ key: String, _ value: String) { entries[key] = value }
}

/// A map holding at most `capacity` entries whose weights add up to at most `maxWeight`; inserting past either
/// drops the oldest inserted keys (a single entry heavier than `maxWeight` is not kept). Replacing a key's value
/// keeps its place.
struct BoundedMap<Value: Sendable>: Sendable {
    let capacity: Int
    let maxWeight: Int
    let weigh: @Sendable (Value) -> Int
    private var values: [String: (value: Value, weight: Int)] = [:]
    private var order: [String] = []
    private(set) var totalWeight = 0

    init(capacity: Int, maxWeight: Int = .max, weigh: @escaping @Sendable (Value) -> Int = { _ in 0 }) {
        self.capacity = capacity
        self.maxWeight = maxWeight
        self.weigh = weigh
    }

    var count: Int { values.count }

    subscript(key: String) -> Value? {
        get { values[key]?.value }
        set {
            if let old = values.removeValue(forKey: key) {
                totalWeight -= old.weight
                if newValue == nil { order.removeAll { $0 == key } }
            } else if newValue != nil {
                order.append(key)
            }
            guard let newValue else { return }
            let weight = weigh(newValue)
            guard weight <= maxWeight else {
                order.removeAll { $0 == key }
                return
            }
            values[key] = (newValue, weight)
            totalWeight += weight
            while order.count > capacity || totalWeight > maxWeight, !order.isEmpty {
                let oldest = order.removeFirst()
                if let dropped = values.removeValue(forKey: oldest) { totalWeight -= dropped.weight }
            }
        }
    }
}
