import AssayCore
import AssayTelemetry
import Foundation
import AssayTestSupport
import Testing

@Suite struct TelemetryDocumentTests {
    func read(_ text: String) throws -> [ResourcePoint] {
        let url = URL(fileURLWithPath: try TestFiles.temporaryFile("telemetry.json"))
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try TelemetryLog.read(path: url.path, displayPath: "telemetry.json")
    }

    @Test func anArrayWithAliasesAndISOTimes() throws {
        let points = try read("""
            [
              {"timestamp": "2026-11-29T08:00:00Z", "cpu": 41.5, "mem_percent": 60, "gpu_util": 88},
              {"timestamp": "2026-11-29T08:00:05.500Z", "cpu_utilization": 43, "memory_util": 61, "gpu_temp": 71}
            ]
            """)
        #expect(points.count == 2)
        #expect(points[0].cpuPercent == 41.5 && points[0].memoryPercent == 60 && points[0].gpuPercent == 88)
        #expect(points[0].intervalSeconds == 5.5)
        #expect(points[1].intervalSeconds == 5.5)
        #expect(points[1].cpuPercent == 43 && points[1].gpuTemperatureCelsius == 71 && points[1].gpuPercent == nil)
    }

    @Test func cpuGPUMetricsWithPerDeviceReadingsAndEpochMilliseconds() throws {
        let points = try read("""
            {"host": "gpu-node-3", "samples": [
              {"ts": 1764403200000, "interval_s": 10, "cpu_percent": 20,
               "gpus": [{"utilization": 30, "memory_used_mb": 4000, "memory_total_mb": 16000, "temperature_c": 60},
                        {"utilization": 90, "memory_percent": 50, "temperature_c": 75}]}
            ]}
            """)
        let point = try #require(points.first)
        #expect(point.time == Date(timeIntervalSince1970: 1_764_403_200))
        #expect(point.intervalSeconds == 10)
        #expect(point.gpuPercent == 90 && point.gpuMemoryPercent == 50 && point.gpuTemperatureCelsius == 75)
    }

    @Test func jsonLinesAreStillReadAsLines() throws {
        let points = try read("{\"ts\":\"2026-11-29T08:00:00Z\",\"interval_s\":1,\"cpu_percent\":5}\n{\"ts\":\"2026-11-29T08:00:01Z\",\"interval_s\":1}\n")
        #expect(points.count == 2 && points[0].cpuPercent == 5)
    }

    @Test func badDocumentsNameTheSampleAndMember() throws {
        #expect(throws: TelemetryLogError(path: "telemetry.json sample 1", line: 0, expected: "cpu as a number")) {
            try read("[{\"ts\": 1, \"cpu\": 3}, {\"ts\": 2, \"cpu\": \"high\"}]")
        }
        #expect(throws: TelemetryLogError(path: "telemetry.json sample 0", line: 0, expected: "a time: ts, timestamp or time")) {
            try read("[{\"cpu\": 3}]")
        }
        #expect(throws: TelemetryLogError(path: "telemetry.json sample 1", line: 0, expected: "samples in time order (ts after the previous sample's)")) {
            try read("[{\"ts\": 5}, {\"ts\": 4}]")
        }
        #expect(throws: TelemetryLogError(path: "telemetry.json", line: 0, expected: "an array of samples, or an object with a samples array")) {
            try read("{\"host\": \"a\"}")
        }
        #expect(throws: TelemetryLogError(path: "telemetry.json", line: 0, expected: "a JSON document")) { try read("[{\"ts\": 1},") }
    }
}

/// Operators' own JSON-lines telemetry: the same keys, aliases and time formats as whole documents.
@Suite struct TelemetryLinesTests {
    func read(_ text: String) throws -> [ResourcePoint] {
        let path = try TestFiles.temporaryFile("host.jsonl")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try TelemetryLog.read(path: path, displayPath: "host.jsonl")
    }

    /// Epoch seconds and milliseconds, as numbers or strings, and ISO-8601; interval_s derived from the spacing.
    @Test func epochAndISOTimesWithoutIntervals() throws {
        let points = try read("""
            {"ts": 1764403200, "cpu_percent": 10}
            {"ts": 1764403202000, "cpu_percent": 11}
            {"ts": "1764403203", "cpu_percent": 12}
            {"ts": "1764403204500", "cpu_percent": 13}
            {"ts": "2025-11-29T08:00:06Z", "cpu_percent": 14}

            """)
        #expect(points.map(\.time.timeIntervalSince1970) == [1_764_403_200, 1_764_403_202, 1_764_403_203, 1_764_403_204.5, 1_764_403_206])
        #expect(points.map(\.intervalSeconds) == [2, 2, 1, 1.5, 1.5])
    }

    /// The aliases documents accept (cpu, gpu_util, …), per-device gpus arrays, and unknown keys, which are ignored.
    @Test func aliasesDevicesAndUnknownKeys() throws {
        let points = try read("""
            {"time": "2025-11-29T08:00:00Z", "cpu": 41.5, "mem_percent": 60, "gpu_util": 88, "hostname": "gpu-node-3", "tags": {"rack": 4}}
            {"time": "2025-11-29T08:00:10Z", "cpu": 40, "gpus": [{"index": 0, "utilization": 70, "memory_used_mb": 30720, "memory_total_mb": 81920}, {"index": 1, "utilization": 20, "memory_used_mb": 1024, "memory_total_mb": 81920}]}
            """)
        #expect(points[0].cpuPercent == 41.5 && points[0].memoryPercent == 60 && points[0].gpuPercent == 88)
        #expect(points[1].gpuPercent == 70 && points[1].gpuMemoryPercent == 37.5)
        #expect(points[1].gpuDevices?.map(\.memoryUsedMiB) == [30720, 1024])
        #expect(points[1].intervalSeconds == 10)
    }

    /// What `assay telemetry record` writes reads back the same, per-device readings included.
    @Test func recordedLinesRoundTrip() throws {
        var point = ResourcePoint(time: Date(timeIntervalSince1970: 1_800_000_000), intervalSeconds: 1, cpuPercent: 12.5, memoryPercent: 40)
        point.memoryTotalMiB = 24_000
        point.attach([GPUReading(index: 0, utilizationPercent: 50, memoryUsedMiB: 1000, memoryTotalMiB: 80_000, throttleReasons: 0x40)])
        let read = try read(try TelemetryLog.lines([point]))
        #expect(read == [point])
    }

    /// A known key of the wrong type is named with its line and what was expected; nothing is dropped silently.
    @Test func wrongTypesAreNamedWithTheirLine() throws {
        #expect(throws: TelemetryLogError(path: "host.jsonl", line: 2, expected: "cpu_percent as a number")) {
            try read("{\"ts\": 1764403200, \"cpu_percent\": 1}\n{\"ts\": 1764403201, \"cpu_percent\": \"high\"}\n")
        }
        #expect(throws: TelemetryLogError(path: "host.jsonl", line: 1, expected: "ts as ISO-8601, or epoch seconds or milliseconds (a number or a numeric string)")) {
            try read("{\"ts\": true}\n")
        }
        #expect(throws: TelemetryLogError(path: "host.jsonl", line: 1, expected: "gpus as an array of per-device objects")) {
            try read("{\"ts\": 1764403200, \"gpus\": {\"utilization\": 3}}\n")
        }
        #expect(throws: TelemetryLogError(path: "host.jsonl", line: 1, expected: "gpus[0].memory_used_mb as a number")) {
            try read("{\"ts\": 1764403200, \"gpus\": [{\"memory_used_mb\": \"lots\"}]}\n")
        }
        #expect(throws: TelemetryLogError(path: "host.jsonl", line: 1, expected: "interval_s as a number of seconds > 0")) {
            try read("{\"ts\": 1764403200, \"interval_s\": \"1\"}\n")
        }
        #expect(throws: TelemetryLogError(path: "host.jsonl", line: 1, expected: "a JSON object (one sample per line)")) {
            try read("{oops}\n")
        }
    }
}
