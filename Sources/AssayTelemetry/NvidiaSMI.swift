import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One GPU's reading from nvidia-smi. Fields nvidia-smi reports as `[N/A]` or `[Not Supported]` are nil.
public struct GPUReading: Sendable, Hashable, Codable {
    public var index: Int
    public var name: String?
    public var utilizationPercent: Double?
    public var memoryUsedMiB: Double?
    public var memoryTotalMiB: Double?
    public var temperatureCelsius: Double?
    public var powerWatts: Double?
    /// `clocks_event_reasons.active` (older drivers: `clocks_throttle_reasons.active`) as a bitmask.
    public var throttleReasons: UInt64?
    /// SM clock, MHz (NVML).
    public var smClockMHz: Double?
    /// Uncorrected ECC errors over the GPU's life (NVML).
    public var eccUncorrectedErrors: UInt64?
    /// Cumulative time the clocks were held down by the power or the thermal limit, ns (NVML violation counters).
    public var powerViolationNanoseconds: UInt64?
    public var thermalViolationNanoseconds: UInt64?
    /// GPU memory by process id, MiB (NVML).
    public var processMemoryMiB: [Int: Double]?

    public init(
        index: Int, name: String? = nil, utilizationPercent: Double? = nil, memoryUsedMiB: Double? = nil, memoryTotalMiB: Double? = nil,
        temperatureCelsius: Double? = nil, powerWatts: Double? = nil, throttleReasons: UInt64? = nil
    ) {
        self.index = index
        self.name = name
        self.utilizationPercent = utilizationPercent
        self.memoryUsedMiB = memoryUsedMiB
        self.memoryTotalMiB = memoryTotalMiB
        self.temperatureCelsius = temperatureCelsius
        self.powerWatts = powerWatts
        self.throttleReasons = throttleReasons
    }

    public var memoryPercent: Double? {
        guard let used = memoryUsedMiB, let total = memoryTotalMiB, total > 0 else { return nil }
        return used / total * 100
    }

    /// Reasons that mean heat or a hardware limit slowed the clocks: HW slowdown, SW/HW thermal, power brake.
    public static let thermalOrHardwareMask: UInt64 = 0x08 | 0x20 | 0x40 | 0x80
}

/// Parses `nvidia-smi --query-gpu … --format=csv` output (with or without units and header).
public enum NvidiaSMI {
    /// The fields the sampler asks for, in order; `reasons` is whichever name this driver knows.
    public static func queryFields(reasons: String) -> [String] {
        ["index", "name", "utilization.gpu", "memory.used", "memory.total", "temperature.gpu", "power.draw", reasons]
    }

    /// Rows of a CSV with a header row (units such as `[MiB]` in the header and `MiB` in cells are dropped).
    public static func parse(csv text: String) -> [GPUReading] {
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard let header = lines.first else { return [] }
        let names = header.split(separator: ",").map { column -> String in
            let trimmed = column.trimmingCharacters(in: .whitespaces)
            return trimmed.split(separator: " ").first.map(String.init) ?? trimmed
        }
        return lines.dropFirst().compactMap { reading(values: split($0), names: names) }
    }

    /// One `noheader,nounits` line for the given field names.
    public static func parse(line: String, fields: [String]) -> GPUReading? {
        reading(values: split(line), names: fields)
    }

    static func split(_ line: String) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func reading(values: [String], names: [String]) -> GPUReading? {
        var fields: [String: String] = [:]
        for (name, value) in zip(names, values) { fields[name] = value }
        guard let index = fields["index"].flatMap({ Int($0) }) else { return nil }
        func number(_ key: String) -> Double? {
            guard let raw = fields[key], !raw.hasPrefix("["), raw != "N/A" else { return nil }
            return Double(raw.split(separator: " ").first.map(String.init) ?? raw)
        }
        let reasons = (fields["clocks_event_reasons.active"] ?? fields["clocks_throttle_reasons.active"]).flatMap { raw -> UInt64? in
            raw.hasPrefix("0x") ? UInt64(raw.dropFirst(2), radix: 16) : UInt64(raw)
        }
        return GPUReading(
            index: index, name: fields["name"], utilizationPercent: number("utilization.gpu"), memoryUsedMiB: number("memory.used"),
            memoryTotalMiB: number("memory.total"), temperatureCelsius: number("temperature.gpu"), powerWatts: number("power.draw"),
            throttleReasons: reasons)
    }
}

/// GPU readings: NVML in process when the driver's library loads; otherwise one long-lived
/// `nvidia-smi --query-gpu … -lms N` process (never one process per sample), whose lines update the latest reading
/// of each GPU. Neither means no GPU readings, reported as absent.
public final class GPUSampler: @unchecked Sendable {
    private let nvml: NVML?
    private let lock = NSLock()
    private var latest: [Int: GPUReading] = [:]
    private var buffer = Data()
    private let process = Process()
    private let fields: [String]

    /// NVML when it loads (and no `executable` is named); else starts `executable` (default: nvidia-smi on PATH);
    /// nil when neither is there.
    public init?(intervalMilliseconds: Int, executable: String? = nil, reasonsField: String = "clocks_event_reasons.active") {
        fields = NvidiaSMI.queryFields(reasons: reasonsField)
        if executable == nil, let library = NVML() {
            nvml = library
            return
        }
        nvml = nil
        let path = executable ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/nvidia-smi" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return nil }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--query-gpu=" + fields.joined(separator: ","), "--format=csv,noheader,nounits", "-lms", String(intervalMilliseconds)]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.consume(handle.availableData)
        }
        do { try process.run() } catch { return nil }
    }

    deinit { stop() }

    func consume(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(data)
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...newline)
            if let reading = NvidiaSMI.parse(line: line, fields: fields) { latest[reading.index] = reading }
        }
    }

    /// The most recent reading of each GPU, by index.
    public func readings() -> [GPUReading] {
        if let nvml { return nvml.readings() }
        lock.lock()
        defer { lock.unlock() }
        return latest.values.sorted { $0.index < $1.index }
    }

    public func stop() {
        if process.isRunning { process.terminate() }
    }
}
