import AssayCore
import Foundation

/// Errors reading telemetry logs.
public typealias TelemetryLogError = InputError

/// Telemetry logs, in time order: one `ResourcePoint` per line as JSON (`ts`, `interval_s`, `cpu_percent`, `memory_percent`,
/// `disk_read_mb_s`, `disk_write_mb_s`, `disk_util_percent`, `net_rx_mb_s`, `net_tx_mb_s`, `load1`,
/// `psi_cpu_some_avg10`, `gpus`, …; any may be absent), with the same keys, aliases and time formats as whole documents
/// (`telemetry.json`, `cpu_gpu_metrics.json`), which `TelemetryDocument` reads.
public enum TelemetryLog {
    public static func read(path: String, displayPath: String? = nil) throws -> [ResourcePoint] {
        let name = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TelemetryLogError(path: name, line: 0, expected: "a readable telemetry log")
        }
        if TelemetryDocument.looksLikeDocument(data, path: name) { return try TelemetryDocument.parse(data, path: name) }
        var points: [ResourcePoint] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { continue }
            func fail(_ expected: String) -> TelemetryLogError { TelemetryLogError(path: name, line: index + 1, expected: expected) }
            guard let sample = JSONValue.parse(line) else { throw fail("a JSON object (one sample per line)") }
            points.append(try TelemetryDocument.point(sample, previous: points.last?.time, fail: fail))
        }
        return try TelemetryDocument.finished(points, path: name)
    }

    public static func lines(_ points: [ResourcePoint]) throws -> String {
        let encoder = JSONCoding.encoder()
        return try points.map { try line($0, encoder: encoder) }.joined()
    }

    /// One sample as its log line, newline included.
    public static func line(_ point: ResourcePoint, encoder: JSONEncoder = JSONCoding.encoder()) throws -> String {
        String(decoding: try encoder.encode(point), as: UTF8.self) + "\n"
    }

    /// Samples the host every `interval` for `duration` seconds and returns the points, each also handed to
    /// `onPoint` as it is taken (which may throw to stop). Cancelled (a signal, the caller's deadline), it stops at
    /// once and returns what it has.
    public static func record(
        sampler: HostSampler, gpus: GPUSampler? = nil, duration: Double, interval: Double, onPoint: ((ResourcePoint) throws -> Void)? = nil
    ) async throws -> [ResourcePoint] {
        var previous = sampler.sample()
        var previousCgroup = sampler.cgroup()
        var points: [ResourcePoint] = []
        let count = max(1, Int((duration / interval).rounded()))
        for _ in 0..<count {
            do {
                try await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
            } catch {
                break
            }
            let next = sampler.sample()
            let cgroup = sampler.cgroup()
            if var point = ResourcePoint(from: previous, to: next) {
                point.attach(gpus?.readings() ?? [])
                point.attach(cgroup: previousCgroup, cgroup)
                points.append(point)
                try onPoint?(point)
            }
            previous = next
            previousCgroup = cgroup
        }
        return points
    }
}
