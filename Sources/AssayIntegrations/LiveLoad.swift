import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

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
    /// Connections to the service at most, per event loop. Few enough that each is reused often: a server closes
    /// a connection idle past its keep-alive (uvicorn: 5 s), and connecting again costs the generator more than a
    /// request. Requests beyond them wait for a connection, their latency still counted from the intended time.
    public var connectionsPerLoop = 16

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
    /// its keep-alive connection (HTTP/1.1 through NIO's codec, no client library in between), its answer and the
    /// bookkeeping. No task or thread hop per request, so the generator's own CPU stays small beside the service
    /// it measures.
    public func drive(rate: Double, seconds: Double, prefix: String) async throws -> [Request] {
        guard let target = URL(string: url), let host = target.host, target.scheme?.lowercased() == "http" else {
            throw LiveLoadError(message: "\(url) is not an http:// URL")
        }
        let port = target.port ?? 80
        let path = (target.path.isEmpty ? "/" : target.path) + (target.query.map { "?" + $0 } ?? "")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoops))
        let count = max(1, Int((rate * seconds).rounded()))
        let schedule = OpenLoopLoad.schedule(count: count, rate: rate, poisson: poisson, seed: seed)
        let loops = Array(group.makeIterator())
        let promises = loops.map { $0.makePromise(of: [Request].self) }
        let start = NIODeadline.now() + .milliseconds(20)
        let wallStart = Date().addingTimeInterval(0.02)
        let headers = HTTPHeaders([("Host", "\(host):\(port)"), ("Content-Type", "application/json"), ("Content-Length", String(body.count))])
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        let limit = max(1, maxInFlight / loops.count)
        let (body, connections) = (self.body, max(1, connectionsPerLoop))
        for (index, loop) in loops.enumerated() {
            let promise = promises[index]
            let indices = Array(stride(from: index, to: count, by: loops.count))
            loop.execute {
                let window = Window(
                    loop: loop, host: host, port: port, head: head, body: ByteBuffer(bytes: body), schedule: schedule, indices: indices,
                    start: start, wallStart: wallStart, prefix: prefix, limit: limit, connections: connections, promise: promise)
                window.send(0)
            }
        }
        do {
            let results = try await EventLoopFuture.whenAllSucceed(promises.map(\.futureResult), on: loops[0]).get().flatMap { $0 }
            try await group.shutdownGracefully()
            return results.sorted { $0.offsetSeconds < $1.offsetSeconds }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// One loop's share of a window (the requests at `indices` of the schedule) and its connections, confined to
    /// that event loop: every callback below runs on `loop`.
    final class Window {
        let loop: any EventLoop
        let host: String
        let port: Int
        let head: HTTPRequestHead
        let body: ByteBuffer
        let schedule: [Double]
        let indices: [Int]
        let start: NIODeadline
        let wallStart: Date
        let prefix: String
        let limit: Int
        let connections: Int
        let promise: EventLoopPromise<[Request]>
        var results: [Request] = []
        var inFlight = 0
        /// Open connections with no request on them, most recently used last.
        var idle: [Connection] = []
        var open = 0
        /// Requests waiting for a connection (all `connections` busy), oldest first from `waitingHead`.
        var waiting: [Int] = []
        var waitingHead = 0

        init(
            loop: any EventLoop, host: String, port: Int, head: HTTPRequestHead, body: ByteBuffer, schedule: [Double], indices: [Int],
            start: NIODeadline, wallStart: Date, prefix: String, limit: Int, connections: Int, promise: EventLoopPromise<[Request]>
        ) {
            self.loop = loop
            self.host = host
            self.port = port
            self.head = head
            self.body = body
            self.schedule = schedule
            self.indices = indices
            self.start = start
            self.wallStart = wallStart
            self.prefix = prefix
            self.limit = limit
            self.connections = connections
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

        /// Request `index` leaves now, unless `limit` requests are already waiting for answers (then it fails).
        func fire(_ index: Int) {
            guard inFlight < limit else { return finish(index, answer: nil) }
            inFlight += 1
            dispatch(index, retry: true)
        }

        /// Puts request `index` on an idle connection, a new one, or in the queue for the next free one.
        func dispatch(_ index: Int, retry: Bool) {
            if let connection = idle.popLast() {
                // Only a connection idle long enough for a server's keep-alive to end can have been closed under the
                // request; one the server drops right after using it failed the request, and that is a failure.
                return write(index, on: connection, retry: retry && NIODeadline.now() - connection.idleSince >= .seconds(1))
            }
            guard open < connections else { return waiting.append(index) }
            open += 1
            ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(readTimeout: .seconds(30)), ResponseReader()])
                    }
                }
                .connect(host: host, port: port).assumeIsolated().whenComplete { result in
                    guard case .success(let channel) = result, let reader = try? channel.pipeline.syncOperations.handler(type: ResponseReader.self)
                    else {
                        self.open -= 1
                        return self.complete(index, answer: nil)
                    }
                    let connection = Connection(channel: channel, reader: reader)
                    reader.closed = { self.closed(connection) }
                    self.write(index, on: connection, retry: false)
                }
        }

        /// Sends request `index` on `connection`. A reused connection the server closed while it was idle (its
        /// keep-alive ran out as the request left) fails before any byte of the answer: with `retry` the request is
        /// then sent once more, on a new connection.
        func write(_ index: Int, on connection: Connection, retry: Bool) {
            var head = self.head
            head.headers.add(name: "X-Request-Id", value: "\(prefix)-\(index)")
            connection.reader.answered = false
            connection.reader.pending = { answer in
                if let answer, answer.keepAlive {
                    var connection = connection
                    connection.idleSince = .now()
                    self.idle.append(connection)
                } else {
                    // Closed here or by the server: `closed` frees its place.
                    connection.channel.close(promise: nil)
                    if answer == nil, retry, !connection.reader.answered { return self.dispatch(index, retry: false) }
                }
                self.complete(index, answer: answer)
            }
            let channel = connection.channel
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }

        /// Request `index` has its answer (nil: none); a waiting request takes the freed place.
        func complete(_ index: Int, answer: ResponseReader.Answer?) {
            inFlight -= 1
            finish(index, answer: answer)
            pump()
        }

        /// A connection closed (by either side, idle or not): it leaves the pool and frees its place.
        func closed(_ connection: Connection) {
            open -= 1
            idle.removeAll { $0.channel === connection.channel }
            pump()
        }

        /// Waiting requests take idle connections and free places, oldest first.
        func pump() {
            while waitingHead < waiting.count, !idle.isEmpty || open < connections {
                let next = waiting[waitingHead]
                waitingHead += 1
                if waitingHead == waiting.count {
                    waiting.removeAll(keepingCapacity: true)
                    waitingHead = 0
                }
                dispatch(next, retry: true)
            }
        }

        func finish(_ index: Int, answer: ResponseReader.Answer?) {
            let offset = schedule[index]
            let waited = answer == nil ? 0 : Double((NIODeadline.now() - intended(index)).nanoseconds) / 1e6
            results.append(
                Request(
                    id: "\(prefix)-\(index)", offsetSeconds: offset, startedAt: wallStart.addingTimeInterval(offset), clientMilliseconds: waited,
                    serverStages: answer?.timing.map(LiveLoad.serverTiming) ?? [], status: answer?.status ?? 0))
            guard results.count == indices.count else { return }
            for connection in idle { connection.channel.close(promise: nil) }
            idle.removeAll()
            promise.succeed(results)
        }
    }

    /// A keep-alive connection, the handler that reads its answers, and since when it has had no request.
    struct Connection {
        let channel: any Channel
        let reader: ResponseReader
        var idleSince = NIODeadline.now()
    }

    /// Reads one answer at a time from its connection: the status and `Server-Timing` from the head, the body
    /// dropped; the connection closing, failing or idling past the read timeout answers nil.
    final class ResponseReader: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart

        struct Answer {
            var status: Int
            var timing: String?
            var keepAlive: Bool
        }

        /// Called once with the answer to the request on the connection now.
        var pending: ((Answer?) -> Void)?
        /// Called once when the connection closes, after `pending`.
        var closed: (() -> Void)?
        /// Whether a byte of the current answer has arrived.
        var answered = false
        var head: Answer?

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let response):
                answered = true
                let timing = response.headers["Server-Timing"]
                head = Answer(
                    status: Int(response.status.code), timing: timing.isEmpty ? nil : timing.joined(separator: ","), keepAlive: response.isKeepAlive)
            case .body:
                break
            case .end:
                let answer = head
                head = nil
                resolve(answer)
            }
        }

        func resolve(_ answer: Answer?) {
            let callback = pending
            pending = nil
            callback?(answer)
        }

        func channelInactive(context: ChannelHandlerContext) {
            resolve(nil)
            let callback = closed
            closed = nil
            callback?()
            context.fireChannelInactive()
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
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

/// A live window that cannot start: the URL is not one the generator can drive.
public struct LiveLoadError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension LiveLoad {
    /// The status of a GET, within 5 s.
    public static func status(_ url: String) async throws -> Int {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        _ = try? await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
