import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Pushes audits to an `assay serve` (a CI job or an agent host reporting to the team's server).
public struct AssayServerClient: Sendable {
    public var baseURL: String
    public var token: String
    public var timeout: TimeAmount = .seconds(30)

    public init(baseURL: String, token: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// `POST /api/v1/runs`; returns the dashboard path of the stored audit.
    /// Pushes an audit with the environment state it ran in, so the server records its metric history as a local
    /// audit does.
    public func push(_ run: AuditRun, environment: EnvironmentState? = nil) async throws -> String {
        var request = HTTPClientRequest(url: baseURL + "/api/v1/runs")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        var payload = try JSONCoding.encoder().encode(run)
        if let environment, payload.last == UInt8(ascii: "}") {
            payload.removeLast()
            payload.append(contentsOf: Array(",\"environment_state\":".utf8))
            payload.append(try JSONCoding.encoder().encode(environment))
            payload.append(UInt8(ascii: "}"))
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(request, timeout: timeout)
        } catch {
            throw AssayServerError(url: baseURL, status: nil, message: "\(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        let answer = JSONValue.parse(body.readableBytesView)
        guard response.status == .created else {
            let message = answer?["error"]?["message"]?.string ?? String(decoding: body.readableBytesView, as: UTF8.self)
            throw AssayServerError(url: baseURL, status: Int(response.status.code), message: message)
        }
        return baseURL + (answer?["url"]?.string ?? "/runs/\(run.id)")
    }
}

public struct AssayServerError: Error, Sendable, CustomStringConvertible {
    public var url: String
    /// The HTTP status, nil when the server could not be reached.
    public var status: Int?
    public var message: String

    public var description: String { "\(url): \(status.map { "HTTP \($0): " } ?? "")\(message)" }
}

extension AssayServerError: AssayError {
    public var exitCode: Int32 { ExitStatus.unavailable }
}
