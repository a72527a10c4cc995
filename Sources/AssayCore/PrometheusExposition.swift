import Foundation

/// The Prometheus text exposition format (0.0.4) and the OpenMetrics text it overlaps with: `# TYPE` lines, samples
/// `name{label="value",…} value [timestamp]` with escaped label values, `+Inf`/`-Inf`/`NaN`, and the trailing
/// commas some exporters (TorchServe) write in label sets.
public struct PrometheusExposition: Sendable {
    public struct Sample: Sendable, Hashable {
        public var name: String
        public var labels: [String: String]
        public var value: Double

        public init(name: String, labels: [String: String], value: Double) {
            self.name = name
            self.labels = labels
            self.value = value
        }
    }

    /// A line that is not a sample, located.
    public typealias ParseError = InputError

    public var samples: [Sample]
    /// Metric family → type (`counter`, `gauge`, `histogram`, `summary`, `untyped`) from `# TYPE` lines.
    public var types: [String: String]

    /// Parses every line; a malformed one is an error naming its line.
    public init(_ text: String, source: String = "scrape") throws {
        samples = []
        types = [:]
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3)
                if words.count >= 4, words[1] == "TYPE" { types[String(words[2])] = String(words[3]) }
                continue
            }
            guard let sample = Self.sample(line) else {
                throw ParseError(path: source, line: index + 1, expected: "a sample: name{label=\"value\",…} value [timestamp]")
            }
            samples.append(sample)
        }
    }

    /// The samples of one metric whose labels include `matching`.
    public func values(_ name: String, matching: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && matching.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The one sample of `name` matching `labels`, summed when several match (e.g. across versions).
    public func sum(_ name: String, matching: [String: String] = [:]) -> Double? {
        let found = values(name, matching: matching)
        return found.isEmpty ? nil : found.reduce(0) { $0 + $1.value }
    }

    /// How much the counters `name` matching `labels` grew since `before` (summed): this page's total less
    /// `before`'s, or this page's total when `before` is nil or lacks them. A total that went backwards (a restart)
    /// counts from zero, and `name` is added to `resets`. Nil when this page has no such counter.
    public func increase(_ name: String, matching labels: [String: String] = [:], since before: PrometheusExposition?, resets: inout [String]) -> Double? {
        guard let now = sum(name, matching: labels) else { return nil }
        guard let before, let then = before.sum(name, matching: labels) else { return now }
        if now < then {
            resets.append(name)
            return now
        }
        return now - then
    }

    static func sample(_ line: Substring) -> Sample? {
        var index = line.startIndex
        func isNameCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == ":" }
        while index < line.endIndex, isNameCharacter(line[index]) { index = line.index(after: index) }
        let name = String(line[line.startIndex..<index])
        guard !name.isEmpty, !(name.first?.isNumber ?? true) else { return nil }
        var labels: [String: String] = [:]
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while true {
                while index < line.endIndex, line[index] == " " || line[index] == "," { index = line.index(after: index) }
                guard index < line.endIndex else { return nil }
                if line[index] == "}" {
                    index = line.index(after: index)
                    break
                }
                let keyStart = index
                while index < line.endIndex, isNameCharacter(line[index]) { index = line.index(after: index) }
                let key = String(line[keyStart..<index])
                guard !key.isEmpty, index < line.endIndex, line[index] == "=" else { return nil }
                index = line.index(after: index)
                guard index < line.endIndex, line[index] == "\"" else { return nil }
                index = line.index(after: index)
                var value = ""
                var closed = false
                while index < line.endIndex {
                    let c = line[index]
                    index = line.index(after: index)
                    if c == "\\" {
                        guard index < line.endIndex else { return nil }
                        let escaped = line[index]
                        index = line.index(after: index)
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { return nil }
                labels[key] = value
            }
        }
        let rest = line[index...].split(separator: " ", omittingEmptySubsequences: true)
        guard (1...2).contains(rest.count), let value = Self.number(rest[0]) else { return nil }
        if rest.count == 2, Double(rest[1]) == nil { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    /// A sample value: a decimal number, `+Inf`, `-Inf` or `NaN`.
    public static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}
