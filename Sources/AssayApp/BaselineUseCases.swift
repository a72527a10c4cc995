import AssayBaseline
import AssayConfig
import AssayCore
import Foundation

/// `assay baseline changes`: the change points, trend or drift of any metric series in a CSV or JSON-lines file.
public enum BaselineUseCases {
    /// A metric column read from a file, with its times when it has a time column.
    public struct Series: Sendable {
        public var column: String
        public var values: [Double]
        public var times: [Date]?
        /// The file's row (1-based, header counted for CSV) of each value.
        public var rows: [Int]
    }

    /// Reads `column` (default: the last numeric column) and the time column (`timeColumn`, else `time`,
    /// `timestamp`, `ts` or `date` when present) of a CSV with a header row or of JSON lines.
    public static func read(_ path: String, column: String?, timeColumn: String?) throws -> Series {
        try requireFile(path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        let isJSONLines = lines.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.hasPrefix("{") == true
        var records: [(row: Int, cells: [String: String])] = []
        var header: [String] = []
        if isJSONLines {
            for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                guard case .object(let members)? = JSONValue.parse(Array(line.utf8)) else {
                    throw InputError(path: path, line: index + 1, expected: "a JSON object")
                }
                var cells: [String: String] = [:]
                for (key, value) in members {
                    switch value {
                    case .number(let number): cells[key] = String(number)
                    case .string(let string): cells[key] = string
                    default: break
                    }
                    if !header.contains(key) { header.append(key) }
                }
                records.append((index + 1, cells))
            }
        } else {
            guard let first = lines.first else { throw InputError(path: path, line: 1, expected: "a header row") }
            header = CSVLine.split(first)
            for (index, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let values = CSVLine.split(line)
                guard values.count == header.count else {
                    throw InputError(path: path, line: index + 1, expected: "\(header.count) comma-separated cells as in the header")
                }
                records.append((index + 1, Dictionary(zip(header, values), uniquingKeysWith: { a, _ in a })))
            }
        }
        let timeName = timeColumn ?? header.first { ["time", "timestamp", "ts", "date"].contains($0.lowercased()) }
        if let timeColumn, !header.contains(timeColumn) {
            throw InputError(path: path, line: 1, expected: "a time column named \(timeColumn) (columns: \(header.joined(separator: ", ")))")
        }
        let name: String
        if let column {
            guard header.contains(column) else {
                throw InputError(path: path, line: 1, expected: "a column named \(column) (columns: \(header.joined(separator: ", ")))")
            }
            name = column
        } else {
            guard let last = header.last(where: { key in key != timeName && records.first.flatMap { Double($0.cells[key] ?? "") } != nil }) else {
                throw InputError(path: path, line: 1, expected: "a numeric column (name it with --column)")
            }
            name = last
        }
        var values: [Double] = []
        var times: [Date] = []
        for record in records {
            guard let cell = record.cells[name], let value = Double(cell.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw InputError(path: path, line: record.row, expected: "\(name) as a number (found \"\(record.cells[name] ?? "")\")")
            }
            values.append(value)
            if let timeName {
                guard let cell = record.cells[timeName], let time = Self.time(cell) else {
                    throw InputError(path: path, line: record.row, expected: "\(timeName) as ISO-8601 or epoch seconds (found \"\(record.cells[timeName] ?? "")\")")
                }
                times.append(time)
            }
        }
        guard values.count >= 3 else { throw InputError(path: path, line: 0, expected: "at least 3 points (found \(values.count))") }
        return Series(column: name, values: values, times: timeName == nil ? nil : times, rows: records.map(\.row))
    }

    static func time(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = JSONCoding.timestamp(trimmed) { return date }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy-MM"] {
            day.dateFormat = format
            if let date = day.date(from: trimmed) { return date }
        }
        return nil
    }

    /// The series' shifts and trend; with `failOnRegression`, exit 1 when the last shift breaks the regression rules
    /// for the column's kind (by its name: `…p95_ms`, `…_ms`, `…throughput_rps`, else a utilization).
    public static func changes(
        _ path: String, column: String?, timeColumn: String?, period: Int?, failOnRegression: Bool, configuration: Configuration
    ) throws -> ChangesOutput {
        let series = try read(path, column: column, timeColumn: timeColumn)
        let result = LevelShiftDetector().analyze(series.values, times: series.times, period: period)
        var regression: String?
        if failOnRegression, let last = result.shifts.last {
            let metric = CurrentMetric(name: series.column, value: last.meanAfter, evidence: Evidence(path: path, sha256: ""))
            let (within, rule) = BaselineAnalyzer(thresholds: configuration.thresholds).withinBounds(metric, baseline: last.meanBefore)
            if !within { regression = "the last change, at row \(series.rows[last.index]), breaks the rule \(rule)" }
        }
        return ChangesOutput(file: path, series: series, result: result, regression: regression)
    }
}

/// The detector's findings on one series.
public struct ChangesOutput: CommandOutput {
    public var file: String
    public var series: BaselineUseCases.Series
    public var result: LevelShiftDetector.Result
    public var regression: String?

    public var exitCode: Int32 { regression == nil ? 0 : 1 }

    struct Point: Encodable {
        var index: Int, row: Int, time: Date?, kind: LevelShiftDetector.Shift.Kind, meanBefore: Double, meanAfter: Double, magnitude: Double
        var relativeChange: Double, pValue: Double, stddevBefore: Double, stddevAfter: Double, slopeBefore: Double?, slopeAfter: Double?
        enum CodingKeys: String, CodingKey {
            case index, row, time, kind, magnitude
            case stddevBefore = "stddev_before", stddevAfter = "stddev_after", slopeBefore = "slope_before", slopeAfter = "slope_after"
            case meanBefore = "mean_before", meanAfter = "mean_after", relativeChange = "relative_change", pValue = "p_value"
        }
    }

    struct TrendJSON: Encodable {
        var slopePerPoint: Double, low: Double, high: Double, totalChange: Double, slopePerHour: Double?
        enum CodingKeys: String, CodingKey {
            case slopePerPoint = "slope_per_point", low = "ci95_low", high = "ci95_high", totalChange = "total_change", slopePerHour = "slope_per_hour"
        }
    }

    struct DriftJSON: Encodable {
        var slopePerPoint: Double, stddevPerPoint: Double, slopePerHour: Double?, phi: Double
        enum CodingKeys: String, CodingKey {
            case phi
            case slopePerPoint = "slope_per_point", stddevPerPoint = "stddev_per_point", slopePerHour = "slope_per_hour"
        }
    }

    enum CodingKeys: String, CodingKey {
        case file, column, points, noise, phi, trend, drift, season, regression
        case changePoints = "change_points"
    }

    var points: [Point] {
        result.shifts.map { shift in
            Point(
                index: shift.index, row: series.rows[shift.index], time: series.times?[shift.index], kind: shift.kind, meanBefore: shift.meanBefore,
                meanAfter: shift.meanAfter, magnitude: shift.magnitude, relativeChange: shift.relativeChange, pValue: shift.pValue,
                stddevBefore: shift.stddevBefore, stddevAfter: shift.stddevAfter, slopeBefore: shift.slopeBefore, slopeAfter: shift.slopeAfter)
        }
    }

    var pointsPerHour: Double? {
        guard let times = series.times, let first = times.first, let last = times.last, last > first else { return nil }
        return Double(times.count - 1) / (last.timeIntervalSince(first) / 3600)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(series.column, forKey: .column)
        try c.encode(series.values.count, forKey: .points)
        try c.encode(result.noise, forKey: .noise)
        try c.encode(result.model.phi, forKey: .phi)
        try c.encode(points, forKey: .changePoints)
        if let trend = result.trend {
            try c.encode(
                TrendJSON(
                    slopePerPoint: trend.slopePerPoint, low: trend.low, high: trend.high, totalChange: trend.totalChange,
                    slopePerHour: pointsPerHour.map { trend.slopePerPoint * $0 }),
                forKey: .trend)
        } else {
            try c.encodeNil(forKey: .trend)
        }
        if let drift = result.drift {
            try c.encode(
                DriftJSON(
                    slopePerPoint: drift.slopePerPoint, stddevPerPoint: drift.stddevPerPoint, slopePerHour: pointsPerHour.map { drift.slopePerPoint * $0 },
                    phi: result.model.phi),
                forKey: .drift)
        }
        if let season = result.season { try c.encode(season, forKey: .season) }
        try c.encodeIfPresent(regression, forKey: .regression)
    }

    func describe(_ point: Point) -> String {
        let sign = point.magnitude >= 0 ? "+" : ""
        let when = point.time.map { " (\($0.formatted(.iso8601)))" } ?? ""
        if point.kind == .slope, let before = point.slopeBefore, let after = point.slopeAfter {
            return "row \(point.row)\(when): slope \(Formatting.number(before, digits: 4)) → \(Formatting.number(after, digits: 4)) per point, p = \(String(format: "%.2g", point.pValue))"
        }
        if point.kind == .variance {
            return "row \(point.row)\(when): spread σ \(Formatting.number(point.stddevBefore, digits: 3)) → \(Formatting.number(point.stddevAfter, digits: 3)) (level \(Formatting.number(point.meanBefore, digits: 3)) → \(Formatting.number(point.meanAfter, digits: 3))), p = \(String(format: "%.2g", point.pValue))"
        }
        return "row \(point.row)\(when): \(Formatting.number(point.meanBefore, digits: 3)) → \(Formatting.number(point.meanAfter, digits: 3)) (\(sign)\(Formatting.number(point.magnitude, digits: 3)), \(sign)\(Formatting.percent(point.relativeChange * 100))), p = \(String(format: "%.2g", point.pValue))"
    }

    var summary: [String] {
        var lines: [String] = []
        if let season = result.season {
            lines.append("seasonality removed: \(season.name) (explains \(Formatting.percent(season.strength * 100, digits: 0)) of the variation around the level)")
        }
        if let trend = result.trend {
            let hourly = pointsPerHour.map { ", \(Formatting.number(trend.slopePerPoint * $0, digits: 3)) per hour" } ?? ""
            lines.append(
                "trend: \(Formatting.number(trend.slopePerPoint, digits: 4)) per point [\(Formatting.number(trend.low, digits: 4)), \(Formatting.number(trend.high, digits: 4))]\(hourly); \(Formatting.number(trend.totalChange, digits: 3)) over the series")
        }
        if let drift = result.drift {
            let hourly = pointsPerHour.map { ", \(Formatting.number(drift.slopePerPoint * $0, digits: 3)) per hour" } ?? ""
            lines.append(
                "drifts (a random walk, not steps): \(Formatting.number(drift.slopePerPoint, digits: 4)) per point\(hourly), increments σ \(Formatting.number(drift.stddevPerPoint, digits: 4)); its change points are changes of slope")
        }
        if let regression { lines.append("REGRESSION: \(regression)") }
        return lines
    }

    public func text() -> String {
        var lines = ["\(file): \(series.column), \(series.values.count) points, noise σ \(Formatting.number(result.noise, digits: 3)); \(result.shifts.count) change point\(result.shifts.count == 1 ? "" : "s")"]
        lines += points.map { "  " + describe($0) }
        return (lines + summary).joined(separator: "\n")
    }

    public func markdown() -> String {
        let table = MarkdownTable(
            ["Row", "Time", "Mean before", "Mean after", "Change", "p"],
            rows: points.map {
                [String($0.row), $0.time?.formatted(.iso8601) ?? "—", Formatting.number($0.meanBefore, digits: 3), Formatting.number($0.meanAfter, digits: 3),
                 Formatting.percent($0.relativeChange * 100), String(format: "%.2g", $0.pValue)]
            })
        return "### Change points of \(series.column) in \(file)\n\n\(table.text)" + summary.map { "\n- " + $0 }.joined()
    }
}

/// One CSV line split on commas, with double-quoted cells.
enum CSVLine {
    static func split(_ line: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if character == "\"" {
                quoted.toggle()
            } else if character == ",", !quoted {
                cells.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        cells.append(current.trimmingCharacters(in: .whitespaces))
        return cells
    }
}
