import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Open-loop traffic against a live service that keeps every request: when it was meant to leave, how long the
/// client waited from then (so queueing shows, no coordinated omission), the stages the server reported in its W3C
/// `Server-Timing` header, and the status. Arrivals are Poisson with a seeded generator.
public struct LiveLoad: Sendable {
    public struct Request: Sendable, Hashable {
        public var id: String
        /// Intended send time, seconds after the window opened.
        public var offsetSeconds: Double
        public var startedAt: Date
        /// From the intended send time to the last byte of the answer.
        public var clientMilliseconds: Double
        /// `Server-Timing` entries by name, milliseconds, in the order the server gave them.
        public var serverStages: [(name: String, milliseconds: Double)]
        public var status: Int

        public var ok: Bool { (200..<300).contains(status) }

        public static func == (a: Request, b: Request) -> Bool { a.id == b.id }
        public func hash(into hasher: inout Hasher) { hasher.combine(id) }
    }

    public var url: String
    public var body: [UInt8]
    public var seed: UInt64
    /// Requests in flight above this count as errors (status 0) instead of piling up without bound.
    public var maxInFlight = 2048

    public init(url: String, body: [UInt8], seed: UInt64) {
        self.url = url
        self.body = body
        self.seed = seed
    }

    /// Parses `Server-Timing: preprocess;dur=0.41, inference;desc="x";dur=5.2` into (name, ms) pairs; entries
    /// without a duration are left out.
    public static func serverTiming(_ header: String) -> [(name: String, milliseconds: Double)] {
        header.split(separator: ",").compactMap { entry in
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { return nil }
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("dur=") {
                if let value = Double(parameter.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: "\""))), value.isFinite {
                    return (name, value)
                }
            }
            return nil
        }
    }

    /// Sends `rate` requests a second for `seconds`, each request's id `prefix-N`, and waits for every answer.
    public func drive(rate: Double, seconds: Double, prefix: String) async throws -> [Request] {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        let count = max(1, Int((rate * seconds).rounded()))
        let schedule = OpenLoopLoad.schedule(count: count, rate: rate, poisson: true, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now.advanced(by: .milliseconds(20))
        let wallStart = Date().addingTimeInterval(0.02)
        let inFlight = OpenLoopLoad.InFlight()
        let (url, body, limit) = (self.url, self.body, maxInFlight)
        return await withTaskGroup(of: Request.self) { group in
            var results: [Request] = []
            results.reserveCapacity(count)
            for index in 0..<count {
                let id = "\(prefix)-\(index)"
                let intended = start.advanced(by: .nanoseconds(Int64(schedule[index] * 1e9)))
                let startedAt = wallStart.addingTimeInterval(schedule[index])
                try? await Task.sleep(until: intended, clock: clock)
                if inFlight.count.load(ordering: .relaxed) >= limit {
                    results.append(Request(id: id, offsetSeconds: schedule[index], startedAt: startedAt, clientMilliseconds: 0, serverStages: [], status: 0))
                    continue
                }
                inFlight.count.add(1, ordering: .relaxed)
                let offset = schedule[index]
                group.addTask {
                    defer { inFlight.count.subtract(1, ordering: .relaxed) }
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "X-Request-Id", value: id)
                    request.body = .bytes(ByteBuffer(bytes: body))
                    var status = 0
                    var stages: [(name: String, milliseconds: Double)] = []
                    if let response = try? await client.execute(request, timeout: .seconds(30)) {
                        status = Int(response.status.code)
                        stages = response.headers["Server-Timing"].flatMap(Self.serverTiming)
                        _ = try? await response.body.collect(upTo: 1 << 20)
                    }
                    let latency = clock.now - intended
                    return Request(
                        id: id, offsetSeconds: offset, startedAt: startedAt,
                        clientMilliseconds: Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15,
                        serverStages: stages, status: status)
                }
            }
            for await result in group { results.append(result) }
            return results.sorted { $0.offsetSeconds < $1.offsetSeconds }
        }
    }

    /// The answered requests as a JSON-lines latency log: each server stage as `<stage>_ms`, `network_ms` (the
    /// client's total less the server's: the wire, the queue before the server read the request, the client) and
    /// `total_ms` (the client's). Failed requests are counted by the caller, not logged as latencies.
    public static func latencyLog(_ requests: [Request], stages: [String]) -> String {
        var text = ""
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for request in requests where request.ok {
            let reported = Dictionary(request.serverStages.map { ($0.name, $0.milliseconds) }, uniquingKeysWith: { first, _ in first })
            guard stages.allSatisfy({ reported[$0] != nil }) else { continue }
            let server = reported["total"] ?? stages.compactMap { reported[$0] }.reduce(0, +)
            var fields = ["\"request_id\":\"\(request.id)\"", "\"started_at\":\"\(style.format(request.startedAt))\""]
            for stage in stages { fields.append("\"\(stage)_ms\":\(format(reported[stage] ?? 0))") }
            fields.append("\"network_ms\":\(format(max(0, request.clientMilliseconds - server)))")
            fields.append("\"total_ms\":\(format(request.clientMilliseconds))")
            text += "{" + fields.joined(separator: ",") + "}\n"
        }
        return text
    }

    static func format(_ value: Double) -> String { String(format: "%.4f", value) }
}

extension LiveLoad {
    /// The status of a GET, within 5 s.
    public static func status(_ url: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        _ = try? await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// The body of a GET (a /metrics page), within 10 s.
    public static func fetch(_ url: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard (200..<300).contains(response.status.code) else { throw CocoaError(.fileReadUnknown) }
        return String(buffer: body)
    }
}
