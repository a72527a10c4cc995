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

/// Reads cgroup v2 (unified) and v1 (cpu and memory controllers) files.
public enum Cgroups {
    static func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `key value` lines as numbers.
    static func keyed(_ path: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in (text(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = UInt64(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    static func number(_ path: String) -> UInt64? {
        text(path).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A cgroup v2 directory (e.g. /sys/fs/cgroup or the service's own group).
    public static func v2(_ directory: String) -> CgroupStats {
        let cpu = keyed(directory + "/cpu.stat")
        let limit = text(directory + "/memory.max")?.trimmingCharacters(in: .whitespacesAndNewlines)
        return CgroupStats(
            version: 2, periods: cpu["nr_periods"], throttledPeriods: cpu["nr_throttled"], throttledMicroseconds: cpu["throttled_usec"],
            memoryBytes: number(directory + "/memory.current"), memoryLimitBytes: limit == "max" ? nil : limit.flatMap { UInt64($0) },
            oomKills: keyed(directory + "/memory.events")["oom_kill"])
    }

    /// cgroup v1 cpu and memory controller directories (e.g. /sys/fs/cgroup/cpu and /sys/fs/cgroup/memory).
    public static func v1(cpu: String, memory: String) -> CgroupStats {
        let stat = keyed(cpu + "/cpu.stat")
        let limit = number(memory + "/memory.limit_in_bytes")
        return CgroupStats(
            version: 1, periods: stat["nr_periods"], throttledPeriods: stat["nr_throttled"],
            throttledMicroseconds: stat["throttled_time"].map { $0 / 1000 }, memoryBytes: number(memory + "/memory.usage_in_bytes"),
            memoryLimitBytes: limit.flatMap { $0 >= 1 << 62 ? nil : $0 },
            oomKills: keyed(memory + "/memory.oom_control")["oom_kill"])
    }

    /// The host's own cgroup: v2 when `/sys/fs/cgroup/cgroup.controllers` exists, else v1.
    public static func current(root: String = "/sys/fs/cgroup") -> CgroupStats? {
        if FileManager.default.fileExists(atPath: root + "/cgroup.controllers") { return v2(root) }
        if FileManager.default.fileExists(atPath: root + "/cpu/cpu.stat") { return v1(cpu: root + "/cpu", memory: root + "/memory") }
        return nil
    }
}
