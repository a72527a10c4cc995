import AssayCore
import Foundation

/// Where two versions of an output first differ, and whether the difference is only numerical noise.
public struct OutputDifference: Sendable, Hashable, Codable {
    /// The output (as declared in the configuration) that differs, and the runs compared.
    public var output: String
    /// The run compared with run 1.
    public var run: Int?
    /// The variation applied to that run, if any.
    public var variation: Variation?
    /// Byte offset of the first difference, or the shorter length when one is a prefix of the other.
    public var firstDifferingByte: Int?
    /// 1-based line of the first difference in text outputs.
    public var line: Int?
    /// Where the first differing value is, with its old and new values: a JSON pointer (JSON, JSON lines),
    /// `row R, column C` (CSV, TSV) or an element index `[i, j]` (NumPy `.npy`, raw `.f32`/`.f64` arrays).
    public var location: String?
    public var expectedValue: String?
    public var observedValue: String?
    /// Count of differing numeric values found (JSON outputs).
    public var differingNumbers: Int
    /// Largest absolute and relative differences among the differing numbers.
    public var maxAbsoluteDifference: Double?
    public var maxRelativeDifference: Double?
    /// True when every difference is a number within tolerance: "bitwise different, numerically within tolerance".
    public var withinTolerance: Bool

    enum CodingKeys: String, CodingKey {
        case output, line, run, variation
        case firstDifferingByte = "first_differing_byte"
        case location = "location"
        case expectedValue = "expected_value"
        case observedValue = "observed_value"
        case differingNumbers = "differing_numbers"
        case maxAbsoluteDifference = "max_absolute_difference"
        case maxRelativeDifference = "max_relative_difference"
        case withinTolerance = "within_tolerance"
    }

    /// A difference in `output` whose position is not known yet.
    public init(output: String) {
        self.output = output
        differingNumbers = 0
        withinTolerance = false
    }

    /// One sentence for tables and tickets.
    public var summary: String {
        var parts: [String] = [output]
        if let firstDifferingByte { parts.append("first differs at byte \(firstDifferingByte)") }
        if let line { parts.append("line \(line)") }
        if let location {
            parts.append("at \(location.isEmpty ? "/" : location): \(expectedValue ?? "∅") → \(observedValue ?? "∅")")
        }
        if let maxAbsoluteDifference, differingNumbers > 0 {
            parts.append("\(differingNumbers) numbers differ, max |Δ| \(maxAbsoluteDifference.formatted(.number.precision(.significantDigits(3))))")
        }
        if withinTolerance { parts.append("numerically within tolerance") }
        return parts.joined(separator: ", ")
    }

    /// Compares two files (or directory trees' same-named files) and locates the first difference.
    public static func locate(
        output: String, expectedPath: String, observedPath: String, absoluteTolerance: Double, relativeTolerance: Double
    ) -> OutputDifference? {
        guard let expected = FileManager.default.contents(atPath: expectedPath),
            let observed = FileManager.default.contents(atPath: observedPath)
        else { return nil }
        return locate(
            output: output, expected: expected, observed: observed, absoluteTolerance: absoluteTolerance,
            relativeTolerance: relativeTolerance)
    }

    public static func locate(
        output: String, expected: Data, observed: Data, absoluteTolerance: Double, relativeTolerance: Double
    ) -> OutputDifference? {
        if expected == observed { return nil }
        let a = [UInt8](expected)
        let b = [UInt8](observed)
        var offset = 0
        let shorter = min(a.count, b.count)
        while offset < shorter, a[offset] == b[offset] { offset += 1 }
        let line = a[0..<offset].reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        var difference = OutputDifference(output: output)
        difference.firstDifferingByte = offset
        difference.line = line
        let lowered = output.lowercased()
        let compared: NumericComparison?
        if lowered.hasSuffix(".npy") || lowered.hasSuffix(".f32") || lowered.hasSuffix(".f64") {
            compared = ArrayComparison.compare(a, b, name: lowered)
        } else if lowered.hasSuffix(".csv") || lowered.hasSuffix(".tsv") {
            compared = TableComparison.compare(a, b, delimiter: lowered.hasSuffix(".tsv") ? "\t" : ",")
        } else {
            compared = JSONComparison.compare(a, b)
        }
        guard var result = compared else { return difference }
        result.judge(absoluteTolerance: absoluteTolerance, relativeTolerance: relativeTolerance)
        difference.location = result.firstLocation
        difference.expectedValue = result.firstExpected
        difference.observedValue = result.firstObserved
        difference.differingNumbers = result.differingNumbers
        difference.maxAbsoluteDifference = result.differingNumbers > 0 ? result.maxAbsolute : nil
        difference.maxRelativeDifference = result.differingNumbers > 0 ? result.maxRelative : nil
        difference.withinTolerance = result.withinTolerance
        return difference
    }
}

/// Walks two JSON documents (or JSON-lines files, one document per line) in parallel.
enum JSONComparison {
    /// nil when either side is not JSON (or JSON lines).
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> NumericComparison? {
        var result = NumericComparison()
        if let left = JSONValue.parse(a), let right = JSONValue.parse(b) {
            walk(left, right, pointer: "", into: &result)
            return result
        }
        func lines(_ bytes: [UInt8]) -> [JSONValue]? {
            var values: [JSONValue] = []
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                guard let value = JSONValue.parse(line) else { return nil }
                values.append(value)
            }
            return values
        }
        guard let left = lines(a), let right = lines(b) else { return nil }
        walk(.array(left), .array(right), pointer: "", into: &result)
        // Pointers into JSON lines start with the line index; say "line N" for people.
        if let pointer = result.firstLocation {
            let parts = pointer.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count >= 2, let index = Int(parts[1].split(separator: "/").first ?? "") {
                let rest = parts[1].drop { $0 != "/" }
                result.firstLocation = "line \(index + 1) " + (rest.isEmpty ? "/" : String(rest))
            }
        }
        return result
    }

    static func walk(_ a: JSONValue, _ b: JSONValue, pointer: String, into result: inout NumericComparison) {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for key in Set(x.keys).union(y.keys).sorted() {
                let child = pointer + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                if let l = x[key], let r = y[key] {
                    walk(l, r, pointer: child, into: &result)
                } else {
                    result.structuralDifference = true
                    result.record(child, x[key]?.rendered, y[key]?.rendered)
                }
            }
        case (.array(let x), .array(let y)):
            for index in 0..<max(x.count, y.count) {
                let child = pointer + "/\(index)"
                if index < x.count, index < y.count {
                    walk(x[index], y[index], pointer: child, into: &result)
                } else {
                    result.structuralDifference = true
                    result.record(child, index < x.count ? x[index].rendered : nil, index < y.count ? y[index].rendered : nil)
                }
            }
        case (.number(let l), .number(let r)):
            result.number(pointer, l, r)
        default:
            if a != b {
                result.structuralDifference = true
                result.record(pointer, a.rendered, b.rendered)
            }
        }
    }
}
