import AssayCore
import Foundation

/// Whole-document telemetry exports (`telemetry.json`, `cpu_gpu_metrics.json`), as monitoring scripts write them.
///
/// Accepted shapes: a JSON array of samples, or an object whose `samples`, `metrics`, `data` or `records` member is
/// that array. Each sample is an object with:
/// - a time: `ts`, `timestamp` or `time`, as epoch seconds (milliseconds when > 1e11) or ISO-8601;
/// - optional `interval_s` (otherwise the spacing to the previous sample, 1 s for the first);
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
        var previous: Date?
        for (index, sample) in samples.enumerated() {
            func fail(_ what: String) -> TelemetryLogError {
                TelemetryLogError(path: "\(path) sample \(index)", line: 0, expected: what)
            }
            guard case .object = sample else { throw fail("an object") }
            guard let time = timestamp(sample["ts"] ?? sample["timestamp"] ?? sample["time"]) else {
                throw fail("ts, timestamp or time as epoch seconds or ISO-8601")
            }
            let interval = sample["interval_s"]?.number ?? previous.map { time.timeIntervalSince($0) } ?? 1
            guard interval > 0 else { throw fail("samples in time order (interval_s > 0)") }
            var point = ResourcePoint(time: time, intervalSeconds: interval)
            for (keyPath, names) in aliases {
                guard let name = names.first(where: { sample[$0] != nil }), let member = sample[name] else { continue }
                if case .null = member { continue }
                guard let value = member.number, value.isFinite else { throw fail("\(name) as a number") }
                point[keyPath: keyPath] = value
            }
            if case .array(let devices)? = sample["gpus"] {
                point.attach(try devices.enumerated().map { try gpuReading($1, index: $0, fail: fail) })
            }
            points.append(point)
            previous = time
        }
        guard !points.isEmpty else { throw TelemetryLogError(path: path, line: 0, expected: "at least one sample") }
        return points
    }

    private static func gpuReading(_ value: JSONValue, index: Int, fail: (String) -> TelemetryLogError) throws -> GPUReading {
        guard case .object = value else { throw fail("gpus[\(index)] as an object") }
        var used = value["memory_used_mb"]?.number, total = value["memory_total_mb"]?.number
        if let percent = value["memory_percent"]?.number { (used, total) = (percent, 100) }
        return GPUReading(
            index: Int(value["index"]?.number ?? Double(index)),
            utilizationPercent: value["utilization"]?.number ?? value["utilization_percent"]?.number,
            memoryUsedMiB: used, memoryTotalMiB: total,
            temperatureCelsius: value["temperature_c"]?.number ?? value["temperature"]?.number
        )
    }

    private static func timestamp(_ value: JSONValue?) -> Date? {
        switch value {
        case .number(let seconds)?: return Date(timeIntervalSince1970: seconds > 1e11 ? seconds / 1000 : seconds)
        case .string(let text)?:
            if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds > 1e11 ? seconds / 1000 : seconds) }
            let withFraction = ISO8601DateFormatter()
            withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return withFraction.date(from: text) ?? ISO8601DateFormatter().date(from: text)
        default: return nil
        }
    }
}
