import AssayCore
import Foundation

/// One load level of a load test: what was offered, what came back, and the latency percentiles the tool reported.
public struct LoadTestStep: Sendable, Hashable, Codable {
    /// "concurrency 4", "rate 100/s", "32 connections", "Aggregated".
    public var load: String
    public var throughputRPS: Double
    public var requests: Int?
    public var failures: Int?
    public var meanMs: Double?
    public var p50Ms: Double?
    public var p90Ms: Double?
    public var p95Ms: Double?
    public var p99Ms: Double?
    /// Per-component means the tool breaks latency into (perf_analyzer's server queue and compute times), ms.
    public var componentsMs: [String: Double] = [:]

    public init(load: String, throughputRPS: Double) {
        self.load = load
        self.throughputRPS = throughputRPS
    }
}

/// A load test's result as its tool wrote it.
public struct LoadTestResult: Sendable, Hashable {
    public enum Tool: String, Sendable, Hashable, CaseIterable, Codable {
        case perfAnalyzer = "perf_analyzer", wrk, locust
    }

    public var tool: Tool
    public var steps: [LoadTestStep]

    /// The step that sustained the most throughput.
    public var peak: LoadTestStep? { steps.max { $0.throughputRPS < $1.throughputRPS } }
}

/// A load-test result that cannot be read, located.
public typealias LoadTestError = InputError

/// Reads Triton perf_analyzer CSV (`-f`), wrk and wrk2 output (`--latency`), and Locust `--csv` stats.
public enum LoadTestImport {
    /// Recognizes the tool from the text.
    public static func read(_ text: String, path: String) throws -> LoadTestResult {
        let firstLine = text.split(maxSplits: 1, whereSeparator: \.isNewline).first.map(String.init) ?? ""
        if firstLine.contains("Inferences/Second") { return try perfAnalyzer(text, path: path) }
        if firstLine.hasPrefix("Type,Name,Request Count") { return try locust(text, path: path) }
        if text.contains("Requests/sec:") { return try wrk(text, path: path) }
        throw LoadTestError(path: path, line: 1, expected: "perf_analyzer CSV, wrk output or Locust stats CSV")
    }

    static func csvRows(_ text: String) -> [[String]] {
        text.split(whereSeparator: \.isNewline).map { line in
            var fields: [String] = []
            var field = ""
            var quoted = false
            for character in line.hasSuffix("\r") ? line.dropLast() : line {
                if character == "\"" {
                    quoted.toggle()
                } else if character == ",", !quoted {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
            }
            fields.append(field)
            return fields
        }
    }

    /// perf_analyzer `-f`: one row per concurrency or request rate; times in microseconds.
    public static func perfAnalyzer(_ text: String, path: String) throws -> LoadTestResult {
        let rows = csvRows(text)
        guard let header = rows.first, let rateColumn = header.firstIndex(of: "Inferences/Second") else {
            throw LoadTestError(path: path, line: 1, expected: "a perf_analyzer header with Inferences/Second")
        }
        let loadName = header.first == "Request Rate" ? "rate" : "concurrency"
        let components = ["Client Send", "Network+Server Send/Recv", "Server Queue", "Server Compute Input", "Server Compute Infer", "Server Compute Output", "Client Recv"]
        var steps: [LoadTestStep] = []
        for (index, row) in rows.dropFirst().enumerated() {
            let line = index + 2
            guard row.count == header.count else { throw LoadTestError(path: path, line: line, expected: "\(header.count) fields, found \(row.count)") }
            func value(_ column: String) throws -> Double? {
                guard let at = header.firstIndex(of: column) else { return nil }
                guard let number = Double(row[at].trimmingCharacters(in: .whitespaces)), number.isFinite else {
                    throw LoadTestError(path: path, line: line, expected: "a number in column \(column), found '\(row[at])'")
                }
                return number
            }
            guard let rate = Double(row[rateColumn]) else {
                throw LoadTestError(path: path, line: line, expected: "a number in column Inferences/Second, found '\(row[rateColumn])'")
            }
            var step = LoadTestStep(load: "\(loadName) \(row[0])", throughputRPS: rate)
            step.p50Ms = try value("p50 latency").map { $0 / 1000 }
            step.p90Ms = try value("p90 latency").map { $0 / 1000 }
            step.p95Ms = try value("p95 latency").map { $0 / 1000 }
            step.p99Ms = try value("p99 latency").map { $0 / 1000 }
            step.meanMs = try value("Avg latency").map { $0 / 1000 }
            if step.meanMs == nil {
                let parts = try components.compactMap { try value($0) }
                if !parts.isEmpty { step.meanMs = parts.reduce(0, +) / 1000 }
            }
            for component in components { if let v = try value(component) { step.componentsMs[component] = v / 1000 } }
            steps.append(step)
        }
        guard !steps.isEmpty else { throw LoadTestError(path: path, line: 2, expected: "at least one measurement row") }
        return LoadTestResult(tool: .perfAnalyzer, steps: steps.sorted { $0.load.localizedStandardCompare($1.load) == .orderedAscending })
    }

    /// Locust `--csv PREFIX` → `PREFIX_stats.csv`: the Aggregated row (times in ms).
    public static func locust(_ text: String, path: String) throws -> LoadTestResult {
        let rows = csvRows(text)
        guard let header = rows.first, header.contains("Requests/s") else {
            throw LoadTestError(path: path, line: 1, expected: "a Locust stats header with Requests/s")
        }
        guard let index = rows.firstIndex(where: { $0.count > 1 && $0[1] == "Aggregated" }) else {
            throw LoadTestError(path: path, line: 0, expected: "an Aggregated row")
        }
        let row = rows[index]
        guard row.count == header.count else { throw LoadTestError(path: path, line: index + 1, expected: "\(header.count) fields") }
        func value(_ column: String) -> Double? { header.firstIndex(of: column).flatMap { Double(row[$0]) } }
        guard let rate = value("Requests/s") else {
            throw LoadTestError(path: path, line: index + 1, expected: "a number in column Requests/s")
        }
        var step = LoadTestStep(load: "Aggregated", throughputRPS: rate)
        func count(_ column: String) throws -> Int? {
            guard let number = value(column) else { return nil }
            guard number >= 0, let whole = Int(exactly: number) else {
                throw LoadTestError(path: path, line: index + 1, expected: "a whole number of requests in column \(column)")
            }
            return whole
        }
        step.requests = try count("Request Count")
        step.failures = try count("Failure Count")
        step.meanMs = value("Average Response Time")
        step.p50Ms = value("50%")
        step.p90Ms = value("90%")
        step.p95Ms = value("95%")
        step.p99Ms = value("99%")
        return LoadTestResult(tool: .locust, steps: [step])
    }

    /// wrk `--latency` (percentiles 50/75/90/99) and wrk2 (its detailed percentile spectrum gives P95 too).
    public static func wrk(_ text: String, path: String) throws -> LoadTestResult {
        func milliseconds(_ token: Substring) -> Double? {
            for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] where token.hasSuffix(suffix) {
                if let value = Double(token.dropLast(suffix.count)) { return value * scale }
            }
            return nil
        }
        var connections: String?
        var rate: Double?
        var requests: Int?
        var mean: Double?
        var percentiles: [Double: Double] = [:]
        var spectrum: [(q: Double, ms: Double)] = []
        var inSpectrum = false
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let words = raw.split(separator: " ")
            guard let first = words.first else { continue }
            if raw.contains("Detailed Percentile spectrum") { inSpectrum = true; continue }
            if inSpectrum {
                if words.count == 4, let value = Double(words[0]), let q = Double(words[1]) { spectrum.append((q, value)); continue }
                if first.hasPrefix("#[") || first == "Value" || words.isEmpty { continue }
                inSpectrum = false
            }
            if words.count >= 4, words[1] == "threads", words[2] == "and" { connections = "\(words[3]) connections" }
            if first == "Latency", words.count >= 2, mean == nil { mean = milliseconds(words[1]) }
            if first.hasSuffix("%"), words.count == 2, let q = Double(first.dropLast()), let ms = milliseconds(words[1]) { percentiles[q] = ms }
            if words.count >= 3, words[1] == "requests", words[2] == "in" { requests = Int(first) }
            if first == "Requests/sec:" {
                guard words.count == 2, let value = Double(words[1]) else {
                    throw LoadTestError(path: path, line: index + 1, expected: "Requests/sec: followed by a number")
                }
                rate = value
            }
        }
        guard let rate else { throw LoadTestError(path: path, line: 0, expected: "a Requests/sec: line") }
        var step = LoadTestStep(load: connections ?? "wrk", throughputRPS: rate)
        step.requests = requests
        step.meanMs = mean
        step.p50Ms = percentiles[50]
        step.p90Ms = percentiles[90]
        step.p99Ms = percentiles[99]
        // wrk2's spectrum: the first recorded value at or above the 95th percentile.
        step.p95Ms = percentiles[95] ?? spectrum.first { $0.q >= 0.95 }?.ms
        return LoadTestResult(tool: .wrk, steps: [step])
    }
}
