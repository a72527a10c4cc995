import AssayBaseline
import AssayCore
import AssayIntegrations
import AssayProfiling
import AssayReport
import AssayStore
import AssayTelemetry
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import UnixSignals

/// `assay serve`: the dashboard, the REST API under /api/v1 and authenticated ingest, over one store.
public struct AssayServer: Sendable {
    public let settings: ServerSettings
    let store: any AuditStore
    let cache: RunCache
    let writes: WriteGuard
    let series = SeriesCache()
    let flamegraphs = TextCache(capacity: 16, maxBytes: 32 << 20)

    public init(settings: ServerSettings, store: any AuditStore) {
        self.settings = settings
        self.store = store
        cache = RunCache(
            store: store, builder: ReportBuilder(service: settings.service, thresholds: settings.thresholds), maxBytes: settings.runCacheBytes)
        writes = WriteGuard(store: store, readOnly: settings.readOnly, writesPerMinute: settings.writesPerMinute)
    }

    /// Serves until SIGTERM or SIGINT.
    public func run(logger: Logger = Logger(label: "assay.serve")) async throws {
        let connections = settings.connectionLimit()
        logger.info("connections: at most \(connections) open, each closed after \(settings.idleTimeoutSeconds) s idle or waiting for its headers")
        let app = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds)))),
            configuration: .init(
                address: .hostname(settings.host, port: settings.port), serverName: "assay",
                availableConnectionsDelegate: MaximumAvailableConnections(connections, logger: logger)),
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Every route; the tests drive it in process.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: ResponseGuard(allowedHosts: ResponseGuard.allowedHosts(bound: settings.host, extra: settings.allowedHosts)))
        router.get("healthz") { _, _ in "ok\n" }
        router.get("/") { _, _ in try await self.dashboard(runID: "latest") }
        router.get("runs") { _, _ in try await self.runsPage() }
        router.get("runs/{id}") { _, context in try await self.dashboard(runID: try context.parameters.decoded("id")) }
        router.get("runs/{id}/flamegraph") { request, context in
            try await self.flamegraph(
                runID: try context.parameters.decoded("id"), index: try QueryOptions.integer(request, "trace", default: 0, range: 0...10_000))
        }
        router.get("fleet") { _, _ in try await self.fleetPage() }
        router.get("reproducibility") { _, _ in try await self.reproPage() }
        router.get("assets/dashboard.js") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardPage.script)))
        }

        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: try OpenAPI.document())))
        }
        api.get("runs") { request, _ in
            let limit = try QueryOptions.integer(request, "limit", default: 50, range: 1...1000)
            return try Self.json(API.RunList(runs: try await self.store.runs(limit: limit)))
        }
        api.get("runs/{id}") { _, context in
            let entry = try await self.entry(try context.parameters.decoded("id"))
            return Self.json(data: try JSONCoding.encoder().encode(entry.run))
        }
        api.get("runs/{id}/findings") { _, context in
            let entry = try await self.entry(try context.parameters.decoded("id"))
            return try Self.json(
                entry.run.findings.map {
                    API.FindingRow(
                        layer: $0.layer.rawValue, table: $0.table.rawValue, check: $0.check, status: $0.status.rawValue,
                        observed: $0.observed, expected: $0.expected, severity: $0.severity.rawValue, evidence: $0.evidence)
                })
        }
        api.get("runs/{id}/report.{format}") { _, context in
            try await self.download(runID: try context.parameters.decoded("id"), format: try context.parameters.decoded("format"))
        }
        api.get("metrics") { _, _ in try Self.json(API.MetricNames(metrics: try await self.store.metricNames())) }
        api.get("metrics/{name}") { request, context in
            let name = try context.parameters.decoded("name")
            let days = try QueryOptions.window(request, "days", default: 30, windows: QueryOptions.dayWindows)
            let points = try await self.store.points(metric: name, since: Date().addingTimeInterval(-days * 86_400))
            guard !points.isEmpty else {
                throw APIError(.notFound, "no points of metric \(QueryOptions.clip(name)) in the last \(String(format: "%g", days)) days")
            }
            let baseline = self.settings.thresholds.baseline
            let data = try await self.series.data(for: "\(name)|\(days)", points: points) {
                try JSONCoding.encoder().encode(API.MetricSeries(metric: name, points: points, windowDays: baseline.windowDays, thresholds: baseline))
            }
            return Self.json(data: data)
        }
        api.get("resources") { request, _ in
            let hours = try QueryOptions.window(request, "hours", default: 24, windows: QueryOptions.hourWindows)
            let resolution = try QueryOptions.choice(request, "resolution", default: hours > 6 ? "1m" : "raw", allowed: ["raw", "1m"])
            let samples = try await self.store.resourceSamples(resolution: resolution, since: Date().addingTimeInterval(-hours * 3600))
            var buffer = ByteBuffer(string: "{\"resolution\":\"\(resolution)\",\"samples\":[")
            for (index, sample) in samples.enumerated() {
                if index > 0 { buffer.writeString(",") }
                buffer.writeBytes(sample.payload)
            }
            buffer.writeString("]}")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
        }
        api.get("manifests/{digest}") { _, context in
            let digest = try context.parameters.decoded("digest")
            guard let state = try await self.store.environmentState(digest: digest) else {
                throw HTTPError(.notFound, message: "no environment state \(digest)")
            }
            return try Self.json(state)
        }
        api.get("reproducibility") { request, _ in
            let limit = try QueryOptions.integer(request, "limit", default: 50, range: 1...500)
            return try Self.json(try await self.reproEntries(limit: limit))
        }
        api.get("hosts") { _, _ in try Self.json(await self.hosts()) }
        api.post("runs") { request, context in try await self.ingestRun(request, context: context) }
        api.post("metrics") { request, context in try await self.ingestMetrics(request, context: context) }
        return router
    }

    // MARK: Reads

    func entry(_ id: String) async throws -> RunCache.Entry {
        guard IngestValidation.validIDCharacters(id), let entry = try await cache.entry(id) else {
            throw APIError(.notFound, id == "latest" ? "the store holds no audit yet" : "no stored audit with id \(QueryOptions.clip(id))")
        }
        return entry
    }

    func download(runID: String, format: String) async throws -> Response {
        let formats: [String: (ReportFormat, String)] = [
            "md": (.markdown, "text/markdown; charset=utf-8"), "json": (.json, "application/json"), "html": (.html, "text/html; charset=utf-8"),
        ]
        guard let (reportFormat, type) = formats[format] else { throw HTTPError(.notFound, message: "reports come as .md, .json or .html") }
        let entry = try await entry(runID)
        let text = try await cache.rendering(entry.run.id, reportFormat, windowDays: settings.thresholds.baseline.windowDays) ?? ""
        return Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"report-\(entry.run.id).\(format)\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func reproEntries(limit: Int) async throws -> [API.ReproEntry] {
        try await store.reproEntries(limit: limit).map {
            API.ReproEntry(id: $0.id, recordedAt: $0.recordedAt, seed: $0.seed, reproducible: $0.reproducible, entry: JSONValue.parse($0.payload))
        }
    }

    /// Hosts from the store's audits and, when configured, from Prometheus's `up`.
    func hosts() async -> API.HostList {
        var byHost: [String: API.Host] = [:]
        var failure: String?
        do {
            for summary in try await store.runs(limit: 1000) {
                let name = summary.host ?? "unknown"
                if var known = byHost[name] {
                    known.runs += 1
                    byHost[name] = known
                } else {
                    byHost[name] = API.Host(
                        host: name, sources: ["store"], lastRunID: summary.id, lastRunAt: summary.startedAt, verdict: summary.verdict, runs: 1,
                        targets: [], status: summary.verdict.rawValue)
                }
            }
        } catch {
            failure = "store: \(error)"
        }
        if let url = settings.prometheusURL {
            var client = PrometheusClient(baseURL: url)
            client.timeout = .seconds(5)
            do {
                let now = Date()
                for series in try await client.queryRange("up", start: now.addingTimeInterval(-120), end: now, stepSeconds: 15) {
                    guard let instance = series.labels["instance"] else { continue }
                    let name = String(instance.split(separator: ":").first ?? Substring(instance))
                    let up = (series.points.last?.value ?? 0) >= 1
                    var host = byHost[name] ?? API.Host(host: name, sources: [], runs: 0, targets: [], status: "")
                    if !host.sources.contains("prometheus") { host.sources.append("prometheus") }
                    host.targets.append(.init(instance: instance, job: series.labels["job"], up: up))
                    byHost[name] = host
                }
            } catch {
                failure = "\(error)"
            }
        }
        let hosts = byHost.values.map { host -> API.Host in
            var host = host
            let down = host.targets.contains { !$0.up }
            host.status = down ? "DOWN" : (host.verdict?.rawValue ?? "UP")
            return host
        }.sorted { $0.host < $1.host }
        return API.HostList(hosts: hosts, prometheusError: failure)
    }

    /// The interactive flamegraph of a trace the run cites, read only from under the workspace and only when its
    /// bytes still match the digest the run recorded.
    func flamegraph(runID: String, index: Int) async throws -> Response {
        let entry = try await entry(runID)
        let traces = Self.traceEvidence(entry.run)
        guard traces.indices.contains(index) else {
            throw HTTPError(.notFound, message: "audit \(entry.run.id) cites \(traces.count) trace file(s); no trace \(index)")
        }
        let evidence = traces[index]
        guard let path = WorkspaceFiles.resolve(evidence.path, under: settings.workspaceRoot) else {
            throw HTTPError(.forbidden, message: "\(evidence.path) is not under the served workspace")
        }
        let key = evidence.sha256 + " " + entry.run.id
        let svg: String
        if let cached = await flamegraphs.value(key) {
            svg = cached
        } else {
            var bytes = try WorkspaceFiles.read(path, limit: 512 << 20)
            guard FileDigest.sha256(of: Data(bytes)) == evidence.sha256 else {
                throw HTTPError(.conflict, message: "\(evidence.path) no longer matches the sha256 the audit recorded")
            }
            do {
                if Gzip.isCompressed(bytes) { bytes = try Gzip.decompress(bytes, limit: max(256 << 20, bytes.count * ChromeTraceParser.maxInflationRatio)) }
                let lanes = TraceLane.lanes(of: try ChromeTraceParser.parse(bytes: bytes, path: evidence.path))
                svg = FlamegraphSVG.render(FoldedStacks(lanes: lanes), options: .init(title: "Flamegraph of \(evidence.path) (audit \(entry.run.id))"))
            } catch {
                throw HTTPError(.unprocessableContent, message: "\(evidence.path): \(error)")
            }
            await flamegraphs.store(key, svg)
        }
        // The SVG carries its own zoom and search script.
        return Response(
            status: .ok,
            headers: [.contentType: "image/svg+xml", .contentSecurityPolicy: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"],
            body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    static func traceEvidence(_ run: AuditRun) -> [Evidence] {
        var seen = Set<String>()
        return run.result(for: .latency)?.findings.flatMap(\.evidence).filter {
            ($0.path.hasSuffix(".json") || $0.path.hasSuffix(".json.gz")) && $0.path.contains("trace") && seen.insert($0.path).inserted
        } ?? []
    }

    // MARK: Writes

    func admit(_ request: Request) async throws -> String {
        do {
            return try await writes.admit(authorization: request.headers[.authorization])
        } catch let refusal as WriteRefusal {
            switch refusal {
            case .readOnly: throw HTTPError(.forbidden, message: "this server is read-only")
            case .missingToken:
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"assay\""], message: "writes need Authorization: Bearer <token>")
            case .unknownToken:
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"assay\", error=\"invalid_token\""], message: "unknown or revoked token")
            case .rateLimited(let seconds):
                throw HTTPError(.tooManyRequests, headers: [.retryAfter: String(seconds)], message: "rate limit reached; retry in \(seconds) s")
            }
        }
    }

    func ingestRun(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let token = try await admit(request)
        let pushed: PushedRunBody
        do {
            pushed = try PushedRunBody(bytes: try await bodyBytes(request))
        } catch let error as PushedRunBody.Malformed {
            throw APIError(.badRequest, "body: expected an audit run as JSON (\(error))")
        } catch let error as DecodingError {
            throw APIError(.badRequest, "body: expected an audit run as JSON (\(Self.describe(error)))")
        }
        let run = pushed.skeleton
        // Every field is checked, and the metric history a local audit records gathered (so baselines, trends and
        // change points work on pushed runs), before anything is written.
        let history = try pushed.checkedHistory()
        // The insert itself decides who wins a race for one id: every loser gets 409, never a 500.
        do {
            if let whole = pushed.whole {
                try await store.save(whole, environment: history.environment, points: history.points)
            } else {
                try await store.save(run, findings: pushed, environment: history.environment, points: history.points)
            }
        } catch StoreError.duplicate {
            throw APIError(.conflict, "audit \(run.id) is already stored", field: "id")
        }
        await cache.invalidateLatest()
        context.logger.info("stored audit \(run.id) (\(run.judgement.verdict.rawValue)) pushed with token \(token)")
        var response = try Self.json(API.Created(id: run.id, url: "/runs/\(run.id)"), status: .created)
        response.headers[.location] = "/api/v1/runs/\(run.id)"
        return response
    }

    /// The body as bytes, read part by part into one array (never the whole body twice), at most the body limit.
    func bodyBytes(_ request: Request) async throws -> [UInt8] {
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if let declared, declared > settings.maxBodyBytes {
            throw APIError(.contentTooLarge, "body of \(declared) bytes is over the \(settings.maxBodyBytes)-byte limit")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(declared ?? 65_536, settings.maxBodyBytes))
        for try await part in request.body {
            guard bytes.count + part.readableBytes <= settings.maxBodyBytes else {
                throw APIError(.contentTooLarge, "body is over the \(settings.maxBodyBytes)-byte limit")
            }
            bytes.append(contentsOf: part.readableBytesView)
        }
        return bytes
    }

    func ingestMetrics(_ request: Request, context: BasicRequestContext) async throws -> Response {
        _ = try await admit(request)
        let bytes = try await bodyBytes(request)
        let ingest: API.MetricIngest
        do {
            ingest = try JSONCoding.decoder().decode(API.MetricIngest.self, from: Data(bytes))
        } catch {
            throw HTTPError(.badRequest, message: "body: expected {\"points\": [{metric, value, recorded_at, run_id}]} (\(Self.describe(error)))")
        }
        guard ingest.points.count <= 10_000 else { throw APIError(.contentTooLarge, "points: expected at most 10000 in one request", field: "points") }
        for (index, point) in ingest.points.enumerated() {
            guard !point.metric.isEmpty else { throw APIError(.unprocessableContent, "points[\(index)].metric: expected a name", field: "points[\(index)].metric") }
            try IngestValidation.check(point.point, field: "points[\(index)]")
        }
        try await store.saveMetrics(ingest.points.map(\.point))
        return try Self.json(API.Accepted(accepted: ingest.points.count), status: .created)
    }

    // MARK: Helpers

    /// A decoding error as "at layers[0].findings: expected …".
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context): return "at \(path(context.codingPath + [key])): missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            return "at \(path(context.codingPath).isEmpty ? "top level" : path(context.codingPath)): \(underlying ?? context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        json(data: try JSONCoding.encoder().encode(value), status: status)
    }

    static func json(data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
