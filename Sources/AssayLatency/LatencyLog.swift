import AssayCore
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
    public static func read(path: String, displayPath: String? = nil, stages: [String]) throws -> [LatencySample] {
        let name = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: path) else { throw LatencyLogError.unreadable(path: name) }
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
                guard let value = object["\(stage)_ms"]?.number ?? object["stages"]?[stage]?.number else {
                    throw LatencyLogError.malformedLine(
                        path: name, line: lineNumber, expected: "a number in \"\(stage)_ms\" or \"stages\".\"\(stage)\"")
                }
                guard value.isFinite, value >= 0 else {
                    throw LatencyLogError.malformedLine(path: name, line: lineNumber, expected: "\(stage) ≥ 0 ms, got \(value)")
                }
                durations[stage] = value
            }
            let total = object["total_ms"]?.number ?? durations.values.reduce(0, +)
            let id: String? = switch object["request_id"] {
            case .string(let s): s
            case .number(let n): n == n.rounded() ? String(Int(n)) : String(n)
            default: nil
            }
            samples.append(LatencySample(requestID: id, stages: durations, total: total))
        }
        guard !samples.isEmpty else { throw LatencyLogError.empty(path: name) }
        return samples
    }
}
