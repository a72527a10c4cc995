import Foundation

/// How Assay writes numbers for people: the same figure reads the same in every table and message.
public enum Formatting {
    /// Milliseconds with precision that suits their size: `480`, `12.3`, `4.25`, `0.083`, `0.00012`.
    public static func milliseconds(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude < 1 { return value.formatted(.number.precision(.significantDigits(1...2)).grouping(.never)) }
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
}
