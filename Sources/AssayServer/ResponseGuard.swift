import AssayCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An error the API answers with its own status and a JSON body `{"error": {"message", "field"?, "request_id"}}`.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    var field: String?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers
    }
}

/// The outermost layer of every route, the unknown ones included:
/// - requests whose Host is not one of this server's names get 421 (DNS rebinding cannot reach the unauthenticated
///   API on 127.0.0.1 through a name an attacker controls);
/// - every error becomes a JSON answer with the request's id; an unexpected one is a 500 that the log explains;
/// - every answer, errors included, carries the security headers.
struct ResponseGuard: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// Host names (without port) that may be asked for; nil accepts any.
    let allowedHosts: Set<String>?

    init(allowedHosts: Set<String>?) {
        self.allowedHosts = allowedHosts
    }

    /// The loopback names, the bound address, and what `--allowed-host` adds ("*" accepts any Host).
    static func allowedHosts(bound host: String, extra: [String]) -> Set<String>? {
        if extra.contains("*") { return nil }
        return Set((["localhost", "127.0.0.1", "::1", "[::1]", host] + extra).map { $0.lowercased() })
    }

    /// The host part of a Host header: `[::1]:9470` → `[::1]`, `Example.org:80` → `example.org`.
    static func hostName(_ authority: String) -> String {
        let lowered = authority.lowercased()
        if lowered.hasPrefix("["), let close = lowered.firstIndex(of: "]") { return String(lowered[...close]) }
        if let colon = lowered.lastIndex(of: ":"), lowered.firstIndex(of: ":") == colon { return String(lowered[..<colon]) }
        return lowered
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            if let allowedHosts, let authority = request.head.authority, !allowedHosts.contains(Self.hostName(authority)) {
                throw APIError(
                    .misdirectedRequest, "Host \(QueryOptions.clip(authority)) is not a name of this server; start it with --allowed-host to add one")
            }
            response = try await next(request, context)
        } catch {
            response = Self.response(for: error, request: request, context: context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
        }
        if request.method == .head { response.body = .init() }
        return response
    }

    static func response(for error: any Error, request: Request, context: Context) -> Response {
        let answer: APIError
        switch error {
        case let error as APIError: answer = error
        case let error as HTTPError: answer = APIError(error.status, error.body ?? error.status.reasonPhrase, headers: error.headers)
        case let error as IngestValidation.Problem: answer = APIError(.unprocessableContent, error.description, field: error.field)
        default:
            context.logger.error("\(request.method) \(request.uri.path) failed: \(String(reflecting: error))", metadata: ["request_id": "\(context.id)"])
            answer = APIError(.internalServerError, "internal error; the server's log has it under request id \(context.id)")
        }
        if answer.status.code >= 500, error is APIError || error is HTTPError {
            context.logger.error("\(request.method) \(request.uri.path): \(answer.message)", metadata: ["request_id": "\(context.id)"])
        }
        struct Body: Encodable {
            struct Detail: Encodable {
                var message: String
                var field: String?
                var requestID: String
                enum CodingKeys: String, CodingKey { case message, field, requestID = "request_id" }
            }
            var error: Detail
        }
        let body = Body(error: .init(message: answer.message, field: answer.field, requestID: context.id))
        let data = (try? JSONCoding.encoder().encode(body)) ?? Data("{}".utf8)
        var headers = answer.headers
        headers[.contentType] = "application/json"
        return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
