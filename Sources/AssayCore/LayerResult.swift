import Foundation

/// What one layer of one audit found, or why it did not run.
public struct LayerResult: Sendable, Codable, Hashable {
    public enum State: Sendable, Hashable {
        /// The layer ran; its findings say how it came out.
        case verified
        /// The layer did not run or could not finish; the reason is shown instead of any number.
        case notVerified(reason: String)
    }

    public var layer: Layer
    public var state: State
    public var findings: [Finding]
    public var startedAt: Date
    public var durationSeconds: Double

    public init(layer: Layer, state: State, findings: [Finding] = [], startedAt: Date, durationSeconds: Double = 0) {
        self.layer = layer
        self.state = state
        self.findings = findings
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
    }

    /// A layer that did not run, with the reason.
    public static func notVerified(_ layer: Layer, reason: String, at date: Date) -> LayerResult {
        LayerResult(layer: layer, state: .notVerified(reason: reason), startedAt: date)
    }

    public var isVerified: Bool {
        if case .verified = state { return true }
        return false
    }

    public var notVerifiedReason: String? {
        if case .notVerified(let reason) = state { return reason }
        return nil
    }

    /// Findings of one of this layer's tables, in the order the layer produced them.
    public func findings(in table: ReportTable) -> [Finding] {
        findings.filter { $0.table == table }
    }

    enum CodingKeys: String, CodingKey {
        case layer, verified, reason, findings
        case startedAt = "started_at"
        case durationSeconds = "duration_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        layer = try container.decode(Layer.self, forKey: .layer)
        if try container.decode(Bool.self, forKey: .verified) {
            state = .verified
        } else {
            state = .notVerified(reason: try container.decode(String.self, forKey: .reason))
        }
        findings = try container.decode([Finding].self, forKey: .findings)
        startedAt = try container.decode(Date.self, forKey: .startedAt)
        durationSeconds = try container.decode(Double.self, forKey: .durationSeconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(layer, forKey: .layer)
        try container.encode(isVerified, forKey: .verified)
        try container.encodeIfPresent(notVerifiedReason, forKey: .reason)
        try container.encode(findings, forKey: .findings)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(durationSeconds, forKey: .durationSeconds)
    }
}
