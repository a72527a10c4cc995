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
        var components = URLComponents(string: baseURL + "/api/v1/query_range")
        components?.queryItems = [
            .init(name: "query", value: query), .init(name: "start", value: String(start.timeIntervalSince1970)),
            .init(name: "end", value: String(end.timeIntervalSince1970)), .init(name: "step", value: String(stepSeconds)),
        ]
        guard let url = components?.url?.absoluteString else { throw PrometheusError(url: baseURL, reason: "not a URL") }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(HTTPClientRequest(url: url), timeout: timeout)
        } catch {
            throw PrometheusError(url: baseURL, reason: "\(error)")
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        do {
            return try PrometheusSeries.parse(Data(body.readableBytesView), source: "\(baseURL) \(query)")
        } catch let error as TelemetryLogError {
            throw PrometheusError(url: baseURL, reason: "HTTP \(response.status.code): \(error.expected)")
        }
    }
}

extension PrometheusClient {
    /// The longest scrape interval of the active targets (`GET /api/v1/targets`), seconds; nil when Prometheus does
    /// not say.
    public func longestScrapeInterval() async throws -> Double? {
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(HTTPClientRequest(url: baseURL + "/api/v1/targets?state=active"), timeout: timeout)
        } catch {
            throw PrometheusError(url: baseURL, reason: "\(error)")
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        guard case .array(let targets)? = JSONValue.parse(body.readableBytesView)?["data"]?["activeTargets"] else { return nil }
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

    public static func queries(rateWindowSeconds: Int) -> [(name: String, query: String)] {
        queries(rateWindowSeconds: rateWindowSeconds, cpuLimit: 0, memoryLimit: 0).map { ($0.name, $0.query) }
    }

    static func queries(rateWindowSeconds: Int, cpuLimit: Double, memoryLimit: Double) -> [(name: String, query: String, limit: Double)] {
        [
            ("CPU Utilization (%)", "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[\(rateWindowSeconds)s])))", cpuLimit),
            ("Memory Usage (%)", "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)", memoryLimit),
        ]
    }

    public func run(hours: Double, stepSeconds: Double, now: Date = Date()) async throws -> Result {
        let window = Self.rateWindow(stepSeconds: stepSeconds, scrapeIntervalSeconds: try await client.longestScrapeInterval())
        var rows: [Row] = []
        var noSeries: [String] = []
        for (name, query, limit) in Self.queries(rateWindowSeconds: window, cpuLimit: cpuLimit, memoryLimit: memoryLimit) {
            let series = try await client.queryRange(query, start: now.addingTimeInterval(-hours * 3600), end: now, stepSeconds: stepSeconds)
            let judged = series.sorted { $0.host < $1.host }.compactMap { host -> Row? in
                host.p95.map { Row(host: host.host, metric: name, p95: $0, limit: limit, points: host.points.count, breach: $0 > limit) }
            }
            if judged.isEmpty { noSeries.append("\(name): \(query)") }
            rows += judged
        }
        return Result(rows: rows, noSeries: noSeries, rateWindowSeconds: window)
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
