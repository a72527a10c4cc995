import AssayCore
import CSV
import Foundation

/// One request's latencies, in milliseconds.
public struct LatencySample: Sendable, Hashable {
    public var requestID: String?
    public var stages: [String: Double]
    public var total: Double
}

/// Errors reading latency logs.
public enum LatencyLogError: Error, Sendable, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case malformedLine(path: String, line: Int, expected: String)
    case empty(path: String)

    public var description: String {
        switch self {
        case .unreadable(let path): "\(path): cannot read the latency log"
        case .malformedLine(let path, let line, let expected): "\(path):\(line): expected \(expected)"
        case .empty(let path): "\(path): no latency records"
        }
    }
}

/// Per-request latency logs as JSON lines. Each line is an object with
/// - `request_id` (string or integer, optional; enables paired comparison),
/// - one duration per stage in milliseconds, as `<stage>_ms` or inside `"stages": {"<stage>": ms}`,
/// - `total_ms` (optional; the sum of the stages when absent).
/// Blank lines are skipped; any other malformed line is an error naming the file and line.
public enum LatencyLog {
    /// Reads a JSON-lines log, or a CSV one (`.csv`, header row required). `fields` renames columns: the key is
    /// `request_id`, `total_ms` or `<stage>_ms`, the value the name the log uses.
    public static func read(
        path: String, displayPath: String? = nil, stages: [String], fields: [String: String] = [:]
    ) throws -> [LatencySample] {
        let name = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: path) else { throw LatencyLogError.unreadable(path: name) }
        if path.lowercased().hasSuffix(".csv") { return try csv(data, name: name, stages: stages, fields: fields) }
        func field(_ key: String) -> String { fields[key] ?? key }
        var samples: [LatencySample] = []
        var lineNumber = 0
        let decoder = JSONDecoder()
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }) { continue }
            guard let object = try? decoder.decode([String: JSONValue].self, from: Data(line)) else {
                throw LatencyLogError.malformedLine(path: name, line: lineNumber, expected: "a JSON object")
            }
            var durations: [String: Double] = [:]
            for stage in stages {
                guard let value = object[field("\(stage)_ms")]?.number ?? object["stages"]?[stage]?.number else {
                    throw LatencyLogError.malformedLine(
                        path: name, line: lineNumber, expected: "a number in \"\(field("\(stage)_ms"))\" or \"stages\".\"\(stage)\"")
                }
                guard value.isFinite, value >= 0 else {
                    throw LatencyLogError.malformedLine(path: name, line: lineNumber, expected: "\(stage) ≥ 0 ms, got \(value)")
                }
                durations[stage] = value
            }
            let total = object[field("total_ms")]?.number ?? durations.values.reduce(0, +)
            let id: String? = switch object[field("request_id")] {
            case .string(let s): s
            case .number(let n): n == n.rounded() ? String(Int(n)) : String(n)
            default: nil
            }
            samples.append(LatencySample(requestID: id, stages: durations, total: total))
        }
        guard !samples.isEmpty else { throw LatencyLogError.empty(path: name) }
        return samples
    }

    static func csv(_ data: Data, name: String, stages: [String], fields: [String: String]) throws -> [LatencySample] {
        guard let text = String(data: data, encoding: .utf8), let reader = try? CSVReader(string: text, hasHeaderRow: true),
            let header = reader.headerRow
        else { throw LatencyLogError.malformedLine(path: name, line: 1, expected: "a CSV header row") }
        func column(_ key: String) -> Int? { header.firstIndex(of: fields[key] ?? key) }
        var stageColumns: [(String, Int)] = []
        for stage in stages {
            guard let index = column("\(stage)_ms") else {
                throw LatencyLogError.malformedLine(path: name, line: 1, expected: "a column \"\(fields["\(stage)_ms"] ?? "\(stage)_ms")\"")
            }
            stageColumns.append((stage, index))
        }
        let idColumn = column("request_id")
        let totalColumn = column("total_ms")
        var samples: [LatencySample] = []
        var line = 1
        while let row = reader.next() {
            line += 1
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            var durations: [String: Double] = [:]
            for (stage, index) in stageColumns {
                guard index < row.count, let value = Double(row[index].trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else {
                    throw LatencyLogError.malformedLine(path: name, line: line, expected: "a number ≥ 0 in column \(header[index])")
                }
                durations[stage] = value
            }
            let total = totalColumn.flatMap { $0 < row.count ? Double(row[$0]) : nil } ?? durations.values.reduce(0, +)
            samples.append(LatencySample(requestID: idColumn.flatMap { $0 < row.count ? row[$0] : nil }, stages: durations, total: total))
        }
        if let error = reader.error { throw LatencyLogError.malformedLine(path: name, line: line, expected: "valid CSV (\(error))") }
        guard !samples.isEmpty else { throw LatencyLogError.empty(path: name) }
        return samples
    }
}
