import AssayCore
import AssayEnvironment
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Resolves `host[:port]/repository[:tag|@digest]` over the OCI distribution API and checks every byte:
/// the manifest body must hash to the digest the registry reports (and to the pinned one), and every blob
/// must hash to its name. Loopback registries are spoken to over HTTP, others over HTTPS.
public struct RegistryClient: Sendable {
    public var timeoutSeconds: Double
    /// Largest blob hashed.
    public var maxBlobBytes: Int

    /// Every manifest type a registry may answer with; without the OCI types `HEAD` and `GET` can 404.
    public static let accept = [
        "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws", "application/vnd.docker.distribution.manifest.v1+json",
    ].joined(separator: ", ")

    public init(timeoutSeconds: Double = 60, maxBlobBytes: Int = 20 << 30) {
        self.timeoutSeconds = timeoutSeconds
        self.maxBlobBytes = maxBlobBytes
    }

    public struct Reference: Sendable, Hashable {
        public var host: String
        public var repository: String
        public var tag: String?
        public var digest: String?

        /// `127.0.0.1:5000/team/model:1.2` or `…@sha256:…`.
        public init?(_ text: String) {
            guard let slash = text.firstIndex(of: "/") else { return nil }
            host = String(text[..<slash])
            var rest = String(text[text.index(after: slash)...])
            if let at = rest.firstIndex(of: "@") {
                digest = String(rest[rest.index(after: at)...])
                rest = String(rest[..<at])
            }
            if let colon = rest.lastIndex(of: ":") {
                tag = String(rest[rest.index(after: colon)...])
                rest = String(rest[..<colon])
            }
            repository = rest
            if tag == nil, digest == nil { tag = "latest" }
            guard !host.isEmpty, !repository.isEmpty else { return nil }
        }

        var baseURL: String {
            let loopback = host.hasPrefix("127.") || host.hasPrefix("localhost") || host.hasPrefix("[::1]")
            return (loopback ? "http://" : "https://") + host + "/v2/" + repository
        }
    }

    public func verify(_ text: String) async throws -> ImageVerification {
        guard let reference = Reference(text) else {
            throw ImageError(reference: text, problem: "expected host[:port]/repository[:tag|@sha256:digest]")
        }
        var result = ImageVerification(source: .registry, reference: text)
        let (body, headers) = try await fetch(reference, path: "/manifests/" + (reference.digest ?? reference.tag ?? "latest"), accept: Self.accept, text: text)
        let actual = "sha256:" + FileDigest.sha256(of: body)
        let reported = headers.first(name: "Docker-Content-Digest")
        var problem: String?
        if let reported, reported != actual { problem = "registry reports \(reported) but the body hashes to \(actual)" }
        if let pinned = reference.digest, pinned != actual { problem = "pinned \(pinned) but the body hashes to \(actual)" }
        result.manifestDigest = actual
        result.blobs.append(.init(role: "manifest", digest: actual, sizeBytes: body.count, valid: problem == nil, problem: problem))
        guard problem == nil, var document = JSONValue.parse(body) else { return result }
        if case .array(let manifests)? = document["manifests"], let first = manifests.first, let digest = first["digest"]?.string {
            // An index: check the first platform manifest and follow it.
            let (nested, _) = try await fetch(reference, path: "/manifests/" + digest, accept: Self.accept, text: text)
            let nestedActual = "sha256:" + FileDigest.sha256(of: nested)
            result.blobs.append(
                .init(role: "platform manifest", digest: digest, sizeBytes: nested.count, valid: nestedActual == digest,
                      problem: nestedActual == digest ? nil : "content hashes to \(nestedActual)"))
            guard nestedActual == digest, let parsed = JSONValue.parse(nested) else { return result }
            document = parsed
        }
        if let config = document["config"]?["digest"]?.string {
            result.configDigest = config
            let blob = try await checkBlob(reference, digest: config, role: "config", text: text)
            result.blobs.append(blob.0)
            if let bytes = blob.1, let parsed = JSONValue.parse(bytes), case .array(let ids)? = parsed["rootfs"]?["diff_ids"] {
                result.diffIDs = ids.compactMap(\.string)
            }
        }
        if case .array(let layers)? = document["layers"] {
            for (offset, layer) in layers.enumerated() {
                guard let digest = layer["digest"]?.string else { continue }
                result.blobs.append(try await checkBlob(reference, digest: digest, role: "layer \(offset)", text: text).0)
            }
        }
        return result
    }

    func fetch(_ reference: Reference, path: String, accept: String, text: String) async throws -> ([UInt8], HTTPHeaders) {
        var request = HTTPClientRequest(url: reference.baseURL + path)
        request.headers.add(name: "Accept", value: accept)
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.assay.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        } catch {
            throw ImageError(reference: text, problem: "cannot reach the registry: \(error)")
        }
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else {
            throw ImageError(reference: text, problem: "GET \(path): HTTP \(response.status.code)")
        }
        return (Array(buffer: body), response.headers)
    }

    /// Hashes a blob while streaming; returns its bytes too when it is the (small) config.
    func checkBlob(_ reference: Reference, digest: String, role: String, text: String) async throws -> (ImageVerification.Blob, [UInt8]?) {
        var request = HTTPClientRequest(url: reference.baseURL + "/blobs/" + digest)
        request.headers.add(name: "Accept", value: "*/*")
        let response = try await HTTPClient.assay.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        guard response.status == .ok else {
            return (.init(role: role, digest: digest, sizeBytes: nil, valid: false, problem: "HTTP \(response.status.code)"), nil)
        }
        var hasher = StreamingSHA256()
        var total = 0
        var kept: [UInt8] = []
        for try await chunk in response.body {
            total += chunk.readableBytes
            if total > maxBlobBytes { throw ImageError(reference: text, problem: "blob \(digest) exceeds \(maxBlobBytes) bytes") }
            chunk.withUnsafeReadableBytes { hasher.update($0) }
            if role == "config", total <= 4 << 20 { kept += Array(buffer: chunk) }
        }
        let actual = "sha256:" + hasher.finalize()
        let valid = actual == digest
        return (.init(role: role, digest: digest, sizeBytes: total, valid: valid, problem: valid ? nil : "content hashes to \(actual)"), role == "config" ? kept : nil)
    }
}
