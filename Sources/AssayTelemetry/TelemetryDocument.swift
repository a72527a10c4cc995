import AssayCore
import Foundation

/// Whole-document telemetry exports (`telemetry.json`, `cpu_gpu_metrics.json`), as monitoring scripts write them, and
/// the samples of JSON-lines logs, which accept the same keys.
///
/// Accepted shapes: a JSON array of samples, or an object whose `samples`, `metrics`, `data` or `records` member is
/// that array. Each sample is an object with:
/// - a time: `ts`, `timestamp` or `time`, as epoch seconds (milliseconds when > 1e11) or ISO-8601;
/// - optional `interval_s` (otherwise the spacing to the previous sample; for the first, the spacing to the second);
/// - any of the telemetry-log keys (`cpu_percent`, `memory_percent`, …) or their common aliases
///   (`cpu`, `cpu_util`, `cpu_utilization`, `mem_percent`, `memory_util`, `gpu_util`, `gpu_utilization`,
///   `gpu_mem_percent`, `gpu_temp`, `gpu_temperature`);
/// - optionally `gpus`: an array of per-device objects with `utilization`, `memory_used_mb` / `memory_total_mb`
///   (or `memory_percent`) and `temperature_c`, folded like live readings (the busiest device's utilization and memory share, the hottest device's temperature).
public enum TelemetryDocument {
    private static var aliases: KeyValuePairs<WritableKeyPath<ResourcePoint, Double?>, [String]> {
        [
        \.cpuPercent: ["cpu_percent", "cpu", "cpu_util", "cpu_utilization", "cpu_usage_percent"],
        \.memoryPercent: ["memory_percent", "mem_percent", "memory_util", "memory_utilization", "ram_percent"],
        \.diskReadMegabytesPerSecond: ["disk_read_mb_s"],
        \.diskWriteMegabytesPerSecond: ["disk_write_mb_s"],
        \.diskUtilPercent: ["disk_util_percent", "disk_util"],
        \.networkReceiveMegabytesPerSecond: ["net_rx_mb_s"],
        \.networkTransmitMegabytesPerSecond: ["net_tx_mb_s"],
        \.load1: ["load1", "load_1m"],
        \.cpuPressurePercent: ["psi_cpu_some_avg10"],
        \.gpuPercent: ["gpu_percent", "gpu_util", "gpu_utilization"],
        \.gpuMemoryPercent: ["gpu_memory_percent", "gpu_mem_percent", "gpu_memory_util"],
        \.gpuTemperatureCelsius: ["gpu_temperature_c", "gpu_temp", "gpu_temperature"],
        \.cgroupThrottledPercent: ["cgroup_throttled_percent"],
        \.cgroupMemoryPercent: ["cgroup_memory_percent"],
        \.cpuTemperatureCelsius: ["cpu_temperature_c", "cpu_temp"],
        \.cpuFrequencyMHz: ["cpu_freq_mhz"],
        \.cpuThrottleEvents: ["cpu_throttle_events"],
        \.memoryTotalMiB: ["memory_total_mb", "mem_total_mb"],
        ]
    }

    /// True when `data` is a whole JSON document rather than JSON Lines: it opens with `[`, or it is a `.json` file
    /// whose first line is not a complete sample with a time. `.jsonl` and `.ndjson` files are always lines.
    public static func looksLikeDocument(_ data: Data, path: String) -> Bool {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") { return false }
        guard let first = data.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { return false }
        if first == UInt8(ascii: "[") { return true }
        guard first == UInt8(ascii: "{"), lowered.hasSuffix(".json") else { return false }
        // JSON lines saved as .json: the first line is a whole sample, with its time.
        let firstLine = data.firstIndex(of: 0x0A).map { data[..<$0] } ?? data[...]
        guard let sample = JSONValue.parse(firstLine) else { return true }
        return sample["ts"] == nil && sample["timestamp"] == nil && sample["time"] == nil
    }

    /// Parses a whole document; errors name the sample index and the member that was wrong.
    public static func parse(_ data: Data, path: String) throws -> [ResourcePoint] {
        guard let root = JSONValue.parse(data) else { throw TelemetryLogError(path: path, line: 0, expected: "a JSON document") }
        let samples: [JSONValue]
        switch root {
        case .array(let items): samples = items
        case .object:
            guard let found = ["samples", "metrics", "data", "records"].lazy.compactMap({ root[$0] }).first,
                case .array(let items) = found
            else {
                throw TelemetryLogError(path: path, line: 0, expected: "an array of samples, or an object with a samples array")
            }
            samples = items
        default: throw TelemetryLogError(path: path, line: 0, expected: "an array of samples")
        }
        var points: [ResourcePoint] = []
        for (index, sample) in samples.enumerated() {
            points.append(try point(sample, previous: points.last?.time) { TelemetryLogError(path: "\(path) sample \(index)", line: 0, expected: $0) })
        }
        return try finished(points, path: path)
    }

    /// Checks there is a sample and gives the first, whose interval no earlier sample told, the spacing to the second.
    static func finished(_ points: [ResourcePoint], path: String) throws -> [ResourcePoint] {
        guard !points.isEmpty else { throw TelemetryLogError(path: path, line: 0, expected: "at least one sample") }
        var points = points
        if points.count > 1, points[0].intervalSeconds == 0 {
            points[0].intervalSeconds = points[1].time.timeIntervalSince(points[0].time)
        }
        if points[0].intervalSeconds == 0 { points[0].intervalSeconds = 1 }
        return points
    }

    /// One sample, from a line or a document: its time (`ts`, `timestamp` or `time`: ISO-8601, or epoch seconds or
    /// milliseconds, as a number or a string), `interval_s` when given (else the spacing to `previous`), the known
    /// keys and their aliases, and `gpus`. Unknown keys are ignored; a known key of the wrong type is an error that
    /// names it.
    static func point(_ sample: JSONValue, previous: Date?, fail: (String) -> TelemetryLogError) throws -> ResourcePoint {
        guard case .object = sample else { throw fail("a JSON object (one sample)") }
        guard let name = ["ts", "timestamp", "time"].first(where: { sample[$0] != nil }) else {
            throw fail("a time: ts, timestamp or time")
        }
        guard let time = timestamp(sample[name]) else {
            throw fail("\(name) as ISO-8601, or epoch seconds or milliseconds (a number or a numeric string)")
        }
        var interval = 0.0
        if let given = sample["interval_s"], given != .null {
            guard let value = given.number, value.isFinite, value > 0 else { throw fail("interval_s as a number of seconds > 0") }
            interval = value
        } else if let previous {
            interval = time.timeIntervalSince(previous)
            guard interval > 0 else { throw fail("samples in time order (\(name) after the previous sample's)") }
        }
        var point = ResourcePoint(time: time, intervalSeconds: interval)
        if let devices = sample["gpus"], devices != .null {
            guard case .array(let items) = devices else { throw fail("gpus as an array of per-device objects") }
            point.attach(try items.enumerated().map { try gpuReading($1, index: $0, fail: fail) })
        }
        for (keyPath, names) in aliases {
            guard let name = names.first(where: { sample[$0] != nil }), let member = sample[name] else { continue }
            if case .null = member { continue }
            guard let value = member.number, value.isFinite else { throw fail("\(name) as a number") }
            point[keyPath: keyPath] = value
        }
        if let reasons = sample["gpu_throttle_reasons"], reasons != .null {
            guard let value = reasons.number, value >= 0, value < 1.8e19, value == value.rounded() else {
                throw fail("gpu_throttle_reasons as a non-negative integer")
            }
            point.gpuThrottleReasons = UInt64(value)
        }
        return point
    }

    private static func gpuReading(_ value: JSONValue, index: Int, fail: (String) -> TelemetryLogError) throws -> GPUReading {
        guard case .object = value else { throw fail("gpus[\(index)] as an object") }
        func number(_ key: String) throws -> Double? {
            guard let member = value[key], member != .null else { return nil }
            guard let number = member.number, number.isFinite else { throw fail("gpus[\(index)].\(key) as a number") }
            return number
        }
        var used = try number("memory_used_mb"), total = try number("memory_total_mb")
        if let percent = try number("memory_percent") { (used, total) = (percent, 100) }
        return GPUReading(
            index: Int(try number("index") ?? Double(index)),
            utilizationPercent: try number("utilization") ?? number("utilization_percent"),
            memoryUsedMiB: used, memoryTotalMiB: total,
            temperatureCelsius: try number("temperature_c") ?? number("temperature")
        )
    }

    private static func timestamp(_ value: JSONValue?) -> Date? {
        switch value {
        case .number(let number)?: JSONCoding.epoch(number)
        case .string(let text)?: JSONCoding.timestamp(text)
        default: nil
        }
    }
}
