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
        #expect(points[0].intervalSeconds == 1)
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
        #expect(throws: TelemetryLogError(path: "telemetry.json sample 0", line: 0, expected: "ts, timestamp or time as epoch seconds or ISO-8601")) {
            try read("[{\"cpu\": 3}]")
        }
        #expect(throws: TelemetryLogError(path: "telemetry.json sample 1", line: 0, expected: "samples in time order (interval_s > 0)")) {
            try read("[{\"ts\": 5}, {\"ts\": 4}]")
        }
        #expect(throws: TelemetryLogError(path: "telemetry.json", line: 0, expected: "an array of samples, or an object with a samples array")) {
            try read("{\"host\": \"a\"}")
        }
        #expect(throws: TelemetryLogError(path: "telemetry.json", line: 0, expected: "a JSON document")) { try read("[{\"ts\": 1},") }
    }
}
