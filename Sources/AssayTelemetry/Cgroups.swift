import Foundation

/// What a cgroup says about the workload's limits: CPU throttling and memory against its limit. A counter the
/// cgroup does not expose (the v2 root has no throttling fields) is nil, never 0.
public struct CgroupStats: Sendable, Hashable, Codable {
    public var version: Int
    public var periods: UInt64?
    public var throttledPeriods: UInt64?
    public var throttledMicroseconds: UInt64?
    public var memoryBytes: UInt64?
    /// nil when unlimited (v2 `max`, v1's near-2⁶³ sentinel).
    public var memoryLimitBytes: UInt64?
    public var oomKills: UInt64?

    public init(
        version: Int, periods: UInt64? = nil, throttledPeriods: UInt64? = nil, throttledMicroseconds: UInt64? = nil,
        memoryBytes: UInt64? = nil, memoryLimitBytes: UInt64? = nil, oomKills: UInt64? = nil
    ) {
        self.version = version
        self.periods = periods
        self.throttledPeriods = throttledPeriods
        self.throttledMicroseconds = throttledMicroseconds
        self.memoryBytes = memoryBytes
        self.memoryLimitBytes = memoryLimitBytes
        self.oomKills = oomKills
    }

    /// Share of CFS periods in which the group was throttled.
    public var throttledPercent: Double? {
        guard let periods, let throttledPeriods, periods > 0 else { return nil }
        return Double(throttledPeriods) / Double(periods) * 100
    }

    public var memoryPercentOfLimit: Double? {
        guard let memoryBytes, let memoryLimitBytes, memoryLimitBytes > 0 else { return nil }
        return Double(memoryBytes) / Double(memoryLimitBytes) * 100
    }
}

/// Reads cgroup v2 (unified) and v1 (cpu and memory controllers) files, each whole, through `read` (nil: absent).
public enum Cgroups {
    public typealias Reader = (String) -> [UInt8]?

    /// A file read whole with Foundation, nil when absent.
    public static func fileContents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    /// `key value` lines as numbers.
    static func keyed(_ bytes: [UInt8]?) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in String(decoding: bytes ?? [], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    static func trimmed(_ bytes: [UInt8]?) -> String? {
        bytes.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// A cgroup v2 directory (e.g. /sys/fs/cgroup or the service's own group).
    public static func v2(_ directory: String, read: Reader = fileContents) -> CgroupStats {
        let cpu = keyed(read(directory + "/cpu.stat"))
        let limit = trimmed(read(directory + "/memory.max"))
        return CgroupStats(
            version: 2, periods: cpu["nr_periods"], throttledPeriods: cpu["nr_throttled"], throttledMicroseconds: cpu["throttled_usec"],
            memoryBytes: trimmed(read(directory + "/memory.current")).flatMap { UInt64($0) },
            memoryLimitBytes: limit == "max" ? nil : limit.flatMap { UInt64($0) }, oomKills: keyed(read(directory + "/memory.events"))["oom_kill"])
    }

    /// cgroup v1 cpu and memory controller directories (e.g. /sys/fs/cgroup/cpu and /sys/fs/cgroup/memory).
    public static func v1(cpu: String, memory: String, read: Reader = fileContents) -> CgroupStats {
        let stat = keyed(read(cpu + "/cpu.stat"))
        let limit = trimmed(read(memory + "/memory.limit_in_bytes")).flatMap { UInt64($0) }
        return CgroupStats(
            version: 1, periods: stat["nr_periods"], throttledPeriods: stat["nr_throttled"],
            throttledMicroseconds: stat["throttled_time"].map { $0 / 1000 },
            memoryBytes: trimmed(read(memory + "/memory.usage_in_bytes")).flatMap { UInt64($0) },
            memoryLimitBytes: limit.flatMap { $0 >= 1 << 62 ? nil : $0 }, oomKills: keyed(read(memory + "/memory.oom_control"))["oom_kill"])
    }

    /// The host's own cgroup: v2 when `/sys/fs/cgroup/cgroup.controllers` exists, else v1.
    public static func current(root: String = "/sys/fs/cgroup", read: Reader = fileContents) -> CgroupStats? {
        if read(root + "/cgroup.controllers") != nil { return v2(root, read: read) }
        if read(root + "/cpu/cpu.stat") != nil { return v1(cpu: root + "/cpu", memory: root + "/memory", read: read) }
        return nil
    }
}
