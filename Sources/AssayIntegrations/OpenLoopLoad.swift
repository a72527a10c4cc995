import AssayCapacity
import AssayCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// An open-loop HTTP load generator: requests leave on a fixed schedule whatever the server does, and each
/// latency is measured from the request's intended send time, so a slow server's queue shows in the numbers
/// (no coordinated omission). The service process's CPU is sampled from /proc around each step.
public struct OpenLoopLoad: Sendable {
    public var url: String
    public var body: [UInt8]
    public var processID: Int32?
    /// Requests in flight above this count as errors instead of piling up without bound.
    public var maxInFlight = 4096
    /// Poisson arrivals (exponential gaps, seeded), as the queueing models assume and real traffic is close
    /// to; false: evenly spaced.
    public var poisson = true
    public var seed: UInt64 = 1

    public init(url: String, body: [UInt8], processID: Int32?) {
        self.url = url
        self.body = body
        self.processID = processID
    }

    /// Load steps at each rate in turn, with the client closed afterwards.
    public func measure(rates: [Double], stepSeconds: Double, cores: Int, objectiveP95Ms: Double) async throws -> CapacityMeasurement {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            var steps: [LoadStep] = []
            for rate in rates { steps.append(try await step(client, rate: rate, seconds: stepSeconds)) }
            try await client.shutdown()
            return CapacityMeasurement(
                url: url, measuredAt: Date(), cores: cores, stepSeconds: stepSeconds, objectiveP95Ms: objectiveP95Ms, steps: steps)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func step(_ client: HTTPClient, rate: Double, seconds: Double) async throws -> LoadStep {
        let count = max(1, Int(rate * seconds))
        let clock = ContinuousClock()
        let start = clock.now.advanced(by: .milliseconds(20))
        let cpuBefore = processID.flatMap(Self.cpuSeconds)
        let wallBefore = Date()
        let body = self.body
        let url = self.url
        let limit = maxInFlight
        let inFlight = InFlight()
        let schedule = Self.schedule(count: count, rate: rate, poisson: poisson, seed: seed)
        let results = await withTaskGroup(of: Outcome.self) { group in
            var results: [Outcome] = []
            results.reserveCapacity(count)
            for index in 0..<count {
                let intended = start.advanced(by: .nanoseconds(Int64(schedule[index] * 1e9)))
                try? await Task.sleep(until: intended, clock: clock)
                if inFlight.count.load(ordering: .relaxed) >= limit {
                    results.append(Outcome(milliseconds: 0, ok: false, finished: clock.now))
                    continue
                }
                inFlight.count.add(1, ordering: .relaxed)
                group.addTask {
                    defer { inFlight.count.subtract(1, ordering: .relaxed) }
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: body))
                    var ok = false
                    if let response = try? await client.execute(request, timeout: .seconds(30)) {
                        ok = (200..<300).contains(response.status.code)
                        _ = try? await response.body.collect(upTo: 1 << 20)
                    }
                    let finished = clock.now
                    let latency = finished - intended
                    return Outcome(
                        milliseconds: Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15, ok: ok,
                        finished: finished)
                }
            }
            for await result in group { results.append(result) }
            return results
        }
        let elapsed = Date().timeIntervalSince(wallBefore)
        let cpuAfter = processID.flatMap(Self.cpuSeconds)
        let successes = results.filter(\.ok)
        let latencies = successes.map(\.milliseconds).sorted()
        let lastFinish = successes.map(\.finished).max() ?? start
        let span = lastFinish - start
        let spanSeconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
        func quantile(_ p: Double) -> Double { Quantile.type7(sorted: latencies, p) ?? 0 }
        var cpu: Double?
        if let before = cpuBefore, let after = cpuAfter, elapsed > 0 { cpu = (after - before) / elapsed * 100 }
        return LoadStep(
            targetRate: rate, achievedRate: spanSeconds > 0 ? Double(successes.count) / spanSeconds : 0, sent: count,
            completed: successes.count, errors: count - successes.count,
            meanMs: latencies.isEmpty ? 0 : latencies.reduce(0, +) / Double(latencies.count), p50Ms: quantile(0.5),
            p95Ms: quantile(0.95), p99Ms: quantile(0.99), serviceCPUPercent: cpu)
    }

    /// Send times, seconds after the start: exponential gaps drawn from `seed` and the rate (Poisson arrivals),
    /// or evenly spaced.
    static func schedule(count: Int, rate: Double, poisson: Bool, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed ^ UInt64(rate.bitPattern))
        var offset = 0.0
        return (0..<count).map { index -> Double in
            guard poisson else { return Double(index) / rate }
            defer { offset += -log(1 - rng.nextUnit()) / rate }
            return offset
        }
    }

    final class InFlight: Sendable {
        let count = Atomic<Int>(0)
    }

    struct Outcome: Sendable {
        var milliseconds: Double
        var ok: Bool
        var finished: ContinuousClock.Instant
    }

    /// utime + stime of a process, seconds, from /proc/<pid>/stat.
    public static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
