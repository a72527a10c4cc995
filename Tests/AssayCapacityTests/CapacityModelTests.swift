import AssayCapacity
import AssayCore
import Foundation
import Testing

@Suite struct CapacityModelTests {
    /// Textbook values: M/M/2 at ρ = 0.5 waits 1/3 of a service time; M/M/1 reduces to ρS/(1 − ρ).
    @Test func erlangCKnownValues() throws {
        let mm2 = ErlangC(servers: 2, serviceTime: 1)
        #expect(abs((mm2.waitProbability(arrivalRate: 1) ?? 0) - 1.0 / 3) < 1e-12)
        #expect(abs((mm2.meanWait(arrivalRate: 1) ?? 0) - 1.0 / 3) < 1e-12)
        let mm1 = ErlangC(servers: 1, serviceTime: 0.01)
        #expect(abs((mm1.meanWait(arrivalRate: 80) ?? 0) - 0.8 * 0.01 / 0.2) < 1e-12)
        #expect(mm1.meanWait(arrivalRate: 100) == nil)  // saturated
    }

    /// The example: 4 replicas whose mean response is 35 ms at ρ = 0.80 take 134 ms at ρ = 0.96.
    @Test func fourReplicasFromEightyToNinetySixPercent() throws {
        let service = 0.020051094890510946
        let queue = ErlangC(servers: 4, serviceTime: service)
        let at80 = try #require(queue.meanResponse(arrivalRate: 0.80 * 4 / service))
        let at96 = try #require(queue.meanResponse(arrivalRate: 0.96 * 4 / service))
        #expect(abs(at80 * 1000 - 35) < 0.01)
        #expect(abs(at96 * 1000 - 134.4) < 0.1)
    }

    @Test func responseQuantileOfMM1IsExponential() throws {
        // M/M/1 waiting time: P(W > t) = ρ e^{−(μ−λ)t}; the 95th percentile of the wait is ln(ρ/0.05)/(μ−λ).
        let queue = ErlangC(servers: 1, serviceTime: 0.01)
        let p95 = try #require(queue.responseQuantile(0.95, arrivalRate: 50))
        #expect(abs(p95 - (0.01 + log(0.5 / 0.05) / 50)) < 1e-12)
        #expect(queue.responseQuantile(0.3, arrivalRate: 50) == 0.01)  // most requests do not wait at all
    }

    /// A USL curve is recovered from its own points.
    @Test func uslFitRecoversItsParameters() throws {
        let truth = UniversalScalabilityLaw(lambda: 100, sigma: 0.05, kappa: 0.002)
        let levels = (1...12).map { n in (Double(n), truth.throughput(concurrency: Double(n))) }
        let fitted = try #require(UniversalScalabilityLaw.fit(levels))
        #expect(abs(fitted.sigma - 0.05) < 1e-6 && abs(fitted.kappa - 0.002) < 1e-7 && abs(fitted.lambda - 100) < 1e-9)
        #expect(abs((fitted.peakConcurrency ?? 0) - (0.95 / 0.002).squareRoot()) < 1e-3)
        #expect(UniversalScalabilityLaw.fit(Array(levels.prefix(5))) == nil)
    }

    /// A synthetic service with S = 2 ms of CPU per request on 2 cores.
    static func measurement() -> CapacityMeasurement {
        let steps = [100.0, 200, 400, 600, 800, 900].map { rate -> LoadStep in
            let queue = ErlangC(servers: 2, serviceTime: 0.002)
            let mean = 1 + (queue.meanWait(arrivalRate: rate) ?? 1) * 1000
            return LoadStep(
                targetRate: rate, achievedRate: rate, sent: Int(rate * 5), completed: Int(rate * 5), errors: 0, meanMs: mean,
                p50Ms: mean * 0.8, p95Ms: 1 + (queue.responseQuantile(0.95, arrivalRate: rate) ?? 1) * 1000 - 2, p99Ms: mean * 3,
                serviceCPUPercent: rate * 0.002 * 100)
        }
        return CapacityMeasurement(url: "http://127.0.0.1/", measuredAt: Date(), cores: 2, stepSeconds: 5, objectiveP95Ms: 10, steps: steps)
    }

    @Test func planFindsTheDemandKneeAndProjects() throws {
        let plan = CapacityPlan(measurement: Self.measurement())
        #expect(abs((plan.serviceDemand ?? 0) - 0.002) < 1e-12)
        #expect(abs((plan.peakRate ?? 0) - 950) < 1e-9)
        let knee = try #require(plan.knee)
        #expect(knee.targetRate == 600)  // at 800 req/s the M/M/2 wait pushes P95 past the 10 ms objective
        #expect(plan.scalability != nil)
        let projections = plan.project(currentRate: 500, increasesPercent: [5, 20, 80])
        #expect(projections.map(\.assessment) == [.withinCapacity, .withinCapacity, .overCapacity])
        #expect(abs(projections[1].utilizationThen - 60) < 1e-9)
        #expect(projections[2].instancesNeeded == 2)
        // The projected latency at a measured rate is what was measured there.
        let at800 = try #require(plan.projectedLatency(rate: 800))
        #expect(abs(at800.mean - plan.measurement.steps[4].meanMs) < 1e-9)
    }

    /// Allen–Cunneen: steps whose latency grows by half the M/M/2 wait (deterministic service, Cs² = 0) give the
    /// factor 0.5 and project half the M/M/2 wait; exponential steps give 1; latency that does not grow at all is
    /// held at the deterministic bound, never at no queueing.
    @Test func waitScaleFollowsTheMeasuredLatencyGrowth() throws {
        let exponential = CapacityPlan(measurement: Self.measurement())
        #expect(abs(exponential.waitScale - 1) < 1e-9)
        func scaled(_ factor: Double) -> CapacityPlan {
            var measurement = Self.measurement()
            let queue = ErlangC(servers: 2, serviceTime: 0.002)
            measurement.steps = measurement.steps.map { step in
                var step = step
                step.meanMs = 1 + factor * (queue.meanWait(arrivalRate: step.achievedRate) ?? 0) * 1000
                return step
            }
            return CapacityPlan(measurement: measurement)
        }
        let deterministic = scaled(0.5)
        #expect(abs(deterministic.waitScale - 0.5) < 1e-9)
        let wait = try #require(ErlangC(servers: 2, serviceTime: 0.002).meanWait(arrivalRate: 920))
        #expect(abs((deterministic.projectedLatency(rate: 920)?.mean ?? 0) - (1 + 0.5 * wait * 1000)) < 1e-9)
        #expect(scaled(0).waitScale == 0.5)
        #expect(scaled(3).waitScale == 1)
    }

    /// GPU memory: 2 GiB static plus 64 MiB per request in flight; a projection whose concurrency would fill the
    /// card is over capacity whatever the CPU says.
    @Test func gpuMemoryModelByLittlesLaw() throws {
        #expect(GPUMemoryModel.fit([(1, 2112), (3, 2240), (5, 2368)]) == GPUMemoryModel(staticMiB: 2048, perRequestMiB: 64))
        var measurement = Self.measurement()
        measurement.steps = measurement.steps.map { step in
            var step = step
            step.gpuMemoryUsedMiB = 2048 + 64 * step.concurrency
            return step
        }
        measurement.gpuMemoryTotalMiB = 2100
        let plan = CapacityPlan(measurement: measurement)
        let model = try #require(plan.gpuMemory)
        #expect(abs(model.staticMiB - 2048) < 1e-6 && abs(model.perRequestMiB - 64) < 1e-6)
        let projection = try #require(plan.project(currentRate: 500, increasesPercent: [20]).first)
        let inFlight = projection.rate * (projection.meanMs ?? 0) / 1000
        #expect(abs((projection.gpuMemoryMiB ?? 0) - (2048 + 64 * inFlight)) < 1e-6)
        #expect(projection.assessment == .overCapacity)  // 2048 + 64·N exceeds 95% of 2100 MiB
    }

    /// Past audits as steps: throughput, latency and host CPU (percent of all cores, so ×cores per core-percent);
    /// an audit without CPU is left out.
    @Test func measurementFromAuditHistory() {
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        var points: [MetricPoint] = []
        for (index, (rate, cpu)) in [(100.0, 10.0), (300, 25), (500, 40)].enumerated() {
            let run = "run-\(index)"
            let at = t.addingTimeInterval(Double(index) * 3600)
            points += [
                MetricPoint(metric: "latency.total.throughput_rps", value: rate, recordedAt: at, runID: run),
                MetricPoint(metric: "latency.total.mean_ms", value: 2, recordedAt: at, runID: run),
                MetricPoint(metric: "latency.total.p95_ms", value: 4, recordedAt: at, runID: run),
                MetricPoint(metric: "resources.cpu_utilization.p95", value: cpu, recordedAt: at, runID: run),
            ]
        }
        points.append(MetricPoint(metric: "latency.total.throughput_rps", value: 900, recordedAt: t, runID: "no-cpu"))
        let measurement = CapacityMeasurement.fromHistory(points, cores: 4, objectiveP95Ms: 20, source: "store")
        #expect(measurement.steps.map(\.achievedRate) == [100, 300, 500])
        #expect(measurement.steps.map(\.serviceCPUPercent) == [40, 100, 160])
        // U = U₀ + X·S with host CPU over 4 cores: S = 0.003 s per request, U₀ = 0.1 cores.
        let plan = CapacityPlan(measurement: measurement)
        #expect(abs((plan.serviceDemand ?? 0) - 0.003) < 1e-9)
    }
}
