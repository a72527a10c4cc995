import AssayCapacity
import AssayCore
import Foundation

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

    /// Load steps at each rate in turn.
    public func measure(rates: [Double], stepSeconds: Double, cores: Int, objectiveP95Ms: Double) async throws -> CapacityMeasurement {
        var steps: [LoadStep] = []
        for rate in rates { steps.append(try await step(rate: rate, seconds: stepSeconds)) }
        return CapacityMeasurement(url: url, measuredAt: Date(), cores: cores, stepSeconds: stepSeconds, objectiveP95Ms: objectiveP95Ms, steps: steps)
    }

    /// One step, driven by the live audit's generator (one event loop per core here, latency from the intended send
    /// time), with the service's CPU read from /proc before and after.
    public func step(rate: Double, seconds: Double) async throws -> LoadStep {
        var load = LiveLoad(url: url, body: body, seed: seed)
        load.poisson = poisson
        load.maxInFlight = maxInFlight
        load.eventLoops = ProcessInfo.processInfo.activeProcessorCount
        load.connectionsPerLoop = 128
        let cpuBefore = processID.flatMap(Self.cpuSeconds)
        let wallBefore = Date()
        let requests = try await load.drive(rate: rate, seconds: seconds, prefix: "step")
        let elapsed = Date().timeIntervalSince(wallBefore)
        let cpuAfter = processID.flatMap(Self.cpuSeconds)
        let successes = requests.filter(\.ok)
        let latencies = successes.map(\.clientMilliseconds).sorted()
        // The answers arrived over this span: from the window's start to the last answer.
        let span = successes.map { $0.offsetSeconds + $0.clientMilliseconds / 1000 }.max() ?? 0
        func quantile(_ p: Double) -> Double { Quantile.type7(sorted: latencies, p) ?? 0 }
        var cpu: Double?
        if let before = cpuBefore, let after = cpuAfter, elapsed > 0 { cpu = (after - before) / elapsed * 100 }
        return LoadStep(
            targetRate: rate, achievedRate: span > 0 ? Double(successes.count) / span : 0, sent: requests.count,
            completed: successes.count, errors: requests.count - successes.count,
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
