/// Parsers of the /proc files the host collector reads. They take the bytes as read, never allocate a
/// String per line, and report an absent field as absent (nil), never as 0.
public enum ProcParsers {
    /// Aggregate CPU times from /proc/stat's `cpu` line, in clock ticks.
    public struct CPUTimes: Sendable, Hashable, Codable {
        public var user: UInt64, nice: UInt64, system: UInt64, idle: UInt64, iowait: UInt64, irq: UInt64, softirq: UInt64, steal: UInt64
        public var total: UInt64 { user + nice + system + idle + iowait + irq + softirq + steal }

        public init(
            user: UInt64, nice: UInt64, system: UInt64, idle: UInt64, iowait: UInt64, irq: UInt64, softirq: UInt64, steal: UInt64
        ) {
            (self.user, self.nice, self.system, self.idle) = (user, nice, system, idle)
            (self.iowait, self.irq, self.softirq, self.steal) = (iowait, irq, softirq, steal)
        }
        /// Ticks not spent idle or waiting for I/O.
        public var busy: UInt64 { total - idle - iowait }
    }

    /// Counters of one whole disk from /proc/diskstats (14-, 18- or 20-field lines).
    public struct DiskCounters: Sendable, Hashable, Codable {
        public var readSectors: UInt64
        public var writtenSectors: UInt64
        /// Milliseconds the device had I/O in flight (for %util).
        public var ioTicksMilliseconds: UInt64

        public init(readSectors: UInt64, writtenSectors: UInt64, ioTicksMilliseconds: UInt64) {
            self.readSectors = readSectors
            self.writtenSectors = writtenSectors
            self.ioTicksMilliseconds = ioTicksMilliseconds
        }
    }

    public struct NetworkCounters: Sendable, Hashable, Codable {
        public var receivedBytes: UInt64
        public var transmittedBytes: UInt64

        public init(receivedBytes: UInt64, transmittedBytes: UInt64) {
            self.receivedBytes = receivedBytes
            self.transmittedBytes = transmittedBytes
        }
    }

    /// Splits a line into whitespace-separated fields.
    static func fields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
    }

    static func number(_ field: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        guard !field.isEmpty else { return nil }
        for byte in field {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value &* 10 &+ UInt64(byte - 0x30)
        }
        return value
    }

    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"))
    }

    public static func cpu(_ bytes: [UInt8]) -> CPUTimes? {
        guard let line = lines(bytes).first(where: { $0.starts(with: Array("cpu ".utf8)) }) else { return nil }
        let values = fields(line).dropFirst().compactMap(number)
        guard values.count >= 4 else { return nil }
        func at(_ i: Int) -> UInt64 { i < values.count ? values[i] : 0 }
        return CPUTimes(user: at(0), nice: at(1), system: at(2), idle: at(3), iowait: at(4), irq: at(5), softirq: at(6), steal: at(7))
    }

    /// `MemTotal` and `MemAvailable` in KiB; nil when either is absent (kernels before 3.14 lack MemAvailable).
    public static func memory(_ bytes: [UInt8]) -> (totalKiB: UInt64, availableKiB: UInt64)? {
        var total: UInt64?
        var available: UInt64?
        for line in lines(bytes) {
            let parts = fields(line)
            guard parts.count >= 2 else { continue }
            if parts[0].elementsEqual("MemTotal:".utf8) { total = number(parts[1]) }
            if parts[0].elementsEqual("MemAvailable:".utf8) { available = number(parts[1]) }
        }
        guard let total, let available else { return nil }
        return (total, available)
    }

    /// Whole disks only: loop, ram, zram devices and partitions (whose parent is listed) are left out.
    public static func disks(_ bytes: [UInt8]) -> [String: DiskCounters] {
        var result: [String: DiskCounters] = [:]
        var names: [String] = []
        for line in lines(bytes) {
            let parts = fields(line)
            guard parts.count >= 14, let read = number(parts[5]), let written = number(parts[9]), let ticks = number(parts[12]) else {
                continue
            }
            let name = String(decoding: parts[2], as: UTF8.self)
            if name.hasPrefix("loop") || name.hasPrefix("ram") || name.hasPrefix("zram") || name.hasPrefix("dm-") { continue }
            names.append(name)
            result[name] = DiskCounters(readSectors: read, writtenSectors: written, ioTicksMilliseconds: ticks)
        }
        // Drop partitions: sda1 when sda is listed, nvme0n1p1 when nvme0n1 is.
        for name in names where names.contains(where: { $0 != name && name.hasPrefix($0) && name.count > $0.count }) {
            result[name] = nil
        }
        return result
    }

    /// Interfaces from /proc/net/dev, loopback left out.
    public static func network(_ bytes: [UInt8]) -> [String: NetworkCounters] {
        var result: [String: NetworkCounters] = [:]
        for line in lines(bytes) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).trimmingSpaces
            let parts = fields(line[(colon + 1)...])
            guard name != "lo", parts.count >= 9, let rx = number(parts[0]), let tx = number(parts[8]) else { continue }
            result[name] = NetworkCounters(receivedBytes: rx, transmittedBytes: tx)
        }
        return result
    }

    public static func load1(_ bytes: [UInt8]) -> Double? {
        fields(bytes[...]).first.flatMap { Double(String(decoding: $0, as: UTF8.self)) }
    }

    /// `some avg10` of a /proc/pressure file; nil where PSI is absent.
    public static func pressureSomeAvg10(_ bytes: [UInt8]) -> Double? {
        guard let line = lines(bytes).first(where: { $0.starts(with: Array("some ".utf8)) }) else { return nil }
        for part in fields(line) where part.starts(with: Array("avg10=".utf8)) {
            return Double(String(decoding: part.dropFirst(6), as: UTF8.self))
        }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
