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

public struct PrometheusError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String

    public var description: String { "Prometheus \(url): \(reason)" }
}

extension PrometheusError: AssayError {
    public var exitCode: Int32 { ExitStatus.unavailable }
}
