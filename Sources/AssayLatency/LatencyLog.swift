import AssayCore
import CSV
import Foundation

/// One request's latencies, in milliseconds.
public struct LatencySample: Sendable, Hashable {
    public var requestID: String?
    public var stages: [String: Double]
    public var total: Double
    /// When the request started, if the log says (`started_at` or `timestamp`: ISO 8601 or Unix seconds).
    public var startedAt: Date?

    public init(requestID: String?, stages: [String: Double], total: Double, startedAt: Date? = nil) {
        self.requestID = requestID
        self.stages = stages
        self.total = total
        self.startedAt = startedAt
    }
}

/// Errors reading latency logs.
public enum LatencyLogError: Error, Sendable, CustomStringConvertible, Equatable {
    case missing(path: String)
    case unreadable(path: String)
    case malformedLine(path: String, line: Int, expected: String)
    case empty(path: String)
    case malformedRecord(path: String, record: Int, expected: String)

    public var description: String {
        switch self {
        case .missing(let path): "\(path): no such file"
        case .unreadable(let path): "\(path): cannot read the latency log"
        case .malformedLine(let path, let line, let expected): "\(path):\(line): expected \(expected)"
        case .empty(let path): "\(path): no latency records"
        case .malformedRecord(let path, let record, let expected): "\(path): record \(record): expected \(expected)"
        }
    }
}

/// Per-request latency logs. JSON lines (the default): each line is an object with
/// - `request_id` (string or integer, optional; enables paired comparison),
/// - one duration per stage in milliseconds, as `<stage>_ms` or inside `"stages": {"<stage>": ms}`,
/// - `total_ms` (optional; the sum of the stages when absent).
/// Blank lines are skipped; any other malformed line is an error naming the file and line.
/// Also read, by extension: `.csv` (a header row), `.json` (a profiling report: the same records in one
/// document) and `.log` (a runtime performance log in logfmt).
public enum LatencyLog {
    /// Reads a JSON-lines log, or a CSV one (`.csv`, header row required). `fields` renames columns: the key is
    /// `request_id`, `total_ms` or `<stage>_ms`, the value the name the log uses.
    public static func read(
        path: String, displayPath: String? = nil, stages: [String], fields: [String: String] = [:]
    ) throws -> [LatencySample] {
        let name = displayPath ?? path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileManager.default.fileExists(atPath: path) ? LatencyLogError.unreadable(path: name) : LatencyLogError.missing(path: name)
        }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".csv") { return try csv(data, name: name, stages: stages, fields: fields) }
        if lowered.hasSuffix(".log") { return try logfmt(data, name: name, stages: stages, fields: fields) }
        if lowered.hasSuffix(".json"), let report = try? JSONDecoder().decode(JSONValue.self, from: data) {
            switch report {
            case .array(let records): return try document(records, name: name, stages: stages, fields: fields)
            case .object(let members) where members["requests"] != nil:
                guard case .array(let records)? = members["requests"] else {
                    throw LatencyLogError.malformedLine(path: name, line: 1, expected: "a \"requests\" array of request records")
                }
                return try document(records, name: name, stages: stages, fields: fields)
            default: break  // a one-line JSON-lines log
            }
        }
        let samples = try jsonLines(data, name: name, stages: stages, fields: fields)
        guard !samples.isEmpty else { throw LatencyLogError.empty(path: name) }
        return samples
    }

    /// The records of a JSON-lines log, in file order, decoded in one run of lines per core for long logs; of two
    /// malformed lines the earlier is named.
    static func jsonLines(_ data: Data, name: String, stages: [String], fields: [String: String]) throws -> [LatencySample] {
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let parts = lines.count < 4096 ? 1 : ProcessInfo.processInfo.activeProcessorCount
        let results = SharedSlots<([LatencySample], (line: Int, expected: String)?)>(count: parts, empty: ([], nil))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var samples: [LatencySample] = []
            for offset in (lines.count * part / parts)..<(lines.count * (part + 1) / parts) {
                do {
                    let record: LatencySample? = try lines[offset].withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                        try Self.sample(bytes: raw.assumingMemoryBound(to: UInt8.self), stages: stages, fields: fields)
                    }
                    if let record { samples.append(record) }
                } catch {
                    results[part] = (samples, (offset + 1, (error as? Expected)?.text ?? "\(error)"))
                    return
                }
            }
            results[part] = (samples, nil)
        }
        if let failure = results.values.compactMap(\.1).first {
            throw LatencyLogError.malformedLine(path: name, line: failure.line, expected: failure.expected)
        }
        return results.values.flatMap(\.0)
    }

    /// One JSON-lines record, for readers that follow a growing log; nil for a blank line.
    public static func sample(line: some StringProtocol, stages: [String], fields: [String: String] = [:]) throws -> LatencySample? {
        var text = String(line)
        return try text.withUTF8 { try sample(bytes: $0, stages: stages, fields: fields) }
    }

    /// One JSON-lines record from its bytes, read by `JSONReader` (about 3 µs a line here; JSONDecoder took 23).
    static func sample(bytes: UnsafeBufferPointer<UInt8>, stages: [String], fields: [String: String]) throws -> LatencySample? {
        guard case .object(let object)? = JSONReader.value(bytes) else {
            if String(decoding: bytes, as: UTF8.self).allSatisfy(\.isWhitespace) { return nil }
            throw Expected(text: "a JSON object")
        }
        return try sample(object, stages: stages, fields: fields)
    }

    /// What a record lacked.
    public struct Expected: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "expected \(text)" }
    }

    /// One request from a JSON object (a JSON-lines line or a record of a profiling report).
    static func sample(_ object: [String: JSONValue], stages: [String], fields: [String: String]) throws -> LatencySample {
        func field(_ key: String) -> String { fields[key] ?? key }
        var durations: [String: Double] = [:]
        for stage in stages {
            guard let value = object[field("\(stage)_ms")]?.number ?? object["stages"]?[stage]?.number else {
                throw Expected(text: "a number in \"\(field("\(stage)_ms"))\" or \"stages\".\"\(stage)\"")
            }
            guard value.isFinite, value >= 0 else { throw Expected(text: "\(stage) ≥ 0 ms, got \(value)") }
            durations[stage] = value
        }
        let total = object[field("total_ms")]?.number ?? durations.values.reduce(0, +)
        let id: String? = switch object[field("request_id")] {
        case .string(let s): s
        case .number(let n): n == n.rounded() ? String(Int(n)) : String(n)
        default: nil
        }
        let started = object[field("started_at")] ?? object["timestamp"]
        return LatencySample(requestID: id, stages: durations, total: total, startedAt: started.flatMap(date))
    }

    /// An ISO 8601 timestamp (with or without fractional seconds) or Unix seconds.
    static func date(_ value: JSONValue) -> Date? {
        switch value {
        case .number(let seconds): return Date(timeIntervalSince1970: seconds)
        case .string(let text): return date(text)
        default: return nil
        }
    }

    static func date(_ text: String) -> Date? {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        return (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }

    /// The records of a profiling report (`profiling_report.json`): one JSON document, either an array of
    /// request records or an object whose `requests` member is that array; each record has the fields of a
    /// JSON-lines line. Errors name the record by its index.
    static func document(_ records: [JSONValue], name: String, stages: [String], fields: [String: String]) throws -> [LatencySample] {
        var samples: [LatencySample] = []
        for (index, record) in records.enumerated() {
            guard case .object(let object) = record else {
                throw LatencyLogError.malformedRecord(path: name, record: index, expected: "a JSON object")
            }
            do {
                samples.append(try sample(object, stages: stages, fields: fields))
            } catch let expected as Expected {
                throw LatencyLogError.malformedRecord(path: name, record: index, expected: expected.text)
            }
        }
        guard !samples.isEmpty else { throw LatencyLogError.empty(path: name) }
        return samples
    }

    /// A runtime performance log (`runtime_perf.log`): text lines in logfmt, `key=value` pairs separated by
    /// spaces, anything else on the line (a timestamp, a level) ignored. A line with a value for every stage
    /// (`preprocess=18.2ms` or `preprocess_ms=18.2`) is one request; `ms`, `s`, `us`/`µs` and `ns` units are
    /// read, a bare number is milliseconds. Lines naming no stage are other log lines and are skipped; a line
    /// naming only some stages is an error.
    static func logfmt(_ data: Data, name: String, stages: [String], fields: [String: String]) throws -> [LatencySample] {
        var samples: [LatencySample] = []
        for (offset, rawLine) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var pairs: [String: Substring] = [:]
            for token in rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                guard let equals = token.firstIndex(of: "=") else { continue }
                var value = token[token.index(after: equals)...]
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
                pairs[String(token[..<equals])] = value
            }
            func raw(_ key: String) -> Substring? {
                if let renamed = fields[key] { return pairs[renamed] }
                return pairs[key] ?? (key.hasSuffix("_ms") ? pairs[String(key.dropLast(3))] : nil)
            }
            let present = stages.filter { raw("\($0)_ms") != nil }
            if present.isEmpty { continue }
            var durations: [String: Double] = [:]
            for stage in stages {
                guard let text = raw("\(stage)_ms") else {
                    throw LatencyLogError.malformedLine(path: name, line: offset + 1, expected: "a value for stage \(stage) (\(stage)=<ms>)")
                }
                guard let value = milliseconds(text), value >= 0 else {
                    throw LatencyLogError.malformedLine(
                        path: name, line: offset + 1, expected: "a duration ≥ 0 for \(stage) such as 12.5ms, got \"\(text)\"")
                }
                durations[stage] = value
            }
            let total = raw("total_ms").flatMap(milliseconds) ?? durations.values.reduce(0, +)
            let id = raw("request_id").map(String.init)
            let started = (raw("started_at") ?? raw("timestamp")).flatMap { date(String($0)) }
            samples.append(LatencySample(requestID: id, stages: durations, total: total, startedAt: started))
        }
        guard !samples.isEmpty else { throw LatencyLogError.empty(path: name) }
        return samples
    }

    /// `12.5ms`, `0.0125s`, `12500us`, `12500µs`, `12500000ns` or `12.5` (ms) as milliseconds.
    static func milliseconds(_ text: Substring) -> Double? {
        let units: [(String, Double)] = [("ms", 1), ("us", 0.001), ("µs", 0.001), ("ns", 0.000_001), ("s", 1000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).flatMap { $0.isFinite ? $0 * scale : nil }
        }
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
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

extension LatencyLogError: AssayError {
    public var exitCode: Int32 {
        switch self {
        case .missing, .unreadable: return ExitStatus.missingInput
        default: break
        }
        return ExitStatus.invalidInput
    }
}
