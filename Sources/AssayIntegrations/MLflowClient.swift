import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Errors talking to an MLflow tracking server.
public enum MLflowError: Error, Sendable, CustomStringConvertible, Equatable {
    case http(method: String, path: String, status: Int, message: String)
    case malformedResponse(path: String, reason: String)
    case unsupportedArtifactURI(String)
    case tooLarge(path: String, limitBytes: Int)
    case unreachable(url: String, reason: String)

    public var description: String {
        switch self {
        case .http(let method, let path, let status, let message): "MLflow \(method) \(path): HTTP \(status): \(message)"
        case .malformedResponse(let path, let reason): "MLflow \(path): unexpected answer: \(reason)"
        case .unsupportedArtifactURI(let uri):
            "artifact URI \(uri) is not served by the tracking server (start it with --serve-artifacts)"
        case .tooLarge(let path, let limit): "MLflow artifact \(path) exceeds the \(limit)-byte download limit"
        case .unreachable(let url, let reason): "cannot reach the MLflow tracking server at \(url): \(reason)"
        }
    }
}

/// A run as the tracking server returns it.
public struct MLflowRun: Sendable, Hashable {
    public var runID: String
    public var experimentID: String
    public var status: String
    public var artifactURI: String
    public var params: [String: String]
    public var tags: [String: String]
    public var metrics: [String: Double]
}

/// A file or directory in a run's artifacts.
public struct MLflowArtifact: Sendable, Hashable {
    public var path: String
    public var isDirectory: Bool
    public var sizeBytes: Int?
}

/// A client of the MLflow REST API (2.0 paths, as MLflow 2.x and 3.x serve them) and of the artifact
/// proxy (`mlflow server --serve-artifacts`). MLflow lists artifacts without checksums, so
/// `sha256(ofArtifact:)` downloads and hashes client-side, streaming, with a size limit.
public struct MLflowClient: Sendable {
    public var trackingURI: String
    /// Deadline of each request, in seconds.
    public var timeoutSeconds: Double
    /// Largest artifact `sha256(ofArtifact:)` downloads.
    public var maxArtifactBytes: Int

    var timeout: TimeAmount { .milliseconds(Int64(timeoutSeconds * 1000)) }

    public init(trackingURI: String, timeoutSeconds: Double = 30, maxArtifactBytes: Int = 4 << 30) {
        self.trackingURI = trackingURI.hasSuffix("/") ? String(trackingURI.dropLast()) : trackingURI
        self.timeoutSeconds = timeoutSeconds
        self.maxArtifactBytes = maxArtifactBytes
    }

    // MARK: Experiments and runs

    /// The id of the named experiment, creating it when it does not exist.
    public func experimentID(named name: String) async throws -> String {
        let (status, body) = try await send(.GET, "/api/2.0/mlflow/experiments/get-by-name", query: ["experiment_name": name], allow: [404])
        if status == 200, let id = body["experiment"]?["experiment_id"]?.string { return id }
        let created = try await call(.POST, "/api/2.0/mlflow/experiments/create", json: ["name": name])
        guard let id = created["experiment_id"]?.string else {
            throw MLflowError.malformedResponse(path: "experiments/create", reason: "no experiment_id")
        }
        return id
    }

    public func createRun(experimentID: String, name: String, tags: [String: String], startTime: Date = Date()) async throws -> MLflowRun {
        let body = try await call(.POST, "/api/2.0/mlflow/runs/create", json: [
            "experiment_id": experimentID, "run_name": name, "start_time": Self.milliseconds(startTime),
            "tags": tags.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
        ])
        return try Self.run(body, path: "runs/create")
    }

    /// Logs params, metrics and tags in one request (MLflow accepts up to 100 params, 1000 metrics, 100 tags).
    public func logBatch(
        runID: String, params: [String: String] = [:], metrics: [String: Double] = [:], tags: [String: String] = [:],
        at date: Date = Date()
    ) async throws {
        let timestamp = Self.milliseconds(date)
        _ = try await call(.POST, "/api/2.0/mlflow/runs/log-batch", json: [
            "run_id": runID,
            "params": params.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
            "metrics": metrics.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value, "timestamp": timestamp, "step": 0] },
            "tags": tags.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
        ])
    }

    public func finishRun(runID: String, status: String = "FINISHED", endTime: Date = Date()) async throws {
        _ = try await call(.POST, "/api/2.0/mlflow/runs/update", json: [
            "run_id": runID, "status": status, "end_time": Self.milliseconds(endTime),
        ])
    }

    public func run(id: String) async throws -> MLflowRun {
        try Self.run(try await call(.GET, "/api/2.0/mlflow/runs/get", query: ["run_id": id]), path: "runs/get")
    }

    // MARK: Model registry

    /// A registered model version: where its files are.
    public struct ModelVersion: Sendable, Hashable {
        public var name: String
        public var version: String
        public var source: String
        public var runID: String?
    }

    /// Resolves `models:/name@alias` or `models:/name/version`.
    public func modelVersion(uri: String) async throws -> ModelVersion {
        guard uri.hasPrefix("models:/") else { throw MLflowError.malformedResponse(path: uri, reason: "expected models:/name@alias or models:/name/version") }
        let spec = String(uri.dropFirst("models:/".count))
        let body: JSONValue
        if let at = spec.lastIndex(of: "@") {
            body = try await call(.GET, "/api/2.0/mlflow/registered-models/alias", query: ["name": String(spec[..<at]), "alias": String(spec[spec.index(after: at)...])])
        } else if let slash = spec.lastIndex(of: "/") {
            body = try await call(.GET, "/api/2.0/mlflow/model-versions/get", query: ["name": String(spec[..<slash]), "version": String(spec[spec.index(after: slash)...])])
        } else {
            throw MLflowError.malformedResponse(path: uri, reason: "expected models:/name@alias or models:/name/version")
        }
        guard let version = body["model_version"], let number = version["version"]?.string, let source = version["source"]?.string else {
            throw MLflowError.malformedResponse(path: uri, reason: "no model_version.version and source")
        }
        return ModelVersion(name: version["name"]?.string ?? spec, version: number, source: source, runID: version["run_id"]?.string)
    }

    public func createRegisteredModel(name: String) async throws {
        _ = try await call(.POST, "/api/2.0/mlflow/registered-models/create", json: ["name": name])
    }

    /// Registers `source` (an artifact URI) as a new version of `name`; returns the version number.
    public func createModelVersion(name: String, source: String, runID: String?) async throws -> String {
        var json: [String: Any] = ["name": name, "source": source]
        if let runID { json["run_id"] = runID }
        let body = try await call(.POST, "/api/2.0/mlflow/model-versions/create", json: json)
        guard let version = body["model_version"]?["version"]?.string else {
            throw MLflowError.malformedResponse(path: "model-versions/create", reason: "no model_version.version")
        }
        return version
    }

    public func setAlias(name: String, alias: String, version: String) async throws {
        _ = try await call(.POST, "/api/2.0/mlflow/registered-models/alias", json: ["name": name, "alias": alias, "version": version])
    }

    /// Every file under an artifact URI (recursively, through the artifact proxy), with paths relative to it.
    public func files(under artifactURI: String, limit: Int = 100_000) async throws -> [MLflowArtifact] {
        guard artifactURI.hasPrefix("mlflow-artifacts:") else { throw MLflowError.unsupportedArtifactURI(artifactURI) }
        var root = String(artifactURI.dropFirst("mlflow-artifacts:".count))
        if root.hasPrefix("//"), let slash = root.dropFirst(2).firstIndex(of: "/") { root = String(root[slash...]) }
        root = root.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        var result: [MLflowArtifact] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let path = relative.isEmpty ? root : root + "/" + relative
            let body = try await call(.GET, "/api/2.0/mlflow-artifacts/artifacts", query: ["path": path])
            guard case .array(let entries)? = body["files"] else { continue }
            for entry in entries {
                guard let name = entry["path"]?.string else { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                if entry["is_dir"] == .bool(true) {
                    pending.append(child)
                } else {
                    result.append(MLflowArtifact(path: child, isDirectory: false, sizeBytes: entry["file_size"]?.number.map { Int($0) }))
                }
                if result.count > limit { throw MLflowError.tooLarge(path: artifactURI, limitBytes: limit) }
            }
        }
        return result.sorted { $0.path < $1.path }
    }

    // MARK: Artifacts

    /// Artifacts directly under `path` of a run.
    public func listArtifacts(runID: String, path: String? = nil) async throws -> [MLflowArtifact] {
        var query = ["run_id": runID]
        if let path { query["path"] = path }
        let body = try await call(.GET, "/api/2.0/mlflow/artifacts/list", query: query)
        guard case .array(let files)? = body["files"] else { return [] }
        return files.compactMap { file in
            guard let path = file["path"]?.string else { return nil }
            return MLflowArtifact(
                path: path, isDirectory: file["is_dir"] == .bool(true), sizeBytes: file["file_size"]?.number.map { Int($0) })
        }
    }

    /// Uploads bytes as an artifact of the run whose artifact URI is given.
    public func uploadArtifact(artifactURI: String, path: String, bytes: [UInt8]) async throws {
        let url = try proxyPath(artifactURI: artifactURI, path: path)
        var request = HTTPClientRequest(url: trackingURI + url)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let response = try await execute(request)
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw MLflowError.http(method: "PUT", path: url, status: Int(response.status.code), message: String(buffer: body))
        }
    }

    /// Downloads an artifact through the proxy and returns its sha256 and size, without keeping it.
    public func sha256(ofArtifact path: String, artifactURI: String) async throws -> (sha256: String, bytes: Int) {
        let url = try proxyPath(artifactURI: artifactURI, path: path)
        var request = HTTPClientRequest(url: trackingURI + url)
        request.method = .GET
        let response = try await execute(request)
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw MLflowError.http(method: "GET", path: url, status: Int(response.status.code), message: String(buffer: body))
        }
        var hasher = StreamingSHA256()
        var total = 0
        for try await chunk in response.body {
            total += chunk.readableBytes
            if total > maxArtifactBytes { throw MLflowError.tooLarge(path: path, limitBytes: maxArtifactBytes) }
            chunk.withUnsafeReadableBytes { hasher.update($0) }
        }
        return (hasher.finalize(), total)
    }

    /// `mlflow-artifacts:/<exp>/<run>/artifacts` → `/api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts/<path>`.
    func proxyPath(artifactURI: String, path: String) throws -> String {
        let prefix = "mlflow-artifacts:"
        guard artifactURI.hasPrefix(prefix) else { throw MLflowError.unsupportedArtifactURI(artifactURI) }
        var root = String(artifactURI.dropFirst(prefix.count))
        if root.hasPrefix("//"), let slash = root.dropFirst(2).firstIndex(of: "/") { root = String(root[slash...]) }
        let trimmed = root.hasPrefix("/") ? String(root.dropFirst()) : root
        let components = (trimmed + "/" + path).split(separator: "/").map(String.init)
        guard !components.contains("..") else { throw MLflowError.unsupportedArtifactURI(artifactURI + "/" + path) }
        let encoded = components.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }
        return "/api/2.0/mlflow-artifacts/artifacts/" + encoded.joined(separator: "/")
    }

    // MARK: Transport

    /// Sends a request, turning transport failures (refused, timed out, reset) into `MLflowError.unreachable`.
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await HTTPClient.assay.execute(request, timeout: timeout)
        } catch {
            throw MLflowError.unreachable(url: trackingURI, reason: "\(error)")
        }
    }

    func call(_ method: HTTPMethod, _ path: String, query: [String: String] = [:], json: [String: Any]? = nil) async throws -> JSONValue {
        try await send(method, path, query: query, json: json, allow: []).1
    }

    func send(
        _ method: HTTPMethod, _ path: String, query: [String: String] = [:], json: [String: Any]? = nil, allow: Set<Int>
    ) async throws -> (Int, JSONValue) {
        var components = URLComponents()
        components.queryItems = query.isEmpty ? nil : query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        var request = HTTPClientRequest(url: trackingURI + path + (components.percentEncodedQuery.map { "?" + $0 } ?? ""))
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])))
        }
        let response = try await execute(request)
        let body = try await response.body.collect(upTo: 64 << 20)
        let status = Int(response.status.code)
        let value = JSONValue.parse(Array(buffer: body)) ?? .null
        guard (200..<300).contains(status) || allow.contains(status) else {
            let message = [value["error_code"]?.string, value["message"]?.string].compactMap { $0 }.joined(separator: ": ")
            throw MLflowError.http(
                method: method.rawValue, path: path, status: status, message: message.isEmpty ? String(buffer: body) : message)
        }
        return (status, value)
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func run(_ body: JSONValue, path: String) throws -> MLflowRun {
        guard let run = body["run"], let info = run["info"], let id = info["run_id"]?.string ?? info["run_uuid"]?.string else {
            throw MLflowError.malformedResponse(path: path, reason: "no run.info.run_id")
        }
        func pairs(_ key: String) -> [(String, JSONValue)] {
            guard case .array(let items)? = run["data"]?[key] else { return [] }
            return items.compactMap { item in item["key"]?.string.map { ($0, item["value"] ?? .null) } }
        }
        return MLflowRun(
            runID: id, experimentID: info["experiment_id"]?.string ?? "", status: info["status"]?.string ?? "",
            artifactURI: info["artifact_uri"]?.string ?? "",
            params: Dictionary(pairs("params").map { ($0.0, $0.1.string ?? "") }, uniquingKeysWith: { a, _ in a }),
            tags: Dictionary(pairs("tags").map { ($0.0, $0.1.string ?? "") }, uniquingKeysWith: { a, _ in a }),
            metrics: Dictionary(pairs("metrics").compactMap { k, v in v.number.map { (k, $0) } }, uniquingKeysWith: { a, _ in a }))
    }
}

extension MLflowError: AssayError {
    public var exitCode: Int32 { ExitStatus.unavailable }
}
