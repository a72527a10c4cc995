/// How a check came out. The verdict is derived from these (see `VerdictRules`).
public enum FindingStatus: String, CaseIterable, Codable, Sendable, Hashable {
    /// Within thresholds, verified.
    case pass
    /// Within thresholds but worth watching (e.g. a change whose CI95 includes 0).
    case watch
    /// A threshold breach or a significant regression.
    case breach
    /// Integrity failure: a checksum that does not match what was approved, an output that does not reproduce.
    case integrityFailure = "integrity_failure"
    /// A required component could not be verified (no approved checksum, missing file, out of sync).
    case unverified
    /// The check lacked the data or the time to judge (a memory-growth window under an hour, no readings): said with
    /// its reason, never a pass, and with no extrapolated figure. It does not change the verdict.
    case notJudged = "not_judged"

    /// Rank for "worst first" ordering.
    public var gravity: Int {
        switch self {
        case .pass: 0
        case .watch, .notJudged: 1
        case .breach: 2
        case .unverified: 3
        case .integrityFailure: 4
        }
    }
}

/// How urgent a finding is for the people reading the report.
public enum Severity: String, CaseIterable, Codable, Sendable, Hashable, Comparable {
    case info, low, medium, high, critical

    public var rank: Int {
        switch self {
        case .info: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
