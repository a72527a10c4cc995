import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One reading of the host's counters.
public struct HostSample: Sendable, Hashable {
    public var monotonicSeconds: Double
    public var wallTime: Date
    public var cpu: ProcParsers.CPUTimes?
    public var memory: (totalKiB: UInt64, availableKiB: UInt64)?
    public var disks: [String: ProcParsers.DiskCounters]
    public var network: [String: ProcParsers.NetworkCounters]
    public var load1: Double?
    public var cpuPressure: Double?
    /// Thermal zones' temperatures by zone type, millidegrees Celsius (absent on machines without them).
    public var thermalMillidegrees: [String: Int] = [:]
    /// Current frequency of each CPU that reports one, kHz.
    public var cpuFrequencyKHz: [Int] = []
    /// Core plus package thermal-throttle events over all CPUs; nil when the kernel does not count them.
    public var throttleEvents: UInt64?

    public static func == (a: HostSample, b: HostSample) -> Bool {
        a.monotonicSeconds == b.monotonicSeconds && a.cpu == b.cpu && a.disks == b.disks && a.network == b.network
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(monotonicSeconds) }
}

/// Reads /proc through file descriptors kept open between samples (`pread` from offset 0), into one reused
/// buffer. `root` points elsewhere for tests (a directory laid out like /proc).
public final class HostSampler: @unchecked Sendable {
    private let root: String
    private var descriptors: [String: Int32] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private let lock = NSLock()

    private let sysRoot: String
    private let thermalZones: [(path: String, type: String)]
    private let cpuDirectories: [String]

    /// `root` is /proc, `sysRoot` /sys; tests point both at directories laid out the same way.
    public init(root: String = "/proc", sysRoot: String = "/sys") {
        self.root = root
        self.sysRoot = sysRoot
        let thermal = sysRoot + "/class/thermal"
        thermalZones = ((try? FileManager.default.contentsOfDirectory(atPath: thermal)) ?? []).filter { $0.hasPrefix("thermal_zone") }.sorted()
            .map { zone in
                let type = (try? String(contentsOfFile: "\(thermal)/\(zone)/type", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                return ("\(thermal)/\(zone)/temp", type ?? zone)
            }
        let cpus = sysRoot + "/devices/system/cpu"
        cpuDirectories = ((try? FileManager.default.contentsOfDirectory(atPath: cpus)) ?? [])
            .filter { $0.hasPrefix("cpu") && Int($0.dropFirst(3)) != nil }.sorted().map { cpus + "/" + $0 }
    }

    /// An integer file under /sys (trimmed), or nil when absent.
    private func integer(_ path: String) -> Int? {
        read(absolute: path).flatMap { Int(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    deinit {
        for fd in descriptors.values where fd >= 0 { close(fd) }
    }

    /// The file's current bytes, or nil when it does not exist (absent is reported as absent).
    func read(_ relative: String) -> [UInt8]? {
        read(absolute: root + "/" + relative)
    }

    func read(absolute path: String) -> [UInt8]? {
        var fd = descriptors[path] ?? -2
        if fd == -2 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            descriptors[path] = fd
        }
        guard fd >= 0 else { return nil }
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { pread(fd, $0 + total, raw.count - total, off_t(total)) } ?? -1
            }
            if count <= 0 { break }
            total += count
            if total == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        }
        return Array(buffer[0..<total])
    }

    /// The host's own cgroup, read through the same kept descriptors.
    public func cgroup(root: String = "/sys/fs/cgroup") -> CgroupStats? {
        lock.lock()
        defer { lock.unlock() }
        return Cgroups.current(root: root) { self.read(absolute: $0) }
    }

    public func sample(now: Date = Date()) -> HostSample {
        lock.lock()
        defer { lock.unlock() }
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        var sample = HostSample(
            monotonicSeconds: Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9, wallTime: now,
            cpu: read("stat").flatMap(ProcParsers.cpu), memory: read("meminfo").flatMap(ProcParsers.memory),
            disks: read("diskstats").map(ProcParsers.disks) ?? [:],
            network: (read("net/dev") ?? read("net_dev")).map(ProcParsers.network) ?? [:],
            load1: read("loadavg").flatMap(ProcParsers.load1),
            cpuPressure: read("pressure/cpu").flatMap(ProcParsers.pressureSomeAvg10))
        for zone in thermalZones {
            if let millidegrees = integer(zone.path) { sample.thermalMillidegrees[zone.type] = max(sample.thermalMillidegrees[zone.type] ?? .min, millidegrees) }
        }
        var throttle: UInt64?
        for cpu in cpuDirectories {
            if let frequency = integer(cpu + "/cpufreq/scaling_cur_freq") { sample.cpuFrequencyKHz.append(frequency) }
            for counter in ["core_throttle_count", "package_throttle_count"] {
                if let count = integer(cpu + "/thermal_throttle/" + counter) { throttle = (throttle ?? 0) + UInt64(max(0, count)) }
            }
        }
        sample.throttleEvents = throttle
        return sample
    }
}

/// Utilization over the interval between two samples: what the telemetry log records.
public struct ResourcePoint: Sendable, Hashable, Codable {
    public var time: Date
    public var intervalSeconds: Double
    public var cpuPercent: Double?
    public var memoryPercent: Double?
    public var diskReadMegabytesPerSecond: Double?
    public var diskWriteMegabytesPerSecond: Double?
    /// Busiest disk's %util (time with I/O in flight).
    public var diskUtilPercent: Double?
    public var networkReceiveMegabytesPerSecond: Double?
    public var networkTransmitMegabytesPerSecond: Double?
    public var load1: Double?
    public var cpuPressurePercent: Double?
    /// Busiest GPU's utilization, fullest GPU's memory, hottest GPU's temperature, and every GPU's clock event
    /// reasons combined; nil without GPUs.
    public var gpuPercent: Double?
    public var gpuMemoryPercent: Double?
    public var gpuTemperatureCelsius: Double?
    public var gpuThrottleReasons: UInt64?
    /// Share of CFS periods the service's cgroup was throttled in, and its memory against the cgroup limit.
    public var cgroupThrottledPercent: Double?
    public var cgroupMemoryPercent: Double?
    /// Hottest thermal zone, mean CPU frequency, and CPU thermal-throttle events in the interval (nil: not reported).
    public var cpuTemperatureCelsius: Double?
    public var cpuFrequencyMHz: Double?
    public var cpuThrottleEvents: Double?
    /// Host memory in total, MiB, so growth can be told in MiB.
    public var memoryTotalMiB: Double?
    /// Each GPU's reading, for per-device memory growth; nil without GPUs.
    public var gpuDevices: [DeviceReading]?

    /// One GPU at one sample.
    public struct DeviceReading: Sendable, Hashable, Codable {
        public var index: Int
        public var utilizationPercent: Double?
        public var memoryUsedMiB: Double?
        public var memoryTotalMiB: Double?

        public init(index: Int, utilizationPercent: Double? = nil, memoryUsedMiB: Double? = nil, memoryTotalMiB: Double? = nil) {
            self.index = index
            self.utilizationPercent = utilizationPercent
            self.memoryUsedMiB = memoryUsedMiB
            self.memoryTotalMiB = memoryTotalMiB
        }

        enum CodingKeys: String, CodingKey {
            case index, utilizationPercent = "utilization", memoryUsedMiB = "memory_used_mb", memoryTotalMiB = "memory_total_mb"
        }
    }

    enum CodingKeys: String, CodingKey {
        case time = "ts"
        case intervalSeconds = "interval_s"
        case cpuPercent = "cpu_percent"
        case memoryPercent = "memory_percent"
        case diskReadMegabytesPerSecond = "disk_read_mb_s"
        case diskWriteMegabytesPerSecond = "disk_write_mb_s"
        case diskUtilPercent = "disk_util_percent"
        case networkReceiveMegabytesPerSecond = "net_rx_mb_s"
        case networkTransmitMegabytesPerSecond = "net_tx_mb_s"
        case load1
        case cpuPressurePercent = "psi_cpu_some_avg10"
        case gpuPercent = "gpu_percent"
        case gpuMemoryPercent = "gpu_memory_percent"
        case gpuTemperatureCelsius = "gpu_temperature_c"
        case gpuThrottleReasons = "gpu_throttle_reasons"
        case cgroupThrottledPercent = "cgroup_throttled_percent"
        case cgroupMemoryPercent = "cgroup_memory_percent"
        case cpuTemperatureCelsius = "cpu_temperature_c"
        case cpuFrequencyMHz = "cpu_freq_mhz"
        case cpuThrottleEvents = "cpu_throttle_events"
        case memoryTotalMiB = "memory_total_mb"
        case gpuDevices = "gpus"
    }

    /// Adds what the cgroup reported between two readings.
    public mutating func attach(cgroup before: CgroupStats?, _ after: CgroupStats?) {
        guard let before, let after else { return }
        if let p0 = before.periods, let p1 = after.periods, let t0 = before.throttledPeriods, let t1 = after.throttledPeriods,
            p1 > p0, t1 >= t0
        {
            cgroupThrottledPercent = Double(t1 - t0) / Double(p1 - p0) * 100
        }
        cgroupMemoryPercent = after.memoryPercentOfLimit
    }

    /// Adds the GPUs' latest readings.
    public mutating func attach(_ gpus: [GPUReading]) {
        guard !gpus.isEmpty else { return }
        gpuPercent = gpus.compactMap(\.utilizationPercent).max()
        gpuMemoryPercent = gpus.compactMap(\.memoryPercent).max()
        gpuTemperatureCelsius = gpus.compactMap(\.temperatureCelsius).max()
        gpuThrottleReasons = gpus.compactMap(\.throttleReasons).reduce(0, |)
        gpuDevices = gpus.map {
            DeviceReading(index: $0.index, utilizationPercent: $0.utilizationPercent, memoryUsedMiB: $0.memoryUsedMiB, memoryTotalMiB: $0.memoryTotalMiB)
        }
    }

    public init(
        time: Date, intervalSeconds: Double, cpuPercent: Double? = nil, memoryPercent: Double? = nil,
        diskReadMegabytesPerSecond: Double? = nil, diskWriteMegabytesPerSecond: Double? = nil, diskUtilPercent: Double? = nil,
        networkReceiveMegabytesPerSecond: Double? = nil, networkTransmitMegabytesPerSecond: Double? = nil, load1: Double? = nil,
        cpuPressurePercent: Double? = nil
    ) {
        self.time = time
        self.intervalSeconds = intervalSeconds
        self.cpuPercent = cpuPercent
        self.memoryPercent = memoryPercent
        self.diskReadMegabytesPerSecond = diskReadMegabytesPerSecond
        self.diskWriteMegabytesPerSecond = diskWriteMegabytesPerSecond
        self.diskUtilPercent = diskUtilPercent
        self.networkReceiveMegabytesPerSecond = networkReceiveMegabytesPerSecond
        self.networkTransmitMegabytesPerSecond = networkTransmitMegabytesPerSecond
        self.load1 = load1
        self.cpuPressurePercent = cpuPressurePercent
    }

    /// Rates between two samples; counters that went backwards (a reset, a replaced device) give no rate.
    public init?(from a: HostSample, to b: HostSample) {
        let dt = b.monotonicSeconds - a.monotonicSeconds
        guard dt > 0 else { return nil }
        time = b.wallTime
        intervalSeconds = dt
        if let x = a.cpu, let y = b.cpu, y.total > x.total, y.busy >= x.busy {
            cpuPercent = Double(y.busy - x.busy) / Double(y.total - x.total) * 100
        }
        if let m = b.memory, m.totalKiB > 0 {
            memoryPercent = (1 - Double(m.availableKiB) / Double(m.totalKiB)) * 100
            memoryTotalMiB = Double(m.totalKiB) / 1024
        }
        var read = 0.0, written = 0.0, util = 0.0
        var diskSeen = false
        for (name, y) in b.disks {
            guard let x = a.disks[name], y.readSectors >= x.readSectors, y.writtenSectors >= x.writtenSectors,
                y.ioTicksMilliseconds >= x.ioTicksMilliseconds
            else { continue }
            diskSeen = true
            read += Double(y.readSectors - x.readSectors) * 512 / 1e6 / dt
            written += Double(y.writtenSectors - x.writtenSectors) * 512 / 1e6 / dt
            util = max(util, min(100, Double(y.ioTicksMilliseconds - x.ioTicksMilliseconds) / (dt * 1000) * 100))
        }
        if diskSeen {
            diskReadMegabytesPerSecond = read
            diskWriteMegabytesPerSecond = written
            diskUtilPercent = util
        }
        var rx = 0.0, tx = 0.0
        var netSeen = false
        for (name, y) in b.network {
            guard let x = a.network[name], y.receivedBytes >= x.receivedBytes, y.transmittedBytes >= x.transmittedBytes else { continue }
            netSeen = true
            rx += Double(y.receivedBytes - x.receivedBytes) / 1e6 / dt
            tx += Double(y.transmittedBytes - x.transmittedBytes) / 1e6 / dt
        }
        if netSeen {
            networkReceiveMegabytesPerSecond = rx
            networkTransmitMegabytesPerSecond = tx
        }
        load1 = b.load1
        cpuPressurePercent = b.cpuPressure
        cpuTemperatureCelsius = b.thermalMillidegrees.values.max().map { Double($0) / 1000 }
        cpuFrequencyMHz = b.cpuFrequencyKHz.isEmpty ? nil : Double(b.cpuFrequencyKHz.reduce(0, +)) / Double(b.cpuFrequencyKHz.count) / 1000
        if let x = a.throttleEvents, let y = b.throttleEvents, y >= x { cpuThrottleEvents = Double(y - x) }
    }
}

extension ResourcePoint {
    /// One point for a span of samples (the agent's minute): the mean of every figure present, at the last sample's
    /// time, over the samples' intervals.
    public static func aggregate(_ points: [ResourcePoint]) -> ResourcePoint? {
        guard let last = points.last else { return nil }
        func mean(_ key: KeyPath<ResourcePoint, Double?>) -> Double? {
            let values = points.compactMap { $0[keyPath: key] }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        var aggregate = ResourcePoint(
            time: last.time, intervalSeconds: points.reduce(0) { $0 + $1.intervalSeconds }, cpuPercent: mean(\.cpuPercent),
            memoryPercent: mean(\.memoryPercent), diskReadMegabytesPerSecond: mean(\.diskReadMegabytesPerSecond),
            diskWriteMegabytesPerSecond: mean(\.diskWriteMegabytesPerSecond), diskUtilPercent: mean(\.diskUtilPercent),
            networkReceiveMegabytesPerSecond: mean(\.networkReceiveMegabytesPerSecond),
            networkTransmitMegabytesPerSecond: mean(\.networkTransmitMegabytesPerSecond), load1: mean(\.load1),
            cpuPressurePercent: mean(\.cpuPressurePercent))
        aggregate.gpuPercent = mean(\.gpuPercent)
        aggregate.gpuMemoryPercent = mean(\.gpuMemoryPercent)
        aggregate.gpuTemperatureCelsius = mean(\.gpuTemperatureCelsius)
        aggregate.cgroupThrottledPercent = mean(\.cgroupThrottledPercent)
        aggregate.cgroupMemoryPercent = mean(\.cgroupMemoryPercent)
        return aggregate
    }
}
