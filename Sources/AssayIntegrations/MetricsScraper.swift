import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Fetches a /metrics page (an inference server's, an exporter's) as text, bounded in size.
public struct MetricsScraper: Sendable {
    public var url: String
    public var timeoutSeconds: Int64 = 10
    public var maxBytes = 32 << 20

    public init(url: String) {
        self.url = url
    }

    public func fetch() async throws -> String {
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(HTTPClientRequest(url: url), timeout: .seconds(timeoutSeconds))
        } catch {
            throw MetricsScrapeError(url: url, reason: "\(error)")
        }
        guard response.status.code == 200 else { throw MetricsScrapeError(url: url, reason: "HTTP \(response.status.code)") }
        return String(buffer: try await response.body.collect(upTo: maxBytes))
    }
}

public struct MetricsScrapeError: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var reason: String

    public var description: String { "cannot scrape \(url): \(reason)" }
}

extension MetricsScrapeError: AssayError {
    public var exitCode: Int32 { ExitStatus.unavailable }
}
