import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
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
    /// Poisson arrivals (exponential gaps, seeded), as the queueing models assume and real traffic is close to;
    /// false: evenly spaced.
    public var poisson = true
    /// Event loops (threads) the requests are dealt over, each loop sending every n-th one: 1 keeps the generator's
    /// own CPU smallest; capacity steps at hundreds of requests a second use one per core.
    public var eventLoops = 1

    public init(url: String, body: [UInt8], seed: UInt64) {
        self.url = url
        self.body = body
        self.seed = seed
    }

    /// Parses `Server-Timing: preprocess;dur=0.41, inference;desc="x";dur=5.2` into (name, ms) pairs; entries
    /// without a duration are left out. Reads the header's bytes once: it runs for every answer of the window.
    public static func serverTiming(_ header: String) -> [(name: String, milliseconds: Double)] {
        var header = header
        return header.withUTF8 { bytes in
            var entries: [(name: String, milliseconds: Double)] = []
            for entry in bytes.split(separator: UInt8(ascii: ",")) {
                let parts = entry.split(separator: UInt8(ascii: ";")).map(trimmed)
                guard let name = parts.first, !name.isEmpty else { continue }
                for parameter in parts.dropFirst() where parameter.count > 4 && hasDurationKey(parameter) {
                    var value = parameter.dropFirst(4)
                    if value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\""), value.count >= 2 { value = value.dropFirst().dropLast() }
                    if let number = Double(String(decoding: value, as: UTF8.self)), number.isFinite {
                        entries.append((String(decoding: name, as: UTF8.self), number))
                        break
                    }
                }
            }
            return entries
        }
    }

    static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return bytes
    }

    /// `dur=`, in any case.
    static func hasDurationKey(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let key = bytes.prefix(4).map { $0 | 0x20 }
        return key == Array("dur=".utf8)
    }

    /// Sends `rate` requests a second for `seconds`, each request's id `prefix-N`, and waits for every answer.
    ///
    /// Each request lives on one event loop of the generator's own: the timer that sends it at its intended time,
    /// its connection, its answer and the bookkeeping. No task or thread hop per request, so the generator's own CPU
    /// stays small beside the service it measures.
    public func drive(rate: Double, seconds: Double, prefix: String) async throws -> [Request] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoops))
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        let count = max(1, Int((rate * seconds).rounded()))
        let schedule = OpenLoopLoad.schedule(count: count, rate: rate, poisson: poisson, seed: seed)
        let loops = Array(group.makeIterator())
        let promises = loops.map { $0.makePromise(of: [Request].self) }
        let start = NIODeadline.now() + .milliseconds(20)
        let wallStart = Date().addingTimeInterval(0.02)
        do {
            let template = try HTTPClient.Request(
                url: url, method: .POST, headers: ["Content-Type": "application/json"], body: .byteBuffer(ByteBuffer(bytes: body)))
            let limit = max(1, maxInFlight / loops.count)
            for (index, loop) in loops.enumerated() {
                let promise = promises[index]
                let indices = Array(stride(from: index, to: count, by: loops.count))
                loop.execute {
                    let window = Window(
                        client: client, loop: loop, template: template, schedule: schedule, indices: indices, start: start, wallStart: wallStart,
                        prefix: prefix, limit: limit, promise: promise)
                    window.send(0)
                }
            }
            let results = try await EventLoopFuture.whenAllSucceed(promises.map(\.futureResult), on: loops[0]).get().flatMap { $0 }
            try await client.shutdown()
            try await group.shutdownGracefully()
            return results.sorted { $0.offsetSeconds < $1.offsetSeconds }
        } catch {
            for promise in promises { promise.fail(error) }
            try? await client.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// One loop's share of a window (the requests at `indices` of the schedule), confined to that event loop:
    /// every callback below runs on `loop`.
    final class Window {
        let client: HTTPClient
        let loop: any EventLoop
        let template: HTTPClient.Request
        let schedule: [Double]
        let indices: [Int]
        let start: NIODeadline
        let wallStart: Date
        let prefix: String
        let limit: Int
        let promise: EventLoopPromise<[Request]>
        var results: [Request] = []
        var inFlight = 0

        init(
            client: HTTPClient, loop: any EventLoop, template: HTTPClient.Request, schedule: [Double], indices: [Int], start: NIODeadline,
            wallStart: Date, prefix: String, limit: Int, promise: EventLoopPromise<[Request]>
        ) {
            self.client = client
            self.loop = loop
            self.template = template
            self.schedule = schedule
            self.indices = indices
            self.start = start
            self.wallStart = wallStart
            self.prefix = prefix
            self.limit = limit
            self.promise = promise
            results.reserveCapacity(indices.count)
        }

        func intended(_ index: Int) -> NIODeadline { start + .nanoseconds(Int64(schedule[index] * 1e9)) }

        /// Waits for the intended time of the request at `position`, sends it, and goes on to the next.
        func send(_ position: Int) {
            guard position < indices.count else {
                if indices.isEmpty { promise.succeed([]) }
                return
            }
            loop.assumeIsolated().scheduleTask(deadline: intended(indices[position])) {
                self.fire(self.indices[position])
                self.send(position + 1)
            }
        }

        func fire(_ index: Int) {
            let id = "\(prefix)-\(index)"
            let offset = schedule[index]
            let startedAt = wallStart.addingTimeInterval(offset)
            guard inFlight < limit else {
                finish(Request(id: id, offsetSeconds: offset, startedAt: startedAt, clientMilliseconds: 0, serverStages: [], status: 0))
                return
            }
            inFlight += 1
            var request = template
            request.headers.add(name: "X-Request-Id", value: id)
            let intended = intended(index)
            client.execute(request: request, delegate: Answer(), eventLoop: .delegateAndChannel(on: loop), deadline: .now() + .seconds(30))
                .futureResult.hop(to: loop).assumeIsolated().whenComplete { result in
                    self.inFlight -= 1
                    let waited = NIODeadline.now() - intended
                    let answer = try? result.get()
                    self.finish(
                        Request(
                            id: id, offsetSeconds: offset, startedAt: startedAt, clientMilliseconds: Double(waited.nanoseconds) / 1e6,
                            serverStages: answer?.timing.map(LiveLoad.serverTiming) ?? [], status: answer?.status ?? 0))
                }
        }

        func finish(_ request: Request) {
            results.append(request)
            if results.count == indices.count { promise.succeed(results) }
        }
    }

    /// Keeps an answer's status and `Server-Timing` header; the body is read and dropped.
    final class Answer: HTTPClientResponseDelegate {
        typealias Response = (status: Int, timing: String?)
        let head = Mutex<Response>((0, nil))

        func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
            let timing = head.headers["Server-Timing"]
            self.head.withLock { $0 = (Int(head.status.code), timing.isEmpty ? nil : timing.joined(separator: ",")) }
            return task.eventLoop.makeSucceededVoidFuture()
        }

        func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
            task.eventLoop.makeSucceededVoidFuture()
        }

        func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response { head.withLock { $0 } }
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
