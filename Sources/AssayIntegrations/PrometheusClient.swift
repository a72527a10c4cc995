import AssayCore
import AssayTelemetry
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Reads what an existing Prometheus scraped from a fleet of agents or node_exporters, over its HTTP API.
public struct PrometheusClient: Sendable {
    public var baseURL: String
    public var timeout: TimeAmount = .seconds(30)

    public init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// `GET /api/v1/query_range`; unreachable servers and error answers are `PrometheusError`s.
    public func queryRange(_ query: String, start: Date, end: Date, stepSeconds: Double) async throws -> [PrometheusSeries] {
        try await series(
            "/api/v1/query_range",
            [("query", query), ("start", String(start.timeIntervalSince1970)), ("end", String(end.timeIntervalSince1970)), ("step", String(stepSeconds))],
            source: query)
    }

    /// `GET /api/v1/query` at `time`: one point per series.
    public func query(_ query: String, at time: Date) async throws -> [PrometheusSeries] {
        try await series("/api/v1/query", [("query", query), ("time", String(time.timeIntervalSince1970))], source: query)
    }

    /// `GET /api/v1/label/NAME/values` for the series `match` selects between `start` and `end`.
    public func labelValues(_ label: String, match: String, start: Date, end: Date) async throws -> [String] {
        let body = try await get(
            "/api/v1/label/\(label)/values",
            [("match[]", match), ("start", String(start.timeIntervalSince1970)), ("end", String(end.timeIntervalSince1970))])
        guard case .array(let values)? = JSONValue.parse(body)?["data"] else {
            throw PrometheusError(url: baseURL, reason: "label values of \(label): not a Prometheus API answer")
        }
        return values.compactMap(\.string)
    }

    func series(_ path: String, _ items: [(String, String)], source: String) async throws -> [PrometheusSeries] {
        let body = try await get(path, items)
        do {
            return try PrometheusSeries.parse(Data(body), source: "\(baseURL) \(source)")
        } catch let error as TelemetryLogError {
            throw PrometheusError(url: baseURL, reason: error.expected)
        }
    }

    /// The request URL. A "+" in PromQL (`a + b`) is percent-encoded: left as is, the server reads it as a space.
    static func url(_ base: String, _ path: String, _ items: [(String, String)]) -> String? {
        guard var components = URLComponents(string: base + path) else { return nil }
        components.queryItems = items.map { URLQueryItem(name: $0.0, value: $0.1) }
        let query = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components.percentEncodedQuery = query
        return components.url?.absoluteString
    }

    func get(_ path: String, _ items: [(String, String)]) async throws -> [UInt8] {
        guard let url = Self.url(baseURL, path, items) else { throw PrometheusError(url: baseURL, reason: "not a URL") }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(HTTPClientRequest(url: url), timeout: timeout)
        } catch {
            throw PrometheusError(url: baseURL, reason: "\(error)")
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw PrometheusError(url: baseURL, reason: "reading the answer: \(error)")
        }
        guard response.status.code == 200 else {
            let detail = JSONValue.parse(body.readableBytesView)?["error"]?.string ?? "no detail"
            throw PrometheusError(url: baseURL, reason: "HTTP \(response.status.code): \(detail)")
        }
        return Array(body.readableBytesView)
    }
}

extension PrometheusClient {
    /// The longest scrape interval of the active targets (`GET /api/v1/targets`), seconds; nil when Prometheus does
    /// not say.
    public func longestScrapeInterval() async throws -> Double? {
        // Servers without the targets API (Thanos, Mimir) answer an error: then the interval is unknown, not fatal.
        guard let body = try? await get("/api/v1/targets", [("state", "active")]),
            case .array(let targets)? = JSONValue.parse(body)?["data"]?["activeTargets"]
        else { return nil }
        return targets.compactMap { $0["scrapeInterval"]?.string.flatMap(Self.seconds) }.max()
    }

    /// A Prometheus duration (`15s`, `1m`, `1m30s`, `2h`, `500ms`) in seconds.
    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800), ("y", 31_536_000)]
        var rest = Substring(text)
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber }
            guard let value = Double(digits), !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) && !(($0.0 == "m") && rest.hasPrefix("ms")) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        return text.isEmpty ? nil : total
    }
}

/// Per-host utilization of a fleet from the Prometheus that scrapes its agents or node_exporters: each instance's
/// P95 of CPU and memory utilization against the thresholds. The CPU rate window is at least four scrape
/// intervals (from the targets) and four steps, so a 60 s scrape interval still gives every window its samples;
/// a query that returns no series is reported by name, never passed over.
public struct FleetCheck: Sendable {
    public struct Row: Sendable, Hashable, Codable {
        public var host: String
        public var metric: String
        public var p95: Double
        public var limit: Double
        public var points: Int
        public var breach: Bool
    }

    public struct Result: Sendable, Hashable, Codable {
        public var rows: [Row]
        /// Queries that returned no series: "name: query".
        public var noSeries: [String]
        public var rateWindowSeconds: Int
        public var breached: Bool { rows.contains(where: \.breach) }
    }

    public var client: PrometheusClient
    public var cpuLimit: Double
    public var memoryLimit: Double

    public init(client: PrometheusClient, cpuLimit: Double, memoryLimit: Double) {
        self.client = client
        self.cpuLimit = cpuLimit
        self.memoryLimit = memoryLimit
    }

    /// The rate window: four times the longer of the step and the scrape interval, at least a minute.
    public static func rateWindow(stepSeconds: Double, scrapeIntervalSeconds: Double?) -> Int {
        Int(max(60, 4 * max(stepSeconds, scrapeIntervalSeconds ?? 0)).rounded(.up))
    }

    /// A judged metric: its name, the series that says which instances have it, and its per-instance expression
    /// over the instances a label matcher selects.
    struct Metric {
        var name: String
        var series: String
        var expression: (String) -> String
        /// The scraped samples per instance over a range, for the row's point count.
        var samples: (String, String) -> String
        var limit: Double
    }

    static func metrics(rateWindowSeconds: Int, cpuLimit: Double, memoryLimit: Double) -> [Metric] {
        [
            Metric(
                name: "CPU Utilization (%)", series: "node_cpu_seconds_total",
                expression: { "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"\($0.isEmpty ? "" : ",")\($0)}[\(rateWindowSeconds)s])))" },
                samples: { "max by (instance) (count_over_time(node_cpu_seconds_total{mode=\"idle\",\($0)}[\($1)]))" },
                limit: cpuLimit),
            Metric(
                name: "Memory Usage (%)", series: "node_memory_MemTotal_bytes",
                expression: { m in
                    let selector = m.isEmpty ? "" : "{\(m)}"
                    return "100 * (1 - node_memory_MemAvailable_bytes\(selector) / node_memory_MemTotal_bytes\(selector))"
                },
                samples: { "max by (instance) (count_over_time(node_memory_MemTotal_bytes{\($0)}[\($1)]))" },
                limit: memoryLimit),
        ]
    }

    /// The expressions, without an instance matcher, as `assay telemetry fleet` names them.
    public static func queries(rateWindowSeconds: Int) -> [(name: String, query: String)] {
        metrics(rateWindowSeconds: rateWindowSeconds, cpuLimit: 0, memoryLimit: 0).map { ($0.name, $0.expression("")) }
    }

    /// Instances per query: 250 hosts over 7 days at 60 s are 2.5 million subquery samples, far under Prometheus's
    /// default limit of 50 million.
    public static let batchSize = 250

    /// Each instance's P95 over the window, computed by Prometheus (`quantile_over_time` of a subquery at the step,
    /// coarsened so no instance needs more than 2,016 evaluations), with its count of scraped samples, for batches of
    /// instances.
    public func run(hours: Double, stepSeconds: Double, now: Date = Date()) async throws -> Result {
        // At most 2,016 evaluations per instance (a week at five minutes): longer windows get a coarser step.
        let step = max(stepSeconds, (hours * 3600 / 2016).rounded(.up))
        let window = Self.rateWindow(stepSeconds: step, scrapeIntervalSeconds: try await client.longestScrapeInterval())
        let start = now.addingTimeInterval(-hours * 3600)
        let duration = "\(Int((hours * 3600).rounded()))s"
        let range = "[\(duration):\(Int(step.rounded()))s]"
        var rows: [Row] = []
        var noSeries: [String] = []
        for metric in Self.metrics(rateWindowSeconds: window, cpuLimit: cpuLimit, memoryLimit: memoryLimit) {
            let instances = try await client.labelValues("instance", match: metric.series, start: start, end: now).sorted()
            var judged: [Row] = []
            for offset in stride(from: 0, to: instances.count, by: Self.batchSize) {
                let batch = instances[offset..<min(instances.count, offset + Self.batchSize)]
                let matcher = "instance=~\"\(batch.map(Self.regexEscaped).joined(separator: "|"))\""
                let expression = metric.expression(matcher)
                let quantiles = try await client.query("quantile_over_time(0.95, (\(expression))\(range))", at: now)
                let counts = try await client.query(metric.samples(matcher, duration), at: now)
                let points = Dictionary(counts.map { ($0.host, Int($0.points.first?.value ?? 0)) }, uniquingKeysWith: { a, _ in a })
                judged += quantiles.compactMap { series -> Row? in
                    guard let p95 = series.points.first?.value else { return nil }
                    return Row(host: series.host, metric: metric.name, p95: p95, limit: metric.limit, points: points[series.host] ?? 0, breach: p95 > metric.limit)
                }
            }
            if judged.isEmpty { noSeries.append("\(metric.name): \(metric.expression(""))") }
            rows += judged.sorted { $0.host < $1.host }
        }
        return Result(rows: rows, noSeries: noSeries, rateWindowSeconds: window)
    }

    /// `text` with the regular-expression metacharacters escaped, for an `=~` matcher.
    static func regexEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped.append("\\\\\\\\")
            case "\"": escaped.append("\\\"")
            case _ where ".^$|?*+()[]{}".contains(character): escaped.append("\\\\" + String(character))
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

public struct PrometheusError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String

    public var description: String { "Prometheus \(url): \(reason)" }
}

extension PrometheusError: AssayError {
    public var exitCode: Int32 { ExitStatus.unavailable }
}
