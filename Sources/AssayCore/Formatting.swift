import Foundation

/// How Assay writes numbers for people: the same figure reads the same in every table and message.
public enum Formatting {
    /// Milliseconds to three significant figures at most, whatever their size: `480`, `12.3`, `4.25`, `0.0832`,
    /// `0.00012`.
    public static func milliseconds(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude < 1 { return value.formatted(.number.precision(.significantDigits(1...3)).grouping(.never)) }
        let digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2
        return value.formatted(.number.precision(.fractionLength(digits)).grouping(.never))
    }

    /// Milliseconds with an explicit `+` for increases.
    public static func signedMilliseconds(_ value: Double) -> String {
        (value > 0 ? "+" : "") + milliseconds(value)
    }

    /// A plain number with a fixed number of decimals: `1.16`.
    public static func number(_ value: Double, digits: Int) -> String {
        value.formatted(.number.precision(.fractionLength(digits)).grouping(.never))
    }

    public static func percent(_ value: Double, digits: Int = 1) -> String {
        value.formatted(.number.precision(.fractionLength(digits)).grouping(.never)) + "%"
    }

    /// A figure with its unit: milliseconds and plain numbers to three significant figures with a space before
    /// the unit (`0.0994 ms`, `0.002 MB/s`), percentages to one decimal (`75.0%`).
    public static func value(_ value: Double, unit: String) -> String {
        switch unit {
        case "%": percent(value)
        case "ms": milliseconds(value) + " ms"
        default: milliseconds(value) + " " + unit
        }
    }

    /// A duration as a person says it: `45 s`, `30 min`, `5 h 20 min`, `7 d 10 h` (the smaller unit left off at 0).
    public static func duration(seconds: Double) -> String {
        func compound(_ large: Int, _ largeUnit: String, _ small: Int, _ smallUnit: String) -> String {
            small == 0 ? "\(large) \(largeUnit)" : "\(large) \(largeUnit) \(small) \(smallUnit)"
        }
        guard seconds.isFinite else { return "—" }
        if seconds < 120 { return number(seconds, digits: 0) + " s" }
        if seconds < 2 * 3600 { return number(seconds / 60, digits: 0) + " min" }
        if seconds < 2 * 86400 {
            let minutes = Int((seconds / 60).rounded())
            return compound(minutes / 60, "h", minutes % 60, "min")
        }
        let hours = Int((seconds / 3600).rounded())
        return compound(hours / 24, "d", hours % 24, "h")
    }
}
