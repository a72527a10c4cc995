/// The audit's final word on whether a deployment may go ahead.
public enum Verdict: String, CaseIterable, Codable, Sendable, Hashable {
    case stable = "STABLE"
    case needsFix = "NEEDS FIX"
    case atRisk = "AT RISK"

    /// The process exit code a CI job reads: 0 STABLE, 1 NEEDS FIX, 2 AT RISK.
    public var exitCode: Int32 {
        switch self {
        case .stable: 0
        case .needsFix: 1
        case .atRisk: 2
        }
    }
}

/// A verdict and the findings or layers that decided it.
public struct Judgement: Sendable, Hashable, Codable {
    public var verdict: Verdict
    /// One line per reason, worst first; empty when STABLE.
    public var reasons: [String]

    public init(verdict: Verdict, reasons: [String]) {
        self.verdict = verdict
        self.reasons = reasons
    }
}
