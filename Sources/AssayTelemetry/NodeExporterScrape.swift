import Foundation

/// A node_exporter scrape (Prometheus text format) read into the same `HostSample` the /proc collectors make, so
/// two scrapes give a `ResourcePoint`: hosts that already run node_exporter feed the resources layer as they are.
public enum NodeExporterScrape {
    /// One sample per `name{labels} value` line; comments and other metrics are skipped.
    static func samples(_ text: String) -> [(name: Substring, labels: [Substring: Substring], value: Double)] {
        var samples: [(Substring, [Substring: Substring], Double)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && line.hasPrefix("node_") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                samples.append((series, [:], value))
                continue
            }
            var labels: [Substring: Substring] = [:]
            for pair in series[series.index(after: brace)...].dropLast().split(separator: ",") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                labels[pair[..<equals]] = pair[pair.index(after: equals)...].dropFirst().dropLast()
            }
            samples.append((series[..<brace], labels, value))
        }
        return samples
    }

    /// The host as the scrape describes it, stamped `monotonicSeconds`/`wallTime`; nil without CPU counters.
    public static func hostSample(_ text: String, monotonicSeconds: Double, wallTime: Date) -> HostSample? {
        var modes: [Substring: Double] = [:]
        var memoryTotal: Double?
        var memoryAvailable: Double?
        var disks: [String: (read: Double, written: Double, io: Double)] = [:]
        var network: [String: (rx: Double, tx: Double)] = [:]
        var load1: Double?
        for (name, labels, value) in samples(text) {
            switch name {
            case "node_cpu_seconds_total": if let mode = labels["mode"] { modes[mode, default: 0] += value }
            case "node_memory_MemTotal_bytes": memoryTotal = value
            case "node_memory_MemAvailable_bytes": memoryAvailable = value
            case "node_disk_read_bytes_total": if let d = labels["device"] { disks[String(d), default: (0, 0, 0)].read = value }
            case "node_disk_written_bytes_total": if let d = labels["device"] { disks[String(d), default: (0, 0, 0)].written = value }
            case "node_disk_io_time_seconds_total": if let d = labels["device"] { disks[String(d), default: (0, 0, 0)].io = value }
            case "node_network_receive_bytes_total": if let d = labels["device"] { network[String(d), default: (0, 0)].rx = value }
            case "node_network_transmit_bytes_total": if let d = labels["device"] { network[String(d), default: (0, 0)].tx = value }
            case "node_load1": load1 = value
            default: continue
            }
        }
        guard !modes.isEmpty else { return nil }
        // Counters that are negative, not finite or beyond 2^63 are not counters: the scrape is not trusted for them.
        func counter(_ value: Double) -> UInt64? {
            value.isFinite && value >= 0 && value < 9.2e18 ? UInt64(value.rounded()) : nil
        }
        // Seconds become clock ticks at 100 Hz, the unit /proc/stat counts in.
        var ticks: [Substring: UInt64] = [:]
        for mode in ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"] as [Substring] {
            guard let value = counter((modes[mode] ?? 0) * 100) else { return nil }
            ticks[mode] = value
        }
        let cpu = ProcParsers.CPUTimes(
            user: ticks["user"]!, nice: ticks["nice"]!, system: ticks["system"]!, idle: ticks["idle"]!, iowait: ticks["iowait"]!,
            irq: ticks["irq"]!, softirq: ticks["softirq"]!, steal: ticks["steal"]!)
        var memory: (totalKiB: UInt64, availableKiB: UInt64)?
        if let memoryTotal, let memoryAvailable, let total = counter(memoryTotal / 1024), let available = counter(memoryAvailable / 1024) {
            memory = (total, available)
        }
        return HostSample(
            monotonicSeconds: monotonicSeconds, wallTime: wallTime, cpu: cpu, memory: memory,
            disks: disks.compactMapValues {
                guard let read = counter($0.read / 512), let written = counter($0.written / 512), let io = counter($0.io * 1000) else { return nil }
                return ProcParsers.DiskCounters(readSectors: read, writtenSectors: written, ioTicksMilliseconds: io)
            },
            network: network.compactMapValues {
                guard let rx = counter($0.rx), let tx = counter($0.tx) else { return nil }
                return ProcParsers.NetworkCounters(receivedBytes: rx, transmittedBytes: tx)
            },
            load1: load1, cpuPressure: nil)
    }
}
