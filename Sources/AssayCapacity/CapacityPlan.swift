import AssayCore
import Foundation

/// One step of an open-loop load test: requests sent on a fixed schedule at `targetRate`, latency measured from
/// each request's intended send time (so a stalled server cannot hide its queue: no coordinated omission).
public struct LoadStep: Sendable, Hashable, Codable {
    public var targetRate: Double
    /// Completions per second over the step.
    public var achievedRate: Double
    public var sent: Int
    public var completed: Int
    public var errors: Int
    public var meanMs: Double
    public var p50Ms: Double
    public var p95Ms: Double
    public var p99Ms: Double
    /// CPU used by the service process, percent of one core (200 = two cores busy); nil when not sampled.
    public var serviceCPUPercent: Double?
    /// GPU memory in use at the end of the step (all GPUs), MiB; nil without nvidia-smi.
    public var gpuMemoryUsedMiB: Double?

    public init(
        targetRate: Double, achievedRate: Double, sent: Int, completed: Int, errors: Int, meanMs: Double, p50Ms: Double,
        p95Ms: Double, p99Ms: Double, serviceCPUPercent: Double?, gpuMemoryUsedMiB: Double? = nil
    ) {
        self.targetRate = targetRate
        self.achievedRate = achievedRate
        self.sent = sent
        self.completed = completed
        self.errors = errors
        self.meanMs = meanMs
        self.p50Ms = p50Ms
        self.p95Ms = p95Ms
        self.p99Ms = p99Ms
        self.serviceCPUPercent = serviceCPUPercent
        self.gpuMemoryUsedMiB = gpuMemoryUsedMiB
    }

    /// Mean requests in flight, by Little's law.
    public var concurrency: Double { achievedRate * meanMs / 1000 }
}

/// What `assay capacity measure` writes (`capacity.json`): the steps and the conditions they were measured in.
public struct CapacityMeasurement: Sendable, Hashable, Codable {
    public var url: String
    public var measuredAt: Date
    /// Cores the service could use (the servers of the queueing model).
    public var cores: Int
    public var stepSeconds: Double
    public var objectiveP95Ms: Double
    public var steps: [LoadStep]
    /// Total GPU memory (all GPUs), MiB; nil without nvidia-smi.
    public var gpuMemoryTotalMiB: Double?

    public init(
        url: String, measuredAt: Date, cores: Int, stepSeconds: Double, objectiveP95Ms: Double, steps: [LoadStep],
        gpuMemoryTotalMiB: Double? = nil
    ) {
        self.gpuMemoryTotalMiB = gpuMemoryTotalMiB
        self.url = url
        self.measuredAt = measuredAt
        self.cores = cores
        self.stepSeconds = stepSeconds
        self.objectiveP95Ms = objectiveP95Ms
        self.steps = steps
    }
}

/// A traffic scenario projected on the measured service.
public struct Projection: Sendable, Hashable {
    public enum Assessment: String, Sendable { case withinCapacity = "within capacity", nearLimits = "near limits", overCapacity = "over capacity" }

    public var increasePercent: Double
    public var rate: Double
    public var utilizationNow: Double
    public var utilizationThen: Double
    /// GPU memory at the projected concurrency, MiB, when GPU memory was measured.
    public var gpuMemoryMiB: Double?
    /// Projected mean and P95 latency, ms; nil past saturation.
    public var meanMs: Double?
    public var p95Ms: Double?
    public var assessment: Assessment
    /// Instances (of the measured size) needed to stay at or under the target utilization.
    public var instancesNeeded: Int
}

/// Capacity from measurements: the knee, the service demand by the utilization law, the peak rate at the
/// utilization limit, an Erlang C (M/M/c) model for latency under more load, and a USL fit when six or more
/// load levels exist. Assumptions are listed in `assumptions`.
public struct CapacityPlan: Sendable {
    public var measurement: CapacityMeasurement
    public var peakUtilizationPercent: Double
    /// Utilization a projection should stay under to count as within capacity.
    public var targetUtilizationPercent: Double

    public init(measurement: CapacityMeasurement, peakUtilizationPercent: Double = 95, targetUtilizationPercent: Double = 80) {
        self.measurement = measurement
        self.peakUtilizationPercent = peakUtilizationPercent
        self.targetUtilizationPercent = targetUtilizationPercent
    }

    /// Steps without errors that kept up with their schedule (achieved ≥ 95% of target).
    var sustainedSteps: [LoadStep] {
        measurement.steps.filter { $0.errors == 0 && $0.completed > 0 && $0.achievedRate >= 0.95 * $0.targetRate }
    }

    /// The highest sustained rate whose P95 meets the objective and whose CPU stays under the limit.
    public var knee: LoadStep? {
        sustainedSteps.filter { step in
            step.p95Ms <= measurement.objectiveP95Ms
                && (step.serviceCPUPercent.map { $0 / Double(measurement.cores) <= peakUtilizationPercent } ?? true)
        }.max { $0.achievedRate < $1.achievedRate }
    }

    /// The utilization law U = U₀ + X·S fitted by least squares over the sustained steps: S, the CPU-seconds
    /// each request adds, and U₀, the cores busy with no load (timers, the runtime).
    var demandFit: (perRequest: Double, idleCores: Double)? {
        let points = sustainedSteps.compactMap { step in step.serviceCPUPercent.map { (step.achievedRate, $0 / 100) } }
        guard let first = points.first else { return nil }
        guard points.count >= 2 else { return first.0 > 0 ? (first.1 / first.0, 0) : nil }
        guard let line = LeastSquares.line(points), line.slope > 0 else { return nil }
        return (line.slope, max(0, line.intercept))
    }

    /// CPU-seconds per request (the slope of the utilization law).
    public var serviceDemand: Double? { demandFit?.perRequest }

    /// The cores the service could actually get: the configured count, or fewer when a step saturated below
    /// them (the load generator or a neighbour held the rest).
    public var servers: Int {
        let saturated = measurement.steps.filter { $0.completed > 0 && $0.achievedRate < 0.95 * $0.targetRate }
        guard !saturated.isEmpty else { return measurement.cores }
        let busiest = measurement.steps.compactMap(\.serviceCPUPercent).max() ?? Double(measurement.cores) * 100
        return min(measurement.cores, max(1, Int((busiest / 100 / (peakUtilizationPercent / 100)).rounded(.up))))
    }

    /// The rate at which the service's CPU reaches `peakUtilizationPercent` of its cores.
    public var peakRate: Double? {
        demandFit.map { max(0, peakUtilizationPercent / 100 * Double(servers) - $0.idleCores) / $0.perRequest }
    }

    /// Latency without queueing: the fastest sustained step (network, parsing, fixed work).
    var lightLoad: LoadStep? { sustainedSteps.min { $0.meanMs < $1.meanMs } }

    public var queue: ErlangC? { serviceDemand.map { ErlangC(servers: servers, serviceTime: $0) } }

    /// USL over the measured levels (concurrency by Little's law); nil below six levels.
    public var scalability: UniversalScalabilityLaw? {
        UniversalScalabilityLaw.fit(sustainedSteps.map { ($0.concurrency, $0.achievedRate) })
    }

    /// The Allen–Cunneen factor (1 + Cs²)/2 that turns the M/M/c wait into an M/G/c one: fitted by least squares
    /// to the measured steps' mean latency growth over the fastest step, and bounded between deterministic service
    /// (0.5) and exponential service (1). With no step that queued measurably more, it stays 1 (exponential).
    public var waitScale: Double {
        guard let queue, let light = lightLoad, let waitLight = queue.meanWait(arrivalRate: light.achievedRate) else { return 1 }
        let points = sustainedSteps.compactMap { step -> (x: Double, y: Double)? in
            guard let wait = queue.meanWait(arrivalRate: step.achievedRate), wait > waitLight else { return nil }
            return ((wait - waitLight) * 1000, step.meanMs - light.meanMs)
        }
        let xx = points.reduce(0) { $0 + $1.x * $1.x }
        guard points.count >= 2, xx > 0 else { return 1 }
        return min(1, max(0.5, points.reduce(0) { $0 + $1.x * $1.y } / xx))
    }

    /// Mean and P95 latency (ms) at `rate`: the light-load latency plus the M/G/c waiting time (the M/M/c wait
    /// scaled by `waitScale`).
    public func projectedLatency(rate: Double) -> (mean: Double, p95: Double)? {
        guard let queue, let light = lightLoad, let wait = queue.meanWait(arrivalRate: rate),
            let waitLight = queue.meanWait(arrivalRate: light.achievedRate),
            let p95 = queue.responseQuantile(0.95, arrivalRate: rate), let p95Light = queue.responseQuantile(0.95, arrivalRate: light.achievedRate)
        else { return nil }
        let scale = waitScale
        return (light.meanMs + max(0, wait - waitLight) * 1000 * scale, light.p95Ms + max(0, p95 - p95Light) * 1000 * scale)
    }

    public func project(currentRate: Double, increasesPercent: [Double]) -> [Projection] {
        guard let fit = demandFit else { return [] }
        let cores = Double(servers)
        let now = (fit.idleCores + currentRate * fit.perRequest) / cores * 100
        return increasesPercent.map { increase in
            let rate = currentRate * (1 + increase / 100)
            let then = (fit.idleCores + rate * fit.perRequest) / cores * 100
            let latency = projectedLatency(rate: rate)
            let assessment: Projection.Assessment =
                then > peakUtilizationPercent || latency.map({ $0.p95 > measurement.objectiveP95Ms }) ?? true
                ? .overCapacity : (then > targetUtilizationPercent ? .nearLimits : .withinCapacity)
            let instances = max(1, Int((then / targetUtilizationPercent).rounded(.up)))
            // Requests in flight by Little's law, N = λR, and the GPU memory they hold.
            let memory = latency.flatMap { latency in gpuMemory.map { $0.memory(concurrency: rate * latency.mean / 1000) } }
            var memoryFull = false
            if let memory, let total = measurement.gpuMemoryTotalMiB { memoryFull = memory > 0.95 * total }
            return Projection(
                increasePercent: increase, rate: rate, utilizationNow: now, utilizationThen: then, gpuMemoryMiB: memory,
                meanMs: latency?.mean, p95Ms: latency?.p95, assessment: memoryFull ? .overCapacity : assessment,
                instancesNeeded: instances)
        }
    }

    /// GPU memory as a static part plus a part per request in flight (concurrency by Little's law), fitted on
    /// the steps that sampled it; nil below two such steps.
    public var gpuMemory: GPUMemoryModel? {
        GPUMemoryModel.fit(sustainedSteps.compactMap { step in step.gpuMemoryUsedMiB.map { (step.concurrency, $0) } })
    }

    public var assumptions: [String] {
        var list = [
            "Service demand S from the utilization law U = U₀ + X·S, least squares on the service process's CPU over \(sustainedSteps.count) sustained steps",
            "M/G/\(servers) queue (Erlang C with the Allen–Cunneen correction): Poisson arrivals, \(servers) of \(measurement.cores) cores as servers\(servers < measurement.cores ? " (a step saturated below \(measurement.cores) cores: the load generator or a neighbour held the rest)" : ""); latency = the fastest step's latency + the extra M/M/c wait × (1 + Cs²)/2 = \(Formatting.number(waitScale, digits: 2)), fitted to the steps' latency growth between deterministic (0.5) and exponential (1) service",
            "Open-loop load, latency from each request's intended send time (no coordinated omission); the load generator shared the machine",
            gpuMemory == nil
                ? "CPU is the bottleneck; memory, network and GPU are not modelled unless measured (no GPU memory was sampled)"
                : "CPU is the bottleneck; GPU memory = static + per request in flight (Little's law), linear in concurrency",
        ]
        if let usl = scalability {
            list.append(
                "USL fit over \(sustainedSteps.count) levels: σ = \(Formatting.number(usl.sigma, digits: 4)), κ = \(Formatting.number(usl.kappa, digits: 6))"
                    + (usl.peakConcurrency.map { ", peak at N ≈ \(Formatting.number($0, digits: 1)) in flight" } ?? ", no retrograde region"))
        } else {
            list.append("USL not fitted: \(sustainedSteps.count) sustained load levels, 6 needed")
        }
        return list
    }
}

/// GPU memory = static (weights, workspace, allocator cache) + per request in flight × concurrency.
public struct GPUMemoryModel: Sendable, Hashable {
    public var staticMiB: Double
    public var perRequestMiB: Double

    public init(staticMiB: Double, perRequestMiB: Double) {
        self.staticMiB = staticMiB
        self.perRequestMiB = perRequestMiB
    }

    public func memory(concurrency: Double) -> Double { staticMiB + perRequestMiB * concurrency }

    /// Least squares over (concurrency, used MiB); the per-request part is never negative.
    public static func fit(_ samples: [(concurrency: Double, usedMiB: Double)]) -> GPUMemoryModel? {
        guard samples.count >= 2 else { return nil }
        let points = samples.map { ($0.concurrency, $0.usedMiB) }
        let meanX = points.reduce(0) { $0 + $1.0 } / Double(points.count)
        let meanY = points.reduce(0) { $0 + $1.1 } / Double(points.count)
        let slope = max(0, LeastSquares.line(points)?.slope ?? 0)
        return GPUMemoryModel(staticMiB: meanY - slope * meanX, perRequestMiB: slope)
    }
}

/// Ordinary least squares y = intercept + slope·x.
enum LeastSquares {
    /// nil below two points or when every x is the same.
    static func line(_ points: [(Double, Double)]) -> (slope: Double, intercept: Double)? {
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.0 } / n
        let meanY = points.reduce(0) { $0 + $1.1 } / n
        let sxx = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        guard sxx > 0 else { return nil }
        let slope = points.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) } / sxx
        return (slope, meanY - slope * meanX)
    }
}

extension CapacityMeasurement {
    /// Metric names an audit records that a capacity plan can use.
    public static let historyMetrics = [
        "latency.total.throughput_rps", "latency.total.mean_ms", "latency.total.p95_ms", "latency.total.p99_ms",
        "resources.cpu_utilization.p95",
    ]

    /// A measurement from past audits instead of a load test: each run with throughput, latency and host CPU
    /// (P95, percent of all cores) becomes a step. Runs missing one of them are left out.
    public static func fromHistory(
        _ points: [MetricPoint], cores: Int, objectiveP95Ms: Double, source: String
    ) -> CapacityMeasurement {
        let byRun = Dictionary(grouping: points, by: \.runID)
        let steps = byRun.values.compactMap { run -> (Date, LoadStep)? in
            func value(_ metric: String) -> Double? { run.first { $0.metric == metric }?.value }
            guard let rate = value("latency.total.throughput_rps"), let mean = value("latency.total.mean_ms"),
                let p95 = value("latency.total.p95_ms"), let cpu = value("resources.cpu_utilization.p95")
            else { return nil }
            let at = run.map(\.recordedAt).min() ?? Date()
            return (
                at,
                LoadStep(
                    targetRate: rate, achievedRate: rate, sent: 0, completed: 1, errors: 0, meanMs: mean, p50Ms: mean, p95Ms: p95,
                    p99Ms: value("latency.total.p99_ms") ?? p95, serviceCPUPercent: cpu * Double(cores))
            )
        }.sorted { $0.0 < $1.0 }.map(\.1)
        return CapacityMeasurement(
            url: source, measuredAt: Date(), cores: cores, stepSeconds: 0, objectiveP95Ms: objectiveP95Ms, steps: steps)
    }
}
