import AssayApp
import AssayBaseline
import AssayConfig
import AssayCore
import AssayTestSupport
import Foundation
import Testing

@Suite struct BaselineChangesTests {
    static func write(_ text: String, _ name: String) throws -> String {
        let path = try TestFiles.temporaryDirectory("assay-changes") + "/" + name
        try AtomicFile.write(Array(text.utf8), to: path)
        return path
    }

    static let configuration = Configuration(path: "/nonexistent/assay.yaml", root: "/")

    /// A CSV with a time column: the change point's index, row, time and means, in the JSON users script against.
    @Test func aCSVStepIsReportedWithItsRowAndTime() throws {
        var lines = ["time,p95_ms"]
        for hour in 0..<48 {
            let value = (hour >= 30 ? 55.0 : 40.0) + Double(hour % 3) * 0.5
            lines.append("2026-11-20T\(String(format: "%02d", hour % 24)):00:00Z".replacingOccurrences(of: "2026-11-20", with: hour < 24 ? "2026-11-20" : "2026-11-21") + ",\(value)")
        }
        let path = try Self.write(lines.joined(separator: "\n") + "\n", "p95.csv")
        let output = try BaselineUseCases.changes(path, column: nil, timeColumn: nil, period: nil, failOnRegression: true, configuration: Self.configuration)
        #expect(output.exitCode == 1, "the +15 ms step breaks the P95 rule")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.rendered(.json).utf8)) as? [String: Any])
        let points = try #require(json["change_points"] as? [[String: Any]])
        #expect(points.count == 1)
        #expect(points.first?["index"] as? Int == 30 && points.first?["row"] as? Int == 32)
        #expect(points.first?["time"] as? String == "2026-11-21T06:00:00Z")
        #expect(abs((points.first?["mean_after"] as? Double ?? 0) - 55.5) < 0.1)
        #expect(json.keys.contains("trend"))
        #expect(output.text().contains("REGRESSION: the last change, at row 32"))
    }

    /// JSON lines read the same way.
    @Test func jsonLinesWithEpochTimes() throws {
        let text = (0..<40).map { "{\"ts\": \(1_800_000_000 + $0 * 60), \"throughput_rps\": \($0 >= 20 ? 80 : 120)}" }.joined(separator: "\n")
        let path = try Self.write(text, "rps.jsonl")
        let output = try BaselineUseCases.changes(path, column: "throughput_rps", timeColumn: nil, period: nil, failOnRegression: true, configuration: Self.configuration)
        #expect(output.result.shifts.map(\.index) == [20])
        #expect(output.exitCode == 1)
    }

    /// A series that drifts (a random walk, hourly) reports its drift per point and per hour, not a staircase.
    @Test func aDriftingSeriesReportsItsDrift() throws {
        var generator = SplitMix64(seed: 4)
        var level = 100.0
        let lines = ["ts,queue_depth"] + (0..<400).map { hour -> String in
            level += 0.5 + generator.nextGaussian()
            return "\(1_800_000_000 + hour * 3600),\(level)"
        }
        let path = try Self.write(lines.joined(separator: "\n") + "\n", "queue.csv")
        let output = try BaselineUseCases.changes(path, column: nil, timeColumn: nil, period: nil, failOnRegression: false, configuration: Self.configuration)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.rendered(.json).utf8)) as? [String: Any])
        #expect((json["change_points"] as? [Any])?.isEmpty == true, "\(output.text())")
        let drift = try #require(json["drift"] as? [String: Any])
        #expect(abs((drift["slope_per_point"] as? Double ?? 0) - 0.5) < 0.25)
        #expect(abs((drift["slope_per_hour"] as? Double ?? 0) - (drift["slope_per_point"] as? Double ?? 1)) < 1e-9)
        #expect(output.text().contains("drifts (a random walk, not steps)"))
    }

    /// Bad input names the row and what was expected.
    @Test func badInputNamesTheRow() throws {
        let csv = try Self.write("time,p95_ms\n2026-11-20T00:00:00Z,40\n2026-11-20T01:00:00Z,fast\n2026-11-20T02:00:00Z,41\n", "bad.csv")
        #expect(throws: InputError(path: csv, line: 3, expected: "p95_ms as a number (found \"fast\")")) {
            try BaselineUseCases.read(csv, column: "p95_ms", timeColumn: nil)
        }
        #expect(throws: InputError(path: csv, line: 1, expected: "a column named p99_ms (columns: time, p95_ms)")) {
            try BaselineUseCases.read(csv, column: "p99_ms", timeColumn: nil)
        }
        let short = try Self.write("value\n1\n2\n", "short.csv")
        #expect(throws: InputError(path: short, line: 0, expected: "at least 3 points (found 2)")) {
            try BaselineUseCases.read(short, column: nil, timeColumn: nil)
        }
        let ragged = try Self.write("a,b\n1,2\n3\n", "ragged.csv")
        #expect(throws: InputError(path: ragged, line: 3, expected: "2 comma-separated cells as in the header")) {
            try BaselineUseCases.read(ragged, column: nil, timeColumn: nil)
        }
    }
}
