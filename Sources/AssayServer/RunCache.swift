import AssayCore
import AssayReport
import AssayStore
import Foundation

/// Stored audits never change, so each is loaded and rendered once: the run, its report, and the report's
/// renderings. Bounded; the oldest entry goes first.
actor RunCache {
    struct Entry: Sendable {
        var run: AuditRun
        var report: Report
        var runJSON: Data
        var renderings: [ReportFormat: String] = [:]
    }

    private let store: any AuditStore
    private let builder: ReportBuilder
    private var entries: BoundedMap<Entry>
    private var latestID: (id: String, at: Date)?

    init(store: any AuditStore, builder: ReportBuilder, capacity: Int = 64) {
        self.store = store
        self.builder = builder
        entries = BoundedMap(capacity: capacity)
    }

    /// The run with `id`, or the newest when `id` is "latest"; nil when absent.
    func entry(_ id: String) async throws -> Entry? {
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
        if let hit = entries[key] { return hit }
        guard let run = try await store.run(id: key) else { return nil }
        let entry = Entry(run: run, report: builder.build(run), runJSON: try JSONCoding.encoder().encode(run))
        entries[key] = entry
        return entry
    }

    func rendering(_ id: String, _ format: ReportFormat, windowDays: Double) async throws -> String? {
        guard var entry = try await entry(id) else { return nil }
        if let text = entry.renderings[format] { return text }
        let text = try ReportWriter.render(entry.report, as: format, baselineWindowDays: windowDays)
        entry.renderings[format] = text
        entries[entry.run.id] = entry
        return text
    }

    /// Forgets which run is newest (after an ingest).
    func invalidateLatest() { latestID = nil }
}

/// Metric series with their baseline bands and change points, kept while the points they were computed from are
/// unchanged (same count, same first and last point): the change-point search is the costly part of a chart.
actor SeriesCache {
    private var entries: [String: (fingerprint: [String], data: Data)] = [:]

    func data(for key: String, points: [MetricPoint], make: () throws -> Data) rethrows -> Data {
        let fingerprint = [points.first, points.last].compactMap { $0 }.map {
            "\($0.recordedAt.timeIntervalSince1970)|\($0.value)|\($0.runID)"
        } + ["\(points.count)"]
        if let hit = entries[key], hit.fingerprint == fingerprint { return hit.data }
        let data = try make()
        if entries.count > 256 { entries.removeAll() }
        entries[key] = (fingerprint, data)
        return data
    }
}

/// Rendered texts (flamegraph SVGs) by key, the oldest dropped beyond `capacity`: a trace is parsed once, not per view.
actor TextCache {
    private var entries: BoundedMap<String>

    init(capacity: Int) {
        entries = BoundedMap(capacity: capacity)
    }

    func value(_ key: String) -> String? { entries[key] }

    func store(_ key: String, _ value: String) { entries[key] = value }
}

/// A map holding at most `capacity` entries; inserting past that drops the oldest inserted key. Replacing a
/// key's value keeps its place.
struct BoundedMap<Value: Sendable>: Sendable {
    let capacity: Int
    private var values: [String: Value] = [:]
    private var order: [String] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(key: String) -> Value? {
        get { values[key] }
        set {
            guard let newValue else {
                if values.removeValue(forKey: key) != nil { order.removeAll { $0 == key } }
                return
            }
            if values.updateValue(newValue, forKey: key) == nil { order.append(key) }
            if order.count > capacity { values[order.removeFirst()] = nil }
        }
    }
}
