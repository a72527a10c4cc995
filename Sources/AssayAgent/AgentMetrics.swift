import AssayTelemetry
import Foundation
import Prometheus

/// The agent's `/metrics`: node_exporter's names where node_exporter has the metric (memory, load, disk and
/// network byte counters, CPU seconds by mode), `assay_*` for the utilization Assay judges by.
public final class AgentMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let cpuPercent: Gauge
    private let memoryPercent: Gauge
    private let diskUtilPercent: Gauge
    private let memoryTotal: Gauge
    private let memoryAvailable: Gauge
    private let load1: Gauge
    private let samples: Counter
    private let sustainedCPU: Gauge

    public init() {
        cpuPercent = registry.makeGauge(descriptor: Self.metric("assay_cpu_utilization_percent", "CPU busy over the last interval, percent of all cores."))
        memoryPercent = registry.makeGauge(descriptor: Self.metric("assay_memory_utilization_percent", "Memory in use (MemTotal - MemAvailable), percent."))
        diskUtilPercent = registry.makeGauge(descriptor: Self.metric("assay_disk_utilization_percent", "Busiest disk's %util over the last interval."))
        memoryTotal = registry.makeGauge(descriptor: Self.metric("node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes."))
        memoryAvailable = registry.makeGauge(descriptor: Self.metric("node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes."))
        load1 = registry.makeGauge(descriptor: Self.metric("node_load1", "1m load average."))
        samples = registry.makeCounter(descriptor: Self.metric("assay_agent_samples_total", "Host samples taken."))
        sustainedCPU = registry.makeGauge(
            descriptor: Self.metric("assay_alert_state", "Alert state: 0 inactive, 1 pending, 2 firing."),
            labels: [("alertname", "SustainedCPULoad")])
    }

    /// A metric's full name and help, as swift-prometheus describes it.
    static func metric(_ name: String, _ help: String = "") -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// Updates from one interval: the gauges take the point's values, counters grow by the counters' deltas.
    public func update(point: ResourcePoint?, from previous: HostSample?, to sample: HostSample) {
        samples.increment()
        if let point {
            point.cpuPercent.map { cpuPercent.set($0) }
            point.memoryPercent.map { memoryPercent.set($0) }
            point.diskUtilPercent.map { diskUtilPercent.set($0) }
        }
        if let memory = sample.memory {
            memoryTotal.set(Double(memory.totalKiB) * 1024)
            memoryAvailable.set(Double(memory.availableKiB) * 1024)
        }
        sample.load1.map { load1.set($0) }
        guard let previous else { return }
        if let a = previous.cpu, let b = sample.cpu {
            for (mode, x, y) in [("user", a.user, b.user), ("system", a.system, b.system), ("idle", a.idle, b.idle), ("iowait", a.iowait, b.iowait)]
            where y >= x {
                registry.makeCounter(descriptor: Self.metric("node_cpu_seconds_total"), labels: [("mode", mode)]).increment(by: Double(y - x) / Self.ticksPerSecond)
            }
        }
        for (device, y) in sample.disks {
            guard let x = previous.disks[device], y.readSectors >= x.readSectors, y.writtenSectors >= x.writtenSectors else { continue }
            registry.makeCounter(descriptor: Self.metric("node_disk_read_bytes_total"), labels: [("device", device)]).increment(by: Double(y.readSectors - x.readSectors) * 512)
            registry.makeCounter(descriptor: Self.metric("node_disk_written_bytes_total"), labels: [("device", device)])
                .increment(by: Double(y.writtenSectors - x.writtenSectors) * 512)
        }
        for (device, y) in sample.network {
            guard let x = previous.network[device], y.receivedBytes >= x.receivedBytes, y.transmittedBytes >= x.transmittedBytes else { continue }
            registry.makeCounter(descriptor: Self.metric("node_network_receive_bytes_total"), labels: [("device", device)])
                .increment(by: Double(y.receivedBytes - x.receivedBytes))
            registry.makeCounter(descriptor: Self.metric("node_network_transmit_bytes_total"), labels: [("device", device)])
                .increment(by: Double(y.transmittedBytes - x.transmittedBytes))
        }
    }

    public func alert(_ state: SustainedLoadRule.State) {
        sustainedCPU.set(Double(state == .inactive ? 0 : (state == .pending ? 1 : 2)))
    }

    public var text: String { registry.emitToString() }

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
}
